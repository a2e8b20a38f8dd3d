import CairnCore

/// A consistent view of the store's reconciliation set: the items (timestamp in seconds, blob id) of every blob stored
/// when it was taken, addressed by rank. Every call reads O(log n) index pages (`items(in:)` O(log n + k)).
///
/// It lives in one LMDB read transaction and is valid only inside the `BlobStore.withReconciliationSnapshot` closure
/// that made it; afterwards every call throws `.closed`. It is not `Sendable`: LMDB lets a read transaction move
/// between threads only when its uses never overlap, and the closure keeps it on the caller's thread.
public final class ReconciliationSnapshot: ReconciliationStorage {
    private var index: ReconciliationIndex?

    init(index: ReconciliationIndex) {
        self.index = index
    }

    /// Ends the snapshot's use; the transaction is ended by the caller.
    func close() {
        index = nil
    }

    private func openIndex() throws(StoreError) -> ReconciliationIndex {
        guard let index else { throw .closed }
        return index
    }

    /// How many items the set holds.
    /// - Throws: `.closed` outside the closure.
    public func count() throws(StoreError) -> Int {
        try openIndex().count
    }

    /// The item at `rank`.
    /// - Throws: `.rankOutOfRange` outside `0..<count()`, `.corrupt` for a damaged index page, `.closed`, `.lmdb`.
    public func item(at rank: Int) throws(StoreError) -> SyncItem {
        try openIndex().item(at: rank)
    }

    /// The items at `ranks`, in order.
    /// - Throws: `.rankOutOfRange` when `ranks` is not inside `0..<count()`, else as `item(at:)`.
    public func items(in ranks: Range<Int>) throws(StoreError) -> [SyncItem] {
        try openIndex().items(in: ranks)
    }

    /// The first rank in `ranks` whose item is not less than `bound` (`ranks.upperBound` when none is).
    /// - Throws: as `items(in:)`.
    public func lowerBound(of bound: SyncItem, in ranks: Range<Int>) throws(StoreError) -> Int {
        try openIndex().lowerBound(of: bound, in: ranks)
    }

    /// The sum and count of the ids at `ranks`.
    /// - Throws: as `items(in:)`.
    public func accumulator(of ranks: Range<Int>) throws(StoreError) -> SyncAccumulator {
        try openIndex().accumulator(of: ranks)
    }
}

@available(*, unavailable)
extension ReconciliationSnapshot: Sendable {}
