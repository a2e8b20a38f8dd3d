import CairnProtocol

extension Simulation {
    /// Which end of a link.
    enum Side: Int, Sendable {
        /// The end that dialled.
        case dialer = 0
        /// The end that accepted.
        case acceptor = 1

        /// The far end.
        var other: Side { self == .dialer ? .acceptor : .dialer }
    }

    /// One end of a link.
    struct End {
        /// The node at this end.
        let node: Int
        /// The connection id this end's node knows the link by (0 until accepted).
        var connection: Connection.ID = 0
        /// Whether this end's node still has the connection.
        var isOpen = false
        /// When this end's sending direction is free again (bytes are serialised like a TCP stream).
        var sendFreeAt: UInt64 = 0
        /// When the last bytes sent from this end arrive at the far end (arrivals stay in order).
        var lastArrival: UInt64 = 0
        /// Bytes the transport took from this end's node and not yet reported `written`.
        var unreported = 0
    }

    /// A simulated TCP connection between two nodes.
    struct Link {
        /// The dialling end.
        var dialer: End
        /// The accepting end.
        var acceptor: End
        /// One-way latency, in microseconds.
        let latency: UInt64

        subscript(side: Side) -> End {
            get { side == .dialer ? dialer : acceptor }
            set {
                if side == .dialer { dialer = newValue } else { acceptor = newValue }
            }
        }
    }

    /// A link and one of its ends, packed in one integer for the per-node connection tables.
    struct EndReference: Hashable {
        private let packed: Int

        /// Refers to `side` of `link`.
        init(link: Int, side: Side) { packed = link << 1 | side.rawValue }

        /// The link.
        var link: Int { packed >> 1 }
        /// The end.
        var side: Side { Side(rawValue: packed & 1)! }
    }
}
