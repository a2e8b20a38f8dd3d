import CairnCore

/// One peer connection's protocol: dialing, handshaking, established, closing. See `Connection.StateMachine`.
public enum Connection {
    /// Identifies one connection of a replica; chosen by the replica, never reused.
    public typealias ID = PeerManager.ConnectionID

    /// The timings and bounds of every connection of one replica.
    public struct Configuration: Sendable {
        /// The network key and this node's identity, for handshakes.
        public var handshake: Handshake.Configuration
        /// Size bounds for decoding messages.
        public var limits: WireMessage.Limits
        /// Per-peer send budgets.
        public var sendBudget: SendQueue.Budget
        /// Bytes handed to the driver per connection and not yet reported written; the rest waits in the queue.
        public var writeHighWaterBytes: Int
        /// How long an outbound TCP connect may take before the dial counts as failed, in milliseconds.
        public var dialTimeoutMilliseconds: UInt64
        /// After this long without a record from the peer, it is sent a `ping`, in milliseconds.
        public var pingIntervalMilliseconds: UInt64
        /// After this long without a record from the peer (a `pong` included), the connection is dead and closed,
        /// in milliseconds.
        public var pingTimeoutMilliseconds: UInt64
        /// The listen port this node advertises in `hello` (0: it accepts no connections).
        public var listenPort: UInt16
        /// How records are protected: ChaCha20-Poly1305 except in large simulations.
        public var cipher: SecureChannel.Cipher = .chaCha20Poly1305

        /// Assembles the configuration.
        public init(
            handshake: Handshake.Configuration,
            limits: WireMessage.Limits,
            sendBudget: SendQueue.Budget,
            writeHighWaterBytes: Int,
            dialTimeoutMilliseconds: UInt64,
            pingIntervalMilliseconds: UInt64,
            pingTimeoutMilliseconds: UInt64,
            listenPort: UInt16
        ) {
            self.handshake = handshake
            self.limits = limits
            self.sendBudget = sendBudget
            self.writeHighWaterBytes = writeHighWaterBytes
            self.dialTimeoutMilliseconds = dialTimeoutMilliseconds
            self.pingIntervalMilliseconds = pingIntervalMilliseconds
            self.pingTimeoutMilliseconds = pingTimeoutMilliseconds
            self.listenPort = listenPort
        }

        /// The record plaintext bound: the largest message (evidence of two blobs) with room for its header.
        var maxPlaintextBytes: Int { limits.maxEvidenceBytes + 64 }
    }

    /// What feeding received bytes to a connection produced, in order.
    public enum Received: Sendable, Equatable {
        /// Handshake bytes to write.
        case write([UInt8])
        /// The handshake authenticated the remote node.
        case established(PublicKey)
        /// A decoded message and the bytes its record took on the wire.
        case message(WireMessage, wireBytes: Int)
        /// A record carrying a message of a version or type this node does not know: skipped, never punished, so
        /// later versions can add messages.
        case skipped(version: UInt8, type: UInt8)
        /// The handshake found the remote key to be this node's own: it dialled itself. Not an offence.
        case toSelf
        /// The peer misbehaved; `close` when the connection cannot go on (its byte stream is corrupt or it broke
        /// the connection rules), with the `goodbye` reason to give.
        case offence(PeerManager.Offence, close: GoodbyeReason?, detail: String)
    }

    /// What a heartbeat found on a connection.
    public enum TickResult: Sendable, Equatable {
        /// Nothing to do.
        case none
        /// A `ping` was queued.
        case pinged
        /// The dial did not connect within `dialTimeoutMilliseconds`.
        case dialTimedOut
        /// The handshake did not finish within its timeout.
        case handshakeTimedOut
        /// Nothing arrived for `pingTimeoutMilliseconds`: the peer is gone.
        case dead
        /// The ping did not fit the peer's send budget: it does not read.
        case tooSlow
    }
}
