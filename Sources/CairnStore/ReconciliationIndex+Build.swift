import CLMDB
import CairnCore
import Foundation
import Logging

extension ReconciliationIndex {
    /// How often a long index build logs its progress, in items.
    static let buildProgressInterval: UInt64 = 100_000

    /// Writes a whole index into an empty database bottom-up from keys given in ascending order: every node is
    /// written once, full (but the last of each level), under ids in increasing order (`MDB_APPEND`).
    struct Builder {
        let txn: LMDBTransaction
        let dbi: MDB_dbi
        let leafCapacity: Int
        let internalCapacity: Int
        /// The node being filled at each level, leaves first; never empty above level 0.
        private var open: [ReconciliationNode] = [ReconciliationNode(level: 0)]
        /// How many nodes of each level were written.
        private var written: [Int] = [0]
        private var nextNodeID: UInt64 = 1
        private var lastKey: [UInt8]?
        private(set) var itemCount: UInt64 = 0

        /// A builder writing into `dbi`, which must be empty.
        init(txn: LMDBTransaction, dbi: MDB_dbi) throws(StoreError) {
            self.txn = txn
            self.dbi = dbi
            (leafCapacity, internalCapacity) = ReconciliationIndex.capacities(pageSize: try txn.pageSize())
        }

        /// Adds the next key, which must be greater than the one before.
        mutating func append(_ key: [UInt8]) throws(StoreError) {
            precondition(key.count == ReconciliationNode.keyBytes, "index keys are 40 bytes")
            if let lastKey, !lastKey.lexicographicallyPrecedes(key) {
                throw .corrupt(path: txn.path, reason: "reconciliation index build: keys out of order or repeated")
            }
            if open[0].count == leafCapacity { try flush(level: 0) }
            open[0].insert(key: key, at: open[0].count)
            lastKey = key
            itemCount += 1
        }

        /// Writes the open nodes and the header.
        mutating func finish() throws(StoreError) {
            var level = 0
            while level < open.count - 1 || written[level] > 0 {
                try flush(level: level)
                level += 1
            }
            let root = try writeNew(open[level])
            let header = Header(
                leafCapacity: leafCapacity,
                internalCapacity: internalCapacity,
                root: root,
                nextNodeID: nextNodeID,
                itemCount: itemCount
            )
            try txn.put(dbi, ReconciliationIndex.headerKey, header.encoded)
        }

        /// Writes the open node of `level` and enters it in its parent.
        private mutating func flush(level: Int) throws(StoreError) {
            let node = open[level]
            let id = try writeNew(node)
            written[level] += 1
            if level + 1 == open.count {
                open.append(ReconciliationNode(level: UInt8(level + 1)))
                written.append(0)
            }
            if open[level + 1].count == internalCapacity { try flush(level: level + 1) }
            open[level + 1].insert(key: node.key(at: 0), child: id, sum: node.sum, at: open[level + 1].count)
            open[level] = ReconciliationNode(level: UInt8(level))
        }

        private mutating func writeNew(_ node: ReconciliationNode) throws(StoreError) -> UInt64 {
            let id = nextNodeID
            nextNodeID += 1
            guard try txn.put(dbi, ReconciliationIndex.nodeKey(id), node.bytes, flags: MDB_APPEND) else {
                throw .corrupt(path: txn.path, reason: "reconciliation index build: database not empty")
            }
            return id
        }
    }

    /// Replaces the contents of `dbi` with the index of every stored blob, in one pass over the `sync` database
    /// (millisecond timestamp ‖ id, written with every blob since schema 1), whose entries of one second are
    /// contiguous and only need sorting by id among themselves.
    /// - Returns: the number of items.
    /// - Throws: `.corrupt` when `sync` and `ids` hold different numbers of entries, or a `sync` key is malformed.
    @discardableResult
    static func rebuild(
        txn: LMDBTransaction,
        dbi: MDB_dbi,
        from databases: StoreDatabases,
        logger: Logger
    ) throws(StoreError) -> UInt64 {
        let blobCount = try BlobBodies(txn: txn, databases: databases).count()
        let syncCount = try txn.entryCount(databases.sync)
        guard blobCount == syncCount else {
            throw .corrupt(path: txn.path, reason: "`sync` holds \(syncCount) entries for \(blobCount) blobs")
        }
        let clock = ContinuousClock()
        let start = clock.now
        logger.notice("building the reconciliation index", metadata: ["blobs": "\(blobCount)"])
        try txn.empty(dbi)
        var builder = try Builder(txn: txn, dbi: dbi)
        try txn.withCursor(databases.sync) { (cursor) throws(StoreError) in
            var second: UInt64?
            var keys: [[UInt8]] = []
            func flushSecond() throws(StoreError) {
                keys.sort { $0.lexicographicallyPrecedes($1) }
                for key in keys {
                    try builder.append(key)
                    if builder.itemCount % buildProgressInterval == 0 {
                        logger.info(
                            "building the reconciliation index",
                            metadata: ["items": "\(builder.itemCount)", "blobs": "\(blobCount)"]
                        )
                    }
                }
                keys.removeAll(keepingCapacity: true)
            }
            var entry = try cursor.get(MDB_FIRST)
            while let current = entry {
                guard current.key.count == ReconciliationNode.keyBytes,
                    let milliseconds = Keys.decode(current.key[..<8], as: UInt64.self)
                else {
                    throw .corrupt(path: txn.path, reason: "sync key of \(current.key.count) bytes")
                }
                let item = SyncItem(
                    blobTimestampMilliseconds: milliseconds,
                    id: BlobID(unchecked: Array(current.key[8...]))
                )
                if item.timestamp != second {
                    try flushSecond()
                    second = item.timestamp
                }
                keys.append(Keys.sync(timestamp: item.timestamp, id: item.id))
                entry = try cursor.get(MDB_NEXT)
            }
            try flushSecond()
        }
        try builder.finish()
        let elapsed = clock.now - start
        logger.notice(
            "built the reconciliation index",
            metadata: ["items": "\(builder.itemCount)", "seconds": "\(Self.seconds(elapsed))"]
        )
        return builder.itemCount
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.3f", Double(seconds) + Double(attoseconds) / 1e18)
    }
}
