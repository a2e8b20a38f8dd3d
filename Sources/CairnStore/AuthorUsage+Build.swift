import CLMDB
import CairnCore
import Logging

extension AuthorUsage {
    /// Replaces the `authors` database with the usage of every stored blob, in one pass over the stored blobs.
    /// - Returns: the number of authors.
    /// - Throws: `.corrupt` when a stored blob does not decode.
    @discardableResult
    static func rebuild(txn: LMDBTransaction, databases: StoreDatabases, logger: Logger) throws(StoreError) -> Int {
        logger.notice("counting each author's stored blobs")
        try txn.empty(databases.authors)
        var usage: [PublicKey: AuthorUsage] = [:]
        try BlobBodies(txn: txn, databases: databases).forEach { (blob) throws(StoreError) in
            usage[blob.author, default: AuthorUsage()].add(payloadBytes: blob.payload.count)
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
