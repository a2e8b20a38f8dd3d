import CairnCore

/// What one committed write transaction added, as the commit observer is told.
public struct StoreCommit: Sendable, Equatable {
    /// Every blob the commit stored, in put order, whether or not its chain is complete: what components that must
    /// see each blob as soon as it is stored (plug-ins, evidence) read.
    public let storedBlobs: [BlobID]
    /// The events the commit appended to the log, in sequence order (possibly none). A `blob` event here may be of a
    /// blob stored by an earlier commit, whose chain this one completed.
    public let events: [StoredEvent]

    /// Builds a commit; the store makes these, tests and fakes may too.
    public init(storedBlobs: [BlobID], events: [StoredEvent]) {
        self.storedBlobs = storedBlobs
        self.events = events
    }
}
