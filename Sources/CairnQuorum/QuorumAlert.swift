import CairnCore

/// Something a watcher should hear about, raised by `QuorumState` as blobs are folded in.
///
/// `decided`, `epochEnded` and `election` follow the pure state: every node raises them for the same heights and
/// epochs. `equivocation` names the first double sign this node found per signer, and `censored` is this node's
/// observation (it measures how long the node itself has held a slip): both may differ between nodes.
public enum QuorumAlert: Sendable, Hashable {
    /// A height was decided.
    case decided(QuorumDecision)
    /// An epoch ended (length, recall or evidence).
    case epochEnded(QuorumEpoch)
    /// A new epoch was elected and starts at its `start`.
    case election(QuorumEpoch)
    /// The first double sign found by this signer (stake-table keys only).
    case equivocation(QuorumEquivocation)
    /// A valid slip or candidacy this node has held for `vote_commit_heights` decided heights is missing from the
    /// vote set of the last decided height: the proposers are leaving it out.
    case censored(blob: BlobID, author: PublicKey, heldSinceHeight: UInt64, decidedHeight: UInt64)
    /// A decision this node had reported changed or disappeared: one of the limits in Docs/QUORUM.md was hit.
    case decisionRevised(old: QuorumDecision, new: QuorumDecision?)
    /// An election this node had reported changed (start or members): one of the limits in Docs/QUORUM.md was hit.
    case electionRevised(old: QuorumEpoch, new: QuorumEpoch?)

    /// The SSE topic of the alert.
    public var topic: String {
        switch self {
        case .decided: "decided"
        case .epochEnded, .election, .electionRevised: "election"
        case .equivocation: "equivocation"
        case .censored: "censored"
        case .decisionRevised: "decided"
        }
    }
}
