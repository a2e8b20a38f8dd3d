import CairnCore
import Testing

@testable import CairnProtocol

@Suite("SortedSyncItems")
struct NegentropyStorageTests {
    static func randomItems(_ count: Int, seed: UInt64) -> [SyncItem] {
        var generator = SeededRandom(seed: seed)
        return (0..<count).map { _ in SyncItem(timestamp: UInt64(generator.below(50)), id: randomID(&generator)) }
    }

    @Test func insertKeepsOrderAndRefusesDuplicates() {
        let items = Self.randomItems(300, seed: 1)
        var set = SortedSyncItems()
        let inserted = items.map { set.insert($0) }
        #expect(inserted.allSatisfy { $0 })
        let again = set.insert(items[17])
        #expect(!again)
        #expect(set.items == items.sorted())
        #expect(set.contains(items[42]))
        #expect(set.items == SortedSyncItems(items + items.prefix(10)).items)
    }

    @Test func prefixSumsMatchDirectSums() {
        var set = SortedSyncItems(Self.randomItems(200, seed: 2))
        set.insert(contentsOf: Self.randomItems(100, seed: 3) + Self.randomItems(5, seed: 2))
        for item in Self.randomItems(20, seed: 4) { set.insert(item) }
        #expect(set.count() == 320)
        var generator = SeededRandom(seed: 5)
        for _ in 0..<200 {
            let a = generator.below(set.count() + 1)
            let b = generator.below(set.count() + 1)
            let ranks = min(a, b)..<max(a, b)
            var direct = SyncAccumulator()
            for item in set.items(in: ranks) { direct.add(item.id) }
            #expect(set.accumulator(of: ranks) == direct)
        }
    }

    @Test func lowerBoundTakesBoundsAsPaddedItems() {
        let set = SortedSyncItems([
            SyncItem(timestamp: 5, id: negentropyID(0x10, 0x00)), SyncItem(timestamp: 5, id: negentropyID(0x10, 0x01)),
            SyncItem(timestamp: 6, id: negentropyID(0x00)),
        ])
        #expect(set.lowerBound(of: NegentropyBound(timestamp: 5, idPrefix: [0x10, 0x01]).item, in: 0..<3) == 1)
        #expect(set.lowerBound(of: NegentropyBound(timestamp: 6).item, in: 0..<3) == 2)
        #expect(set.lowerBound(of: NegentropyBound.infinity.item, in: 0..<3) == 3)
    }
}
