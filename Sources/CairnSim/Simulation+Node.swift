import CairnCore
import CairnProtocol

extension Simulation {
    /// One simulated node: an honest replica (up or down) or a hostile peer, with what survives a restart (its
    /// store, peer book and bans).
    struct Node {
        /// The node's index (its address derives from it).
        let index: Int
        /// Where it listens.
        let address: PeerAddress
        /// Its node key.
        let identity: SigningKey
        /// The addresses it is configured with.
        var bootstrap: [PeerAddress] = []
        /// The running replica; `nil` while down, and always for hostile peers.
        var replica: Replica.StateMachine?
        /// The hostile behaviour, for hostile peers.
        var hostile: HostilePeer?
        /// Whether it is running.
        var isUp = false
        /// Counts restarts; results of work started by an earlier incarnation are dropped.
        var incarnation = 0
        /// Its connections by the id it knows them by.
        var connections: [Connection.ID: EndReference] = [:]
        /// The next connection id a hostile peer gives out (replicas choose their own).
        var nextHostileConnection: Connection.ID = 1
        /// The pending `.wake` instant (microseconds), `.max` when none.
        var wakeAt = UInt64.max
        /// Identifies the latest `.wake`; older ticks are stale.
        var wakeToken: UInt64 = 0
        /// When its CPU is free for the next verification (microseconds).
        var cpuFreeAt: UInt64 = 0
        /// When it first held each interned blob (microseconds), `.max` if it does not; the in-memory store's
        /// index (the blob values themselves are shared by all nodes).
        var held: [UInt64] = []
        /// The in-memory store's reconciliation set.
        var syncItems = SortedSyncItems()
        /// Published simulation blobs it holds (its store survives restarts, so this does too).
        var heldPublished = 0
        /// The persisted address book: address → order of remembering.
        var book: [PeerAddress: UInt64] = [:]
        /// The order of the next remembered address.
        var bookSerial: UInt64 = 0
        /// Persisted bans: key → end instant (milliseconds).
        var bans: [PublicKey: UInt64] = [:]
        /// Whether it is in the mesh: up, with a first peer since it last (re)started. Delivery (gossip) counts
        /// blobs published while a node is a member; convergence counts every node that is up.
        var isMember = false
        /// Simulation blobs published before it last became a member.
        var publishedBeforeMembership = 0
        /// Simulation blobs it published itself since it last became a member.
        var publishedAsMember = 0
        /// Simulation blobs published since it last became a member that it holds (its own excepted).
        var heldAsMember = 0
        /// Traffic of its earlier incarnations.
        var retired = Traffic()
        /// The in-memory store's evidence, in record order (it survives restarts).
        var evidence: [Evidence] = []
        /// The ids of `evidence`.
        var evidenceIDs: Set<EvidenceID> = []
        /// The last seq and id the store holds of each of the node's own channels, to sign the next blob.
        var heads: [ChannelName: (seq: UInt64, id: BlobID)] = [:]
        /// The plug-in host while up, when the scenario loads plug-ins.
        var plugins: PluginHost?
        /// Plug-in requests not carried out yet, in the order asked.
        var pluginRequests: [PluginHost.Request] = []
        /// Whether a `.plugins` event is scheduled.
        var pluginWorkScheduled = false
        /// The events its plug-ins appended, over all incarnations (the event log survives restarts).
        var events: [LoggedEvent] = []
        /// Whether it is one of the scenario quorum's initial members, which sign heights.
        var isQuorumMember = false

        /// Whether it runs a replica (else it is hostile).
        var isHonest: Bool { hostile == nil }

        /// Whether it holds the interned blob `blob`.
        func holds(_ blob: Int) -> Bool { blob < held.count && held[blob] != .max }
    }

    /// Running totals of a replica's traffic, summed over incarnations.
    struct Traffic: Sendable, Equatable {
        /// Bytes of `blob` records sent (record framing included).
        var blobBytesSent = 0
        /// `blob` messages pushed to mesh peers.
        var pushes = 0
        /// Blob ids requested from it (each answered with a `blob` message when held).
        var served = 0
        /// Blob ids announced in `have`.
        var haves = 0
        /// Blob ids asked for in `want`.
        var wants = 0
        /// Blob ids sent in `idontwant`.
        var idontwants = 0
        /// `blob` messages received.
        var blobsReceived = 0
        /// Blobs received that were duplicates.
        var duplicates = 0
        /// Bytes of `evidence` records sent (record framing included).
        var evidenceBytesSent = 0

        /// Adds a replica's totals.
        mutating func add(_ replica: Replica.StateMachine) {
            let gossip = replica.gossipStatistics
            blobBytesSent += replica.statistics.bytesSent[.blob] ?? 0
            pushes += gossip.blobPushes
            served += gossip.wantsReceived
            haves += gossip.havesSent
            wants += gossip.wantsSent
            idontwants += gossip.idontwantsSent
            blobsReceived += gossip.blobsReceived
            duplicates += gossip.duplicateBlobs
            evidenceBytesSent += replica.statistics.bytesSent[.evidence] ?? 0
        }

        /// Adds another total.
        mutating func add(_ other: Traffic) {
            blobBytesSent += other.blobBytesSent
            pushes += other.pushes
            served += other.served
            haves += other.haves
            wants += other.wants
            idontwants += other.idontwants
            blobsReceived += other.blobsReceived
            duplicates += other.duplicates
            evidenceBytesSent += other.evidenceBytesSent
        }

        /// Gossip messages: pushes, served blobs, and `have`, `want` and `idontwant` ids.
        var messages: Int { pushes + served + haves + wants + idontwants }
    }
}
