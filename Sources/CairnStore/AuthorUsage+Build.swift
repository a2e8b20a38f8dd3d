import CLMDB
import CairnCore
import Logging

extension AuthorUsage {
    /// Replaces the `authors` database with the usage of every stored blob, in one pass over `blobs`.
    /// - Returns: the number of authors.
    /// - Throws: `.corrupt` when a stored blob does not decode.
    @discardableResult
    static func rebuild(txn: LMDBTransaction, databases: StoreDatabases, logger: Logger) throws(StoreError) -> Int {
        logger.notice("counting each author's stored blobs")
        try txn.empty(databases.authors)
        var usage: [PublicKey: AuthorUsage] = [:]
        try txn.withCursor(databases.blobs) { (cursor) throws(StoreError) in
            var entry = try cursor.get(MDB_FIRST)
            while let current = entry {
                let blob = try storedData(txn.path, "stored blob") { () throws(CoreError) in
                    try SignedBlob(trustedEncoding: current.value)
                }
                usage[blob.author, default: AuthorUsage()].add(payloadBytes: blob.payload.count)
                entry = try cursor.get(MDB_NEXT)
            }
        }
        for (author, value) in usage { try txn.put(databases.authors, author.bytes, value.encoding) }
        logger.notice("counted each author's stored blobs", metadata: ["authors": "\(usage.count)"])
        return usage.count
    }

    /// Counts one more stored blob.
    mutating func add(payloadBytes: Int) {
        blobs += 1
        self.payloadBytes += UInt64(payloadBytes)
    }
}
