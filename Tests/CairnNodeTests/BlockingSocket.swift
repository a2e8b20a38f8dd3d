import Foundation

/// A blocking TCP client socket to 127.0.0.1-style IPv4 addresses, for tests that speak a protocol by hand.
final class BlockingSocket {
    private let descriptor: Int32

    /// Connects; reads time out after `readTimeoutSeconds`.
    init(host: String, port: Int, readTimeoutSeconds: Int = 10, receiveBufferBytes: Int32? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError.failed("socket", errno) }
        var timeout = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBufferBytes {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(descriptor)
            throw SocketError.failed("connect", errno)
        }
    }

    deinit { close(descriptor) }

    /// Writes every byte.
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw SocketError.failed("send", errno) }
            offset += sent
        }
    }

    /// Reads what is there (waiting up to the read timeout); empty at end of stream.
    func read() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        if count < 0 { throw SocketError.failed("recv", errno) }
        return Array(buffer.prefix(count))
    }

    /// Reads until the text received so far contains `marker`; returns all of it, or `nil` at end or timeout.
    func read(until marker: String, deadline: ContinuousClock.Instant) -> String? {
        var received: [UInt8] = []
        while ContinuousClock.now < deadline {
            guard let bytes = try? read(), !bytes.isEmpty else { return nil }
            received += bytes
            let text = String(decoding: received, as: UTF8.self)
            if text.contains(marker) { return text }
        }
        return nil
    }

    enum SocketError: Error {
        case failed(String, Int32)
    }
}
