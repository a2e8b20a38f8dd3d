import CLMDB
import CairnCore
import Foundation

/// The reconciliation index's size, for benchmarks.
@_spi(Benchmarks)
public struct ReconciliationIndexFootprint: Sendable {
    /// Items in the index.
    public let items: Int
    /// Index nodes (one LMDB overflow page each at the default capacities).
    public let nodes: Int
    /// Levels of the index, leaves included.
    public let levels: Int
    /// LMDB pages the `reconciliation` database occupies (its own B-tree and the overflow pages of the nodes).
    public let pages: Int
    /// The environment's page size in bytes.
    public let pageSize: Int
    /// Items per leaf at most.
    public let leafCapacity: Int
    /// Children per inner node at most.
    public let innerCapacity: Int
}

extension BlobStore {
    /// Inserts `items` into the reconciliation index in one write transaction on the calling thread, without blobs.
    /// For benchmarks only: the index then holds items no stored blob accounts for.
    /// - Returns: how many items were new.
    @_spi(Benchmarks)
    public func insertReconciliationItemsWithoutBlobs(_ items: [SyncItem]) throws(StoreError) -> Int {
        var grows = 0
        while true {
            do throws(StoreError) {
                return try environment.write { (txn) throws(StoreError) -> Int in
                    var index = try ReconciliationIndex(txn: txn, dbi: databases.reconciliation)
                    var inserted = 0
                    for item in items where try index.insert(item) { inserted += 1 }
                    try index.saveHeader()
                    return inserted
                }
            } catch {
                guard case .lmdb(_, MDB_MAP_FULL, _) = error, grows < GroupCommitter.maxMapGrowsPerBatch else {
                    throw error
                }
                grows += 1
                _ = try environment.growMap()
            }
        }
    }

    /// The reconciliation index's size.
    @_spi(Benchmarks)
    public func reconciliationIndexFootprint() throws(StoreError) -> ReconciliationIndexFootprint {
        try environment.read { (txn) throws(StoreError) -> ReconciliationIndexFootprint in
            let index = try ReconciliationIndex(txn: txn, dbi: databases.reconciliation)
            let stat = try txn.statistics(databases.reconciliation)
            let root = try index.rootNode()
            return ReconciliationIndexFootprint(
                items: index.count,
                nodes: Int(index.header.nextNodeID - 1),
                levels: Int(root.level) + 1,
                pages: Int(stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages),
                pageSize: Int(stat.ms_psize),
                leafCapacity: index.header.leafCapacity,
                innerCapacity: index.header.internalCapacity
            )
        }
    }
}

extension BlobStore {
    /// Turns the closed store in `directory` into what schema 1 wrote (no `reconciliation` database, the encodings in
    /// `blobs`, schema 1 in `meta`), so that a benchmark can time the upgrade. For benchmarks only.
    @_spi(Benchmarks)
    public static func downgradeToSchemaOne(directory: String) throws(StoreError) {
        // Dropping the index grows LMDB's free list: leave the map room beyond the data.
        let dataBytes = (try? FileManager.default.attributesOfItem(atPath: directory + "/data.mdb")[.size] as? Int) ?? 0
        let environment = try LMDBEnvironment(
            path: directory,
            mapSizeBytes: 2 * dataBytes + StoreConfiguration.defaultInitialMapSizeBytes,
            maxDatabases: StoreDatabases.maxDatabases,
            durable: true
        )
        defer { environment.close() }
        try environment.write { (txn) throws(StoreError) in
            guard let meta = try txn.openDatabase("meta", create: false),
                let index = try txn.openDatabase(ReconciliationIndex.databaseName, create: false)
            else { throw .corrupt(path: directory, reason: "not a store of schema 2 or later") }
            try txn.deleteDatabase(index)
            try BlobBodies.writeSchemaFourLayout(txn: txn)
            try txn.put(meta, Keys.schemaKey, Keys.uint32(1))
        }
    }
}
