import CairnCore

/// Peer selection as a pure state machine: which addresses to dial, which connections to accept, keep, score,
/// disconnect and ban. The driver feeds it connection events and the time and performs the actions it returns;
/// see `PeerManager.StateMachine`.
public enum PeerManager {
    /// Identifies one TCP connection; chosen by the driver, never reused while the connection is known.
    public typealias ConnectionID = UInt64

    /// Who opened a connection.
    public enum Direction: Sendable, Equatable {
        /// The remote dialled us.
        case inbound
        /// We dialled the remote.
        case outbound
    }

    /// Misbehaviour reported by the driver or the gossip layer; each lowers the peer's score by its `penalty`.
    public enum Offence: Sendable, Hashable, CaseIterable {
        /// A blob or evidence whose signature does not verify.
        case invalidSignature
        /// A record or message that does not decode.
        case malformedFrame
        /// A frame above the size bound.
        case oversizedFrame
        /// The handshake failed (wrong network, bad signature, timeout).
        case handshakeFailure
        /// Unwanted or repeated traffic (duplicates, unasked-for blobs, too many requests).
        case spam
        /// A well-formed message that breaks the protocol (unexpected in this state, inconsistent).
        case protocolViolation

        /// The amount added to the score: always negative.
        public var penalty: Double {
            switch self {
            case .malformedFrame: -100
            case .oversizedFrame: -100
            // Honest nodes verify before they forward (DESIGN.md, principle 3): a bad signature proves the sender
            // broken or hostile, and the verdict often arrives after a first disconnect, so it bans at once.
            case .invalidSignature: -100
            case .handshakeFailure: -50
            case .protocolViolation: -25
            case .spam: -5
            }
        }

        /// The `goodbye` reason that closes a connection for this offence, whether it disconnects or bans, so a
        /// peer can tell the classes apart. (A failed handshake has no session to carry one: the socket closes.)
        public var goodbyeReason: GoodbyeReason {
            switch self {
            case .malformedFrame: .malformed
            case .oversizedFrame: .oversized
            case .invalidSignature: .invalidSignature
            case .spam: .spam
            case .handshakeFailure, .protocolViolation: .protocolViolation
            }
        }
    }

    /// What the driver must do.
    public enum Action: Sendable, Equatable {
        /// Open a TCP connection; report `dialSucceeded` or `dialFailed`.
        case dial(PeerAddress)
        /// Send `goodbye` (best effort) and close; report `connectionClosed` when it is gone.
        case close(ConnectionID, GoodbyeReason)
        /// Persist a ban of this node key until the instant given.
        case ban(PublicKey, untilMilliseconds: UInt64)
        /// Delete a persisted ban.
        case unban(PublicKey)
        /// Persist this address book entry.
        case rememberAddress(PeerAddress)
        /// Delete this address book entry.
        case forgetAddress(PeerAddress)
        /// Send a message on a connection (the periodic `peers` exchange).
        case send(WireMessage, to: ConnectionID)
        /// A peer is connected and authenticated: tell the gossip layer.
        case peerUp(PublicKey, ConnectionID, Direction)
        /// A peer that was up is gone (or being closed): tell the gossip layer. Emitted once per `peerUp`.
        case peerDown(PublicKey, ConnectionID)
    }

    /// A connected, authenticated peer as seen by the manager.
    public struct PeerInfo: Sendable, Equatable {
        /// The remote node key.
        public let key: PublicKey
        /// The connection carrying it.
        public let connection: ConnectionID
        /// Who dialled.
        public let direction: Direction
        /// The dialled address (outbound) or the address it advertised (inbound), if known.
        public let address: PeerAddress?
        /// The current score: zero is neutral, negative is worse.
        public let score: Double
        /// When the handshake completed.
        public let connectedAtMilliseconds: UInt64

        /// Describes a peer.
        public init(
            key: PublicKey,
            connection: ConnectionID,
            direction: Direction,
            address: PeerAddress?,
            score: Double,
            connectedAtMilliseconds: UInt64
        ) {
            self.key = key
            self.connection = connection
            self.direction = direction
            self.address = address
            self.score = score
            self.connectedAtMilliseconds = connectedAtMilliseconds
        }
    }
}
