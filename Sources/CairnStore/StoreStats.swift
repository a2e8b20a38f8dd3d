/// Counts kept by the store, read in one transaction.
public struct StoreStats: Sendable {
    /// Stored blobs.
    public let blobs: Int
    /// The sum of the stored blobs' payload sizes.
    public let payloadBytes: Int
    /// Stored evidence.
    public let evidence: Int
    /// The sequence of the newest event, zero when there is none.
    public let lastEventSeq: UInt64
    /// The current LMDB map size.
    public let mapSizeBytes: Int

    /// Builds a stats value; the store makes these, tests and fakes may too.
    public init(blobs: Int, payloadBytes: Int, evidence: Int, lastEventSeq: UInt64, mapSizeBytes: Int) {
        self.blobs = blobs
        self.payloadBytes = payloadBytes
        self.evidence = evidence
        self.lastEventSeq = lastEventSeq
        self.mapSizeBytes = mapSizeBytes
    }
}
