import CairnCore
import CairnStore

/// Why the node refused or could not complete a request.
public enum NodeError: Error, Equatable, Sendable {
    /// The input is not a valid Cairn object.
    case invalid(CoreError)
    /// The store failed or refused the write.
    case store(StoreError)
    /// The node is shutting down and takes no new work.
    case shuttingDown
    /// The component that owns the blob's channel refuses its payload (`ChannelRules`).
    case refused(owner: String, reason: String)
    /// The store's quota (`[storage]` author and total bounds) refuses the blob: this node's policy, not the
    /// protocol's; nothing was stored.
    case quotaExceeded(QuotaRefusal)
}
