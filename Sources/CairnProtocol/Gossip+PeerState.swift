import CairnCore
import DequeModule

extension Gossip.StateMachine {
    /// What the router remembers about one connected peer; every part is bounded.
    struct PeerState: Sendable {
        /// Ids the peer holds or does not want: it announced them, sent them, or sent `idontwant`.
        var knownIDs: SeenCache<BlobID>
        /// Ids of blobs the peer pushed unrequested, to spot the same blob pushed again and again.
        var pushedIDs: SeenCache<BlobID>
        /// When the peer last pushed an unrequested small blob (it has this node in its mesh).
        var lastPushAt: UInt64?
        /// Unrequested repeats of a blob this peer had already pushed, in the current heartbeat.
        var repeatsThisHeartbeat = 0

        init(knownIDsCapacity: Int) {
            knownIDs = SeenCache(capacity: knownIDsCapacity)
            pushedIDs = SeenCache(capacity: knownIDsCapacity)
        }
    }

    /// A blob being fetched with `want`: one announcer asked at a time, the rest waiting in order.
    struct Fetch: Sendable {
        /// The announcer asked last.
        var asked: PeerID
        /// When to ask the next announcer.
        var deadline: UInt64
        /// Announcers not asked yet, oldest first.
        var waiting: Deque<PeerID> = []
        /// Announcers remembered so far, the asked ones included (at most `maxAnnouncersPerID`).
        var announcerCount = 1

        init(asked: PeerID, deadline: UInt64) {
            self.asked = asked
            self.deadline = deadline
        }
    }

    /// A blob handed to the driver for verification.
    struct Verification: Sendable {
        /// When the `.verify` action was emitted.
        var started: UInt64
    }

    /// A want sent to one peer for one id: a blob arriving from that peer with that id was asked for.
    struct WantKey: Hashable, Sendable {
        var id: BlobID
        var peer: PeerID
    }

    /// Ids to send to several peers, one message per peer (split at `WireMessage.maxIDs`), in first-use order.
    struct IDBatch {
        private var order: [PeerID] = []
        private var ids: [PeerID: [BlobID]] = [:]

        mutating func add(_ id: BlobID, for peer: PeerID) {
            if ids[peer] == nil { order.append(peer) }
            ids[peer, default: []].append(id)
        }

        func actions(_ message: ([BlobID]) -> WireMessage) -> [Gossip.Action] {
            var actions: [Gossip.Action] = []
            for peer in order {
                let list = ids[peer]!
                for start in stride(from: 0, to: list.count, by: WireMessage.maxIDs) {
                    let chunk = Array(list[start..<min(start + WireMessage.maxIDs, list.count)])
                    actions.append(.send(message(chunk), to: peer, lane: .eager))
                }
            }
            return actions
        }
    }
}
