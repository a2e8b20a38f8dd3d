import CairnCore
import CairnProtocol

extension Simulation {
    /// One scheduled event. Times are virtual microseconds; the replicas see milliseconds.
    enum Event {
        /// A node starts (at the beginning, late, or rejoining).
        case start(node: Int)
        /// A node leaves (it stops its replica; its store survives).
        case leave(node: Int)
        /// The simulation's blob `blob` is published by a random up node.
        case publish(blob: Int)
        /// A replica's `.wake`; stale unless `token` is the node's latest.
        case tick(node: Int, token: UInt64)
        /// A dial reached its target.
        case accept(link: Int)
        /// A dial's connect completed at the dialer.
        case dialed(link: Int)
        /// A dial was refused or timed out.
        case dialFailed(link: Int)
        /// Bytes arrive at one end of a link.
        case deliver(link: Int, to: Side, bytes: [UInt8])
        /// The transport of one end took `count` bytes.
        case written(link: Int, by: Side, count: Int)
        /// The far end closed: this end's transport ends.
        case closed(link: Int, to: Side)
        /// A blob verification finishes on a node.
        case verify(node: Int, incarnation: Int, bytes: [UInt8], id: BlobID, from: PeerID)
        /// An evidence verification finishes on a node.
        case verifyEvidence(node: Int, incarnation: Int, bytes: [UInt8], digest: Replica.EvidenceDigest, from: PeerID)
        /// A hostile peer acts.
        case hostileAct(node: Int)
        /// Fork `number`'s two blobs are published by two different nodes.
        case fork(number: Int)
        /// Partition `partition` heals (its links carry bytes again from this instant on).
        case heal(partition: Int)
        /// A node carries out its plug-ins' queued requests; stale unless `incarnation` is the node's.
        case plugins(node: Int, incarnation: Int)
        /// The quorum's block for `height` is available: members that may sign it do.
        case quorumBlock(height: UInt64)

        /// The names of the kinds, by `traceKind` - 1.
        static let kindNames = [
            "start", "leave", "publish", "tick", "accept", "dialed", "dial failed", "deliver", "written", "closed",
            "verify", "verify evidence", "hostile", "fork", "heal", "plugins", "quorum block",
        ]

        /// The code folded into the trace hash.
        var traceKind: UInt64 {
            switch self {
            case .start: 1
            case .leave: 2
            case .publish: 3
            case .tick: 4
            case .accept: 5
            case .dialed: 6
            case .dialFailed: 7
            case .deliver: 8
            case .written: 9
            case .closed: 10
            case .verify: 11
            case .verifyEvidence: 12
            case .hostileAct: 13
            case .fork: 14
            case .heal: 15
            case .plugins: 16
            case .quorumBlock: 17
            }
        }
    }
}
