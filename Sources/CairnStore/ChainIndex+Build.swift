import CLMDB
import CairnCore
import Foundation
import Logging

extension ChainIndex {
    /// How often a long chain index build logs its progress, in blobs.
    static let buildProgressInterval = 100_000

    /// Replaces the chain index with the one of every stored blob, in one pass over `slots` (each channel's slots are
    /// contiguous and in seq order, so one seq's linked ids are all that is kept), reading each blob's `prev`.
    ///
    /// Appends no events: a store written before schema 3 already logged a `blob` event for each of its blobs.
    /// - Returns: the number of blobs indexed.
    /// - Throws: `.corrupt` when a slot names a blob that is not stored or a slot key is malformed.
    @discardableResult
    static func rebuild(txn: LMDBTransaction, databases: StoreDatabases, logger: Logger) throws(StoreError) -> Int {
        let bodies = BlobBodies(txn: txn, databases: databases)
        let blobCount = try bodies.count()
        logger.notice("building the chain index", metadata: ["blobs": "\(blobCount)"])
        let clock = ContinuousClock()
        let start = clock.now
        try txn.empty(databases.chainHeights)
        try txn.empty(databases.chainWaiting)
        try txn.empty(databases.chainUnlinked)

        var indexed = 0
        var unlinked = 0
        try txn.withCursor(databases.slots) { (cursor) throws(StoreError) in
            var prefix: [UInt8] = []
            var height: UInt64 = 0
            // The seq before the current one and its linked ids; the current seq's linked ids.
            var previousSeq: UInt64 = 0
            var previousLinked: Set<BlobID> = []
            var currentSeq: UInt64 = 0
            var currentLinked: Set<BlobID> = []

            func finishChannel() throws(StoreError) {
                if height > 0 { try txn.put(databases.chainHeights, prefix, Keys.uint64(height)) }
            }

            var entry = try cursor.get(MDB_FIRST)
            while let current = entry {
                guard current.key.count > 41, let seq = Keys.decode(current.key.suffix(8), as: UInt64.self) else {
                    throw .corrupt(path: txn.path, reason: "slot key of \(current.key.count) bytes")
                }
                let keyPrefix = Array(current.key.dropLast(8))
                if keyPrefix != prefix {
                    try finishChannel()
                    (prefix, height, currentSeq, currentLinked) = (keyPrefix, 0, 0, [])
                }
                if seq != currentSeq {
                    (previousSeq, previousLinked) = (currentSeq, currentLinked)
                    (currentSeq, currentLinked) = (seq, [])
                }
                let id = BlobID(unchecked: current.value)
                guard let blob = try bodies.blob(id) else {
                    throw .corrupt(path: txn.path, reason: "slot names blob \(id.hex) that is not stored")
                }
                if seq == 1 || (previousSeq == seq - 1 && previousLinked.contains(blob.prev)) {
                    currentLinked.insert(id)
                    height = seq
                } else {
                    let key = Keys.chainWaiting(channelPrefix: prefix, belowSeq: seq - 1, prev: blob.prev)
                    try txn.put(databases.chainWaiting, key, id.bytes)
                    try txn.put(databases.chainUnlinked, id.bytes, [])
                    unlinked += 1
                }
                indexed += 1
                if indexed % buildProgressInterval == 0 {
                    logger.info(
                        "building the chain index",
                        metadata: ["indexed": "\(indexed)", "blobs": "\(blobCount)"]
                    )
                }
                entry = try cursor.get(MDB_NEXT)
            }
            try finishChannel()
        }
        let (seconds, attoseconds) = (clock.now - start).components
        logger.notice(
            "built the chain index",
            metadata: [
                "blobs": "\(indexed)", "unlinked": "\(unlinked)",
                "seconds": "\(String(format: "%.3f", Double(seconds) + Double(attoseconds) / 1e18))",
            ]
        )
        return indexed
    }
}
