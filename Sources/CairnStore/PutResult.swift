import CairnCore

/// Whether a put stored a new blob.
public enum PutOutcome: Sendable, Equatable {
    /// The blob was new and is now stored.
    case stored
    /// A blob with this id was already stored; nothing changed.
    case duplicate
    /// The store's quota refused the blob (`StoreConfiguration.quota`); nothing changed. A node's own policy: the
    /// blob is valid, and other nodes may hold it.
    case refused(QuotaRefusal)
}

/// The answer to one put, given after the transaction holding it committed.
public struct PutResult: Sendable, Equatable {
    /// The blob's id.
    public let id: BlobID
    /// Whether the blob was new.
    public let outcome: PutOutcome
    /// Evidence newly recorded by this put (a fork of the blob's slot), in the order it was found.
    public let evidence: [EvidenceID]

    /// Builds a result; the store makes these, tests and fakes may too.
    public init(id: BlobID, outcome: PutOutcome, evidence: [EvidenceID] = []) {
        self.id = id
        self.outcome = outcome
        self.evidence = evidence
    }
}
