import CairnCore

/// What went wrong in the blob store. Every case carries the value that caused it.
public enum StoreError: Error, Sendable, Equatable {
    /// An `mdb_*` call returned an unexpected code; `message` is `mdb_strerror(code)`.
    case lmdb(operation: String, code: Int32, message: String)
    /// The directory holds something that is not a readable LMDB environment, or LMDB found a damaged page.
    case corrupt(path: String, reason: String)
    /// The directory holds an LMDB environment that was not written by Cairn.
    case foreignDatabase(path: String, reason: String)
    /// The store was written with a schema version this build does not read.
    case unsupportedSchema(found: UInt32, supported: UInt32)
    /// `put(encoding:)` was given bytes that do not decode or verify; nothing was stored.
    case invalidBlob(CoreError)
    /// `record` was given evidence whose encoding does not decode and verify as the same evidence (a blob that does
    /// not verify or is too large, kind 0); nothing of it was stored.
    case invalidEvidence(id: EvidenceID, CoreError)
    /// `data.mdb` is shorter than its own meta page says (`expectedBytes`: the last page in use, plus one, times the page
    /// size): it was cut short (a copy that stopped, a full disk during a copy). Refused at open, never mapped, since
    /// reading a page past the end of a mapped file kills the process with SIGBUS.
    case truncated(path: String, fileBytes: Int, expectedBytes: Int)
    /// The disk has no room for the write (`ENOSPC`, `EDQUOT`), the process's file-size limit was reached (`EFBIG`), or
    /// the map could not grow any further (`MDB_MAP_FULL`). Nothing of the transaction was stored; reads go on, and
    /// writes succeed again once there is room.
    case storageFull(operation: String, code: Int32, message: String)
    /// The store was closed.
    case closed
    /// The write queue already holds `limit` blobs.
    case tooManyPending(limit: Int)
    /// A custom event topic is empty, longer than `StoredEvent.maxTopicBytes` or one of the reserved topics.
    case invalidEventTopic(topic: String)
    /// A peer host is empty or longer than `PeerRecord.maxHostBytes` UTF-8 bytes.
    case invalidPeerHost(host: String)
    /// A reconciliation snapshot was asked for an item at a rank outside `0..<count`, or for ranks outside
    /// `0..<count` (`rank` is then the offending end of the range).
    case rankOutOfRange(rank: Int, count: Int)
}
