import CairnCore
import CairnProtocol
import Foundation

/// What a hostile peer does after a valid handshake.
enum HostileBehaviour: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Random bytes where records should be.
    case randomBytes
    /// A record header announcing a frame far over the limit.
    case oversizedFrame
    /// Well-formed records carrying blobs whose signatures do not verify.
    case forgedBlobs

    var description: String { rawValue }
}

/// A hand-driven peer over a blocking POSIX socket: it completes the real handshake, then misbehaves.
final class HostilePeer {
    private let socket: Int32
    private var channel: SecureChannel?

    /// Connects and completes the handshake as `key` on the default network.
    init(host: String, port: Int, key: SigningKey, network: String = "cairn", receiveBufferBytes: Int32? = nil) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HostileError.socket(errno) }
        if var size = receiveBufferBytes {
            setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(socket)
            throw HostileError.socket(errno)
        }
        var handshake = Handshake.StateMachine(
            role: .initiator,
            configuration: Handshake.Configuration(networkKey: NetworkKey(networkName: network), localKey: key),
            ephemeral: EphemeralKey.generate()
        )
        var actions = handshake.start(now: 0)
        while channel == nil {
            for action in actions {
                switch action {
                case .send(let bytes): try write(bytes)
                case .established(let session, _): channel = SecureChannel(session: session)
                case .fail(let error): throw HostileError.handshake("\(error)")
                }
            }
            if channel != nil { break }
            let bytes = try read()
            guard !bytes.isEmpty else { throw HostileError.closed }
            actions = handshake.receive(bytes, now: 0)
        }
    }

    /// Does the hostile thing.
    func misbehave(_ behaviour: HostileBehaviour) throws {
        switch behaviour {
        case .randomBytes:
            try write((0..<4096).map { _ in UInt8.random(in: 0...255) })
        case .oversizedFrame:
            try write([0x7f, 0xff, 0xff, 0xff] + [UInt8](repeating: 0, count: 64))
        case .forgedBlobs:
            let author = try SigningKey(seed: [UInt8](repeating: 0x33, count: 32))
            for seq in 1...3 {
                let blob = try SignedBlob.sign(
                    key: author,
                    channel: try ChannelName("forged"),
                    seq: 1,
                    prev: .zero,
                    timestamp: UInt64(seq),
                    payload: Array("forged \(seq)".utf8)
                )
                var bytes = blob.encoding
                bytes[bytes.count - 1] ^= 0x01
                try sendMessage(.blob(bytes))
            }
        }
    }

    /// Whether the remote closes the connection before `timeout`.
    func isClosedByRemote(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let bytes = try? read() else { return true }
            if bytes.isEmpty { return true }
        }
        return false
    }

    private func sendMessage(_ message: WireMessage) throws {
        guard var channel else { throw HostileError.closed }
        let record = try channel.seal(try message.encoded())
        self.channel = channel
        try write(record)
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw HostileError.socket(errno) }
            offset += sent
        }
    }

    private func read() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(socket, &buffer, buffer.count, 0)
        if count < 0 { throw HostileError.socket(errno) }
        return Array(buffer.prefix(count))
    }

    deinit { close(socket) }

    enum HostileError: Error {
        case socket(Int32)
        case handshake(String)
        case closed
    }
}
