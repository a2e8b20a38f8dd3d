import CairnCore

/// Where a `BlobStore` lives and the bounds it runs with.
public struct StoreConfiguration: Sendable {
    /// The default initial map size: 64 MiB.
    public static let defaultInitialMapSizeBytes = 64 * 1024 * 1024
    /// The default number of blobs written in one transaction.
    public static let defaultMaxBatchBlobs = 1000
    /// The default bound on blobs waiting for the writer.
    public static let defaultMaxPendingWrites = 100_000
    /// The default bound on the peer book.
    public static let defaultMaxPeerRecords = 4096
    /// The default number of events the event log keeps.
    public static let defaultMaxRetainedEvents = 1_000_000

    /// The LMDB environment directory; created with mode 0700 when missing.
    public var directory: String
    /// The map size the environment is opened with; it doubles whenever a write finds the map full.
    public var initialMapSizeBytes: Int
    /// The most blobs (and custom events and peer-book writes) written in one write transaction.
    public var maxBatchBlobs: Int
    /// The bound on queued blobs (and other writes); a write beyond it throws `StoreError.tooManyPending`.
    public var maxPendingWrites: Int
    /// The largest payload `put(encoding:)` accepts.
    public var maxPayloadBytes: Int
    /// `true` (the default) fsyncs every commit; `false` opens with `MDB_NOSYNC`, for benchmarks only.
    public var durable: Bool
    /// The most records the peer book keeps; remembering one more evicts the least recently seen.
    public var maxPeerRecords: Int
    /// The most events the event log keeps (at least 1): each commit drops the oldest beyond it, at most the events
    /// it appended plus `BatchWriter.extraEventsDroppedPerCommit`, so a lowered bound is reached over several commits.
    public var maxRetainedEvents: Int
    /// Bounds on what the store holds per author and in total; `.unbounded` by default.
    public var quota: StoreQuota

    /// A configuration for `directory` with every other setting at its default.
    public init(directory: String) {
        self.directory = directory
        self.initialMapSizeBytes = Self.defaultInitialMapSizeBytes
        self.maxBatchBlobs = Self.defaultMaxBatchBlobs
        self.maxPendingWrites = Self.defaultMaxPendingWrites
        self.maxPayloadBytes = SignedBlob.defaultMaxPayloadBytes
        self.durable = true
        self.maxPeerRecords = Self.defaultMaxPeerRecords
        self.maxRetainedEvents = Self.defaultMaxRetainedEvents
        self.quota = .unbounded
    }
}
