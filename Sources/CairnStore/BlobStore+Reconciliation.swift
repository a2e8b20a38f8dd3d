import CairnCore

extension BlobStore {
    /// Runs `body` with a snapshot of the reconciliation index, taken in one LMDB read transaction that ends when
    /// `body` returns; the snapshot must not be kept. Writers are not blocked meanwhile, but the map cannot grow
    /// until it ends, so keep `body` short (one reconciliation message) and call no other store method inside it.
    /// - Throws: a `StoreError` when the transaction cannot start or the index header is damaged, or what `body`
    ///   throws.
    public func withReconciliationSnapshot<T>(_ body: (ReconciliationSnapshot) throws -> T) throws -> T {
        let result = try environment.read { (txn) throws(StoreError) -> Result<T, any Error> in
            let snapshot = ReconciliationSnapshot(
                index: try ReconciliationIndex(txn: txn, dbi: databases.reconciliation)
            )
            defer { snapshot.close() }
            return Result { try body(snapshot) }
        }
        return try result.get()
    }

    /// The number of items in the reconciliation index: one per stored blob.
    public func reconciliationCount() throws(StoreError) -> Int {
        try environment.read { (txn) throws(StoreError) -> Int in
            try ReconciliationIndex(txn: txn, dbi: databases.reconciliation).count
        }
    }
}
