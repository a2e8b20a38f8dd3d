import CairnCore

/// An in-memory reconciliation set: items in a sorted array with prefix sums of their ids, so a range's
/// accumulator is one subtraction. Building from many items sorts once; inserting one item is linear in the items
/// after it, which is cheap for the thousand-item sets of a simulated replica.
public struct SortedSyncItems: ReconciliationStorage, Sendable {
    /// The items, ascending, without duplicates.
    public private(set) var items: [SyncItem] = []
    /// `prefixSums[r]` is the accumulator of `items[0..<r]`.
    private var prefixSums: [SyncAccumulator] = [SyncAccumulator()]

    /// An empty set.
    public init() {}

    /// The set of `items` (duplicates are kept once).
    public init(_ items: some Sequence<SyncItem>) {
        var sorted = Array(items)
        sorted.sort()
        self.items = sorted
        removeDuplicatesAndRebuild(from: 0)
    }

    /// Adds `item` unless the set holds it already.
    /// - Returns: `true` when the item was new.
    @discardableResult
    public mutating func insert(_ item: SyncItem) -> Bool {
        let rank = lowerBound(of: item, in: 0..<items.count)
        if rank < items.count && items[rank] == item { return false }
        items.insert(item, at: rank)
        prefixSums.insert(prefixSums[rank], at: rank + 1)
        for index in (rank + 1)..<prefixSums.count { prefixSums[index].add(item.id) }
        return true
    }

    /// Adds every item of `newItems`, re-sorting once: the way to add many items to a large set.
    public mutating func insert(contentsOf newItems: some Sequence<SyncItem>) {
        let added = newItems.sorted()
        guard let first = added.first else { return }
        let start = lowerBound(of: first, in: 0..<items.count)
        var merged = Array(items[..<start])
        merged.reserveCapacity(items.count + added.count)
        var old = start
        var new = 0
        while old < items.count || new < added.count {
            if new == added.count || (old < items.count && items[old] < added[new]) {
                merged.append(items[old])
                old += 1
            } else {
                merged.append(added[new])
                new += 1
            }
        }
        items = merged
        removeDuplicatesAndRebuild(from: start)
    }

    /// `true` when the set holds `item`.
    public func contains(_ item: SyncItem) -> Bool {
        let rank = lowerBound(of: item, in: 0..<items.count)
        return rank < items.count && items[rank] == item
    }

    public func count() -> Int { items.count }

    public func item(at rank: Int) -> SyncItem { items[rank] }

    public func items(in ranks: Range<Int>) -> [SyncItem] { Array(items[ranks]) }

    public func lowerBound(of bound: SyncItem, in ranks: Range<Int>) -> Int {
        var low = ranks.lowerBound
        var high = ranks.upperBound
        while low < high {
            let middle = low + (high - low) / 2
            if items[middle] < bound { low = middle + 1 } else { high = middle }
        }
        return low
    }

    public func accumulator(of ranks: Range<Int>) -> SyncAccumulator {
        var sum = prefixSums[ranks.upperBound]
        sum.remove(prefixSums[ranks.lowerBound])
        return sum
    }

    /// Drops adjacent duplicates at or after `start` and recomputes the prefix sums from there.
    private mutating func removeDuplicatesAndRebuild(from start: Int) {
        var kept = start
        for index in start..<items.count where kept == 0 || items[index] != items[kept - 1] {
            items[kept] = items[index]
            kept += 1
        }
        items.removeSubrange(kept...)
        prefixSums.removeSubrange((start + 1)...)
        prefixSums.reserveCapacity(items.count + 1)
        var sum = prefixSums[start]
        for item in items[start...] {
            sum.add(item.id)
            prefixSums.append(sum)
        }
    }
}
