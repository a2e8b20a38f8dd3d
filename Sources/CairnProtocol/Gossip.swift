import CairnCore

/// A peer in the gossip mesh, named by its authenticated node key.
public typealias PeerID = PublicKey

/// The sans-I/O gossip router: which blobs, announcements and requests go to which peer.
///
/// Anchored on gossipsub v1.1/v1.2: small blobs are pushed eagerly to a mesh of D peers and announced lazily
/// (`have`) to D_lazy others; blobs larger than `eagerPushMaxBytes` are announced to every peer and fetched with
/// `want` from one announcer at a time; `idontwant` suppresses pushes of blobs a peer already holds; a heartbeat
/// repairs the mesh and retries unanswered wants. Evidence is flooded to every peer, once.
///
/// The mesh is local: WireMessage has no GRAFT or PRUNE, so each node chooses the peers it pushes to and tells
/// nobody. A node accepts pushes from anyone. This keeps the protocol to the messages that exist; the cost is
/// that the mesh is not symmetric, so a node cannot ask its pushers to stop (it uses `idontwant` instead).
public enum Gossip {
    /// The send priority of a message; the driver's per-peer queue drops `lazy` first and sends `evidence`
    /// ahead of everything.
    public enum Lane: Sendable, Equatable {
        /// Equivocation evidence: ahead of all queued traffic, never dropped.
        case evidence
        /// Blob pushes, announcements of large blobs, wants and idontwants.
        case eager
        /// Gossip announcements of small blobs, which the mesh normally delivers anyway.
        case lazy
    }

    /// Why a peer is penalised.
    public enum Penalty: Sendable, Equatable {
        /// It sent a blob that failed verification.
        case invalidBlob
        /// It pushed a blob larger than `eagerPushMaxBytes` that this node had not asked it for.
        case unrequestedLargeBlob
        /// It sent the same blob again and again, more than the mesh explains.
        case duplicateFlood
        /// It sent a message no honest peer sends (an empty id list).
        case malformed
    }

    /// What the driver must do after an event.
    public enum Action: Sendable, Equatable {
        /// Sends `message` to `peer` on `lane`.
        case send(WireMessage, to: PeerID, lane: Lane)
        /// Verifies the blob encoding off the loop, stores it, then calls `verified` or `rejected`.
        case verify([UInt8], id: BlobID, from: PeerID)
        /// Reads these blobs from the store and sends those it has to `peer` as `.blob`.
        case serve([BlobID], to: PeerID)
        /// Lowers the peer's score (and may disconnect or ban it).
        case penalise(PeerID, Gossip.Penalty)
    }
}
