import CairnCore
import CairnProtocol

/// A hostile peer: it runs no replica. It dials honest nodes (and, for some kinds, answers their dials) and
/// misbehaves as its kind says. Bytes and the time in, bytes to write out; the simulation carries them.
struct HostilePeer {
    /// What a hostile peer does.
    enum Kind: String, CaseIterable, Sendable {
        /// Random bytes where a handshake should be, on every connection it opens or accepts.
        case junk
        /// A real handshake and `hello`, then blobs whose signatures do not verify.
        case forgedBlobs
        /// A real handshake and `hello`, then one valid blob over and over.
        case flood
        /// Opens or accepts connections and never sends a byte.
        case silent

        /// Whether it answers dials (the others refuse them).
        var acceptsConnections: Bool { self == .junk || self == .silent }

        /// Whether it completes real handshakes.
        var handshakes: Bool { self == .forgedBlobs || self == .flood }
    }

    /// One connection's state.
    enum Session {
        /// Handshaking as initiator.
        case handshaking(Handshake.StateMachine)
        /// The handshake succeeded; `hello` went out.
        case established(SecureChannel)
        /// Nothing more to do (junk sent, silence, or a failed handshake).
        case idle
    }

    /// The channel of forged blobs.
    static let forgedChannel = try! ChannelName("forged")
    /// The channel of the flood blob.
    static let floodChannel = try! ChannelName("flood")
    /// Payload bytes of forged and flood blobs.
    static let payloadBytes = 64

    /// The behaviour and its parameters.
    let settings: Scenario.Hostile
    /// The key it presents in handshakes (and signs with).
    let identity: SigningKey
    private let handshake: Handshake.Configuration
    private var random: SplitMix64
    private var sessions: [Int: Session] = [:]
    private var forgedCount: UInt64 = 0
    private let floodBlob: [UInt8]

    /// A hostile peer of `settings.kind`.
    /// - Parameters:
    ///   - settings: its kind and parameters.
    ///   - identity: its node key.
    ///   - networkKey: the mesh's key, so its handshakes pass the network check.
    ///   - seed: its own random stream (junk bytes, ephemerals, payloads).
    init(settings: Scenario.Hostile, identity: SigningKey, networkKey: NetworkKey, seed: UInt64) {
        self.settings = settings
        self.identity = identity
        self.handshake = Handshake.Configuration(networkKey: networkKey, localKey: identity)
        self.random = SplitMix64(seed: seed)
        let payload = random.bytes(Self.payloadBytes)
        floodBlob =
            (try? SignedBlob.sign(
                key: identity,
                channel: Self.floodChannel,
                seq: 1,
                prev: .zero,
                timestamp: 0,
                payload: payload
            ).encoding) ?? []
    }

    /// The kind.
    var kind: Kind { settings.kind }

    /// A connection on `link` is up (dialled by this peer when `initiator`, else accepted).
    /// - Returns: the bytes to write first.
    mutating func connected(link: Int, initiator: Bool, now: UInt64) -> [UInt8] {
        switch kind {
        case .junk:
            sessions[link] = .idle
            return random.bytes(settings.junkBytes)
        case .silent:
            sessions[link] = .idle
            return []
        case .forgedBlobs, .flood:
            guard initiator else {
                sessions[link] = .idle
                return []
            }
            var machine = Handshake.StateMachine(
                role: .initiator,
                configuration: handshake,
                ephemeral: EphemeralKey(using: &random)
            )
            var out: [UInt8] = []
            for action in machine.start(now: now) {
                if case .send(let bytes) = action { out += bytes }
            }
            sessions[link] = .handshaking(machine)
            return out
        }
    }

    /// Bytes arrived on `link`.
    /// - Returns: the bytes to write in answer.
    mutating func received(_ bytes: [UInt8], link: Int, now: UInt64) -> [UInt8] {
        guard case .handshaking(var machine) = sessions[link] else { return [] }
        var out: [UInt8] = []
        var next = Session.handshaking(machine)
        for action in machine.receive(bytes, now: now) {
            switch action {
            case .send(let bytes):
                out += bytes
            case .established(let session, _):
                var channel = SecureChannel(session: session)
                // It follows the connection rules (hello first) so that what gets it punished is its payload.
                out += Self.seal(.hello(listenPort: 0), on: &channel)
                next = .established(channel)
            case .fail:
                next = .idle
            }
        }
        if case .handshaking = next { next = .handshaking(machine) }
        sessions[link] = next
        return out
    }

    /// The connection on `link` is gone.
    mutating func closed(link: Int) {
        sessions.removeValue(forKey: link)
    }

    /// Acts once on every established connection.
    /// - Returns: bytes to write, per link, in link order.
    mutating func act(now: UInt64) -> [(link: Int, bytes: [UInt8])] {
        guard kind.handshakes else { return [] }
        var writes: [(link: Int, bytes: [UInt8])] = []
        for link in sessions.keys.sorted() {
            guard case .established(var channel) = sessions[link] else { continue }
            var out: [UInt8] = []
            switch kind {
            case .forgedBlobs:
                out += Self.seal(.blob(forgedBlob()), on: &channel)
            case .flood:
                for _ in 0..<settings.floodBurst { out += Self.seal(.blob(floodBlob), on: &channel) }
            case .junk, .silent:
                break
            }
            sessions[link] = .established(channel)
            if !out.isEmpty { writes.append((link, out)) }
        }
        return writes
    }

    /// A structurally valid blob signed by this peer whose last signature byte is flipped: a new id every time.
    private mutating func forgedBlob() -> [UInt8] {
        forgedCount += 1
        let prev = forgedCount == 1 ? BlobID.zero : BlobID(unchecked: [UInt8](repeating: 1, count: 32))
        guard
            var bytes = try? SignedBlob.sign(
                key: identity,
                channel: Self.forgedChannel,
                seq: forgedCount,
                prev: prev,
                timestamp: forgedCount,
                payload: random.bytes(Self.payloadBytes)
            ).encoding
        else { return [] }
        bytes[bytes.count - 1] ^= 0x01
        return bytes
    }

    private static func seal(_ message: WireMessage, on channel: inout SecureChannel) -> [UInt8] {
        guard let plaintext = try? message.encoded(), let sealed = try? channel.seal(plaintext) else { return [] }
        return sealed
    }
}
