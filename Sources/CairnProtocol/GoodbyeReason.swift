/// Why a peer is closing the connection, sent in a `goodbye` message. Unknown codes decode as themselves so
/// newer peers can add reasons.
public struct GoodbyeReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The wire code.
    public let rawValue: UInt8

    /// Wraps a wire code.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The node is shutting down or simply done.
    public static let normal = GoodbyeReason(rawValue: 0)
    /// The peer sent a malformed or unexpected message.
    public static let protocolViolation = GoodbyeReason(rawValue: 1)
    /// The node already has a connection to this peer.
    public static let duplicateConnection = GoodbyeReason(rawValue: 2)
    /// The node is at its inbound or outbound peer cap.
    public static let tooManyPeers = GoodbyeReason(rawValue: 3)
    /// The peer is banned.
    public static let banned = GoodbyeReason(rawValue: 4)
    /// The peer reads too slowly and exceeded its send budget.
    public static let tooSlow = GoodbyeReason(rawValue: 5)
    /// The peer sent a record or message that does not decode.
    public static let malformed = GoodbyeReason(rawValue: 6)
    /// The peer sent a frame above the size bound.
    public static let oversized = GoodbyeReason(rawValue: 7)
    /// The peer sent a blob or evidence whose signature or encoding does not verify.
    public static let invalidSignature = GoodbyeReason(rawValue: 8)
    /// The peer sent unwanted or repeated traffic.
    public static let spam = GoodbyeReason(rawValue: 9)

    public var description: String {
        switch self {
        case .normal: "normal"
        case .protocolViolation: "protocol-violation"
        case .duplicateConnection: "duplicate-connection"
        case .tooManyPeers: "too-many-peers"
        case .banned: "banned"
        case .tooSlow: "too-slow"
        case .malformed: "malformed"
        case .oversized: "oversized"
        case .invalidSignature: "invalid-signature"
        case .spam: "spam"
        default: "reason-\(rawValue)"
        }
    }
}
