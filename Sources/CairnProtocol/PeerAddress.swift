/// Where a peer listens: a host name or IP literal and a TCP port, as exchanged in `peers` messages.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The longest host, in bytes.
    public static let maxHostBytes = 255

    /// A DNS name or IP literal (an IPv6 literal without brackets), printable ASCII only.
    public let host: String
    /// The TCP port, never zero.
    public let port: UInt16

    /// Validates an address.
    /// - Throws: `ProtocolError.invalidHost` or `.invalidPort`.
    public init(host: String, port: UInt16) throws(ProtocolError) {
        try self.init(hostBytes: Array(host.utf8), port: port)
    }

    /// Validates an address given as wire bytes.
    /// - Throws: `ProtocolError.invalidHost` or `.invalidPort`.
    init(hostBytes: [UInt8], port: UInt16) throws(ProtocolError) {
        guard !hostBytes.isEmpty, hostBytes.count <= Self.maxHostBytes,
            hostBytes.allSatisfy({ (0x21...0x7e).contains($0) })
        else { throw .invalidHost(hostBytes) }
        guard port != 0 else { throw .invalidPort(port) }
        self.host = String(decoding: hostBytes, as: UTF8.self)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
