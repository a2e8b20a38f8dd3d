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
    private let socket: BlockingSocket
    private var channel: SecureChannel?

    /// Connects and completes the handshake as `key` on the default network.
    init(host: String, port: Int, key: SigningKey, network: String = "cairn", receiveBufferBytes: Int32? = nil) throws {
        socket = try BlockingSocket(host: host, port: port, receiveBufferBytes: receiveBufferBytes)
        var handshake = Handshake.StateMachine(
            role: .initiator,
            configuration: Handshake.Configuration(networkKey: NetworkKey(networkName: network), localKey: key),
            ephemeral: EphemeralKey.generate()
        )
        var actions = handshake.start(now: 0)
        while channel == nil {
            for action in actions {
                switch action {
                case .send(let bytes): try socket.write(bytes)
                case .established(let session, _): channel = SecureChannel(session: session)
                case .fail(let error): throw HostileError.handshake("\(error)")
                }
            }
            if channel != nil { break }
            let bytes = try socket.read()
            guard !bytes.isEmpty else { throw HostileError.closed }
            actions = handshake.receive(bytes, now: 0)
        }
    }

    /// Does the hostile thing.
    func misbehave(_ behaviour: HostileBehaviour) throws {
        switch behaviour {
        case .randomBytes:
            try socket.write((0..<4096).map { _ in UInt8.random(in: 0...255) })
        case .oversizedFrame:
            try socket.write([0x7f, 0xff, 0xff, 0xff] + [UInt8](repeating: 0, count: 64))
        case .forgedBlobs:
            // It follows the connection rules (hello first) so that what gets it banned is the forgery.
            try sendMessage(.hello(listenPort: 0))
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

    /// Whether the remote closes the connection (end of stream, or a reset) before `timeout`. A read that times out
    /// proves nothing and is retried until the deadline; any other socket error is thrown, never read as "closed".
    func isClosedByRemote(within timeout: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do {
                if try socket.read().isEmpty { return true }
            } catch BlockingSocket.SocketError.failed(_, let code)
                where code == EAGAIN || code == EWOULDBLOCK || code == EINTR
            {
                continue
            } catch BlockingSocket.SocketError.failed(_, let code) where code == ECONNRESET {
                return true
            }
        }
        return false
    }

    /// Seals and sends one message.
    func sendMessage(_ message: WireMessage) throws {
        try sendRecord(try message.encoded())
    }

    /// Seals and sends one record of any plaintext (empty, or a message this node may not know).
    func sendRecord(_ plaintext: [UInt8]) throws {
        guard var channel else { throw HostileError.closed }
        let record = try channel.seal(plaintext)
        self.channel = channel
        try socket.write(record)
    }

    /// Reads until one record arrives and returns its plaintext.
    func readRecord() throws -> [UInt8] {
        while true {
            guard var channel else { throw HostileError.closed }
            let bytes = try socket.read()
            guard !bytes.isEmpty else { throw HostileError.closed }
            let actions = channel.receive(bytes)
            self.channel = channel
            for action in actions {
                switch action {
                case .deliver(let plaintext): return plaintext
                case .fail(let error): throw HostileError.handshake("\(error)")
                }
            }
        }
    }

    enum HostileError: Error {
        case handshake(String)
        case closed
    }
}
