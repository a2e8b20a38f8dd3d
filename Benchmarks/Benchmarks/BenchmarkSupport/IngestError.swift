import CairnStore

/// What made a benchmark iteration's result unusable.
public enum IngestError: Error, Sendable {
    /// The store holds another number of blobs than the iteration ingested.
    case storedCountMismatch(expected: Int, stored: Int)
    /// A put answered `.duplicate` although every blob of the corpus is new to the fresh store.
    case unexpectedDuplicate(index: Int)
    /// The HTTP API answered a POST with another status than 201 Created.
    case unexpectedStatus(code: Int, index: Int)
    /// The in-process server never reported its port.
    case serverDidNotStart
    /// A pre-signed blob of the corpus did not verify.
    case invalidCorpus
}
