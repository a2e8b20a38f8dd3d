import Foundation

/// A `host:port` pair as written in configuration and on the command line (`[::1]:7701` for IPv6).
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    /// The host name or address, without brackets.
    public let host: String
    /// The TCP port; 0 asks the operating system for a free one.
    public let port: Int

    /// Wraps a host and port as they are.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6-address]:port`; returns `nil` for anything else.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace), let port = Int(portText), (0...65535).contains(port)
        else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// Whether the host is a numeric IPv4 or IPv6 address, as a listen address must be.
    public var isNumeric: Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }

    /// What a listen address may be, for error messages.
    public static let numericRule = "expected a numeric IP address and port, e.g. 0.0.0.0:7700 or [::]:7700"

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
