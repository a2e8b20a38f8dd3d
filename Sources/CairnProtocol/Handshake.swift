import CairnCore

/// The Cairn secret handshake: three messages that authenticate both node keys, derive forward-secret session
/// keys, and isolate meshes by their network key. Specified byte by byte in Docs/PROTOCOL.md.
public enum Handshake {
    /// The handshake version byte that opens messages 1 and 2.
    public static let version: UInt8 = 1
    /// Length of message 1: version, initiator ephemeral, tag.
    public static let message1Bytes = 1 + 32 + 32
    /// Length of message 2: version, responder ephemeral, tag, encrypted responder key and signature.
    public static let message2Bytes = 1 + 32 + 32 + 32 + 64 + 16
    /// Length of message 3: encrypted initiator key and signature.
    public static let message3Bytes = 32 + 64 + 16
    /// The default time allowed for the whole handshake, in milliseconds.
    public static let defaultTimeoutMilliseconds: UInt64 = 10_000

    /// The prefix of the initial transcript hash: ASCII `cairn/handshake/v1` and a zero byte.
    public static let transcriptDomain: [UInt8] = label("cairn/handshake/v1")
    /// The prefix of the message the responder signs: ASCII `cairn/handshake/v1/responder` and a zero byte.
    public static let responderSignatureDomain: [UInt8] = label("cairn/handshake/v1/responder")
    /// The prefix of the message the initiator signs: ASCII `cairn/handshake/v1/initiator` and a zero byte.
    public static let initiatorSignatureDomain: [UInt8] = label("cairn/handshake/v1/initiator")

    static let chainLabel1 = label("cairn/hs/ck1")
    static let chainLabel2 = label("cairn/hs/ck2")
    static let chainLabel3 = label("cairn/hs/ck3")
    static let message2KeyLabel = label("cairn/hs/k2")
    static let message3KeyLabel = label("cairn/hs/k3")
    static let initiatorToResponderLabel = label("cairn/session/i2r")
    static let responderToInitiatorLabel = label("cairn/session/r2i")
    static let zeroNonce = [UInt8](repeating: 0, count: 12)

    /// Which side of the connection a node plays.
    public enum Role: Sendable, Equatable {
        /// The node that dialled and sends message 1.
        case initiator
        /// The node that accepted and answers with message 2.
        case responder
    }

    /// The fixed inputs of a handshake.
    public struct Configuration: Sendable {
        /// The mesh this node belongs to.
        public var networkKey: NetworkKey
        /// This node's static Ed25519 key.
        public var localKey: SigningKey
        /// How long the whole handshake may take, in milliseconds from `start`.
        public var timeoutMilliseconds: UInt64
        /// For an initiator that knows whom it dialled: fail unless the responder presents this key.
        public var expectedRemoteKey: PublicKey?

        /// Describes a handshake.
        public init(
            networkKey: NetworkKey,
            localKey: SigningKey,
            timeoutMilliseconds: UInt64 = Handshake.defaultTimeoutMilliseconds,
            expectedRemoteKey: PublicKey? = nil
        ) {
            self.networkKey = networkKey
            self.localKey = localKey
            self.timeoutMilliseconds = timeoutMilliseconds
            self.expectedRemoteKey = expectedRemoteKey
        }
    }

    /// What the driver must do after feeding the state machine.
    public enum Action: Sendable, Equatable {
        /// Write these bytes to the peer.
        case send([UInt8])
        /// The handshake succeeded; `unconsumed` are bytes that followed the last handshake message and belong
        /// to the secure channel (feed them to `SecureChannel.receive` first).
        case established(Session, unconsumed: [UInt8])
        /// The handshake failed; close the connection.
        case fail(HandshakeError)
    }

    /// The initial transcript hash `h0 = BLAKE2b-256(transcriptDomain ‖ networkKey)`.
    static func initialHash(_ networkKey: NetworkKey) -> [UInt8] {
        TransportCrypto.hash(transcriptDomain, networkKey.bytes)
    }

    private static func label(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }
}
