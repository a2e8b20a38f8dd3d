import CairnCore
import Foundation
import Testing

@testable import CairnStore

/// The reconciliation index on its own LMDB file, checked against a sorted array.
@Suite struct ReconciliationIndexTests {
    /// Node capacities: the smallest allowed (deep trees, splits everywhere), small, and one LMDB page.
    static let capacities: [(leaf: Int, inner: Int)?] = [(3, 3), (5, 4), (17, 9), nil]

    @Test(arguments: capacities)
    func randomInsertsMatchASortedArrayAcrossReopen(capacities: (leaf: Int, inner: Int)?) async throws {
        try await withTemporaryDirectory { path in
            var rng = SeededRandom(seed: 0x5EED_0001)
            let fixture = try IndexFixture(path: path, capacities: capacities)
            var model: [SyncItem] = []
            var modelSet: Set<SyncItem> = []
            let batches = capacities == nil ? 12 : 8
            for batch in 0..<batches {
                var items = (0..<500).map { _ in randomSyncItem(&rng) }
                // Repeats of stored items and of items earlier in the same batch.
                if !model.isEmpty { items += (0..<20).map { _ in model[Int(rng.next() % UInt64(model.count))] } }
                items += items.prefix(10)
                items.shuffle(using: &rng)
                let inserted = try fixture.insert(items)
                for (item, isNew) in zip(items, inserted) {
                    #expect(isNew == modelSet.insert(item).inserted)
                }
                model = modelSet.sorted()
                try fixture.withSnapshot { try expectMatches($0, model, probes: 60, rng: &rng) }
                if batch % 3 == 2 { try fixture.reopen() }
            }
            try fixture.reopen()
            try fixture.withSnapshot { try expectMatches($0, model, probes: 300, rng: &rng) }
        }
    }

    @Test func ascendingAndDescendingInsertsMatchTheModel() async throws {
        try await withTemporaryDirectory { path in
            var rng = SeededRandom(seed: 0x5EED_0002)
            let fixture = try IndexFixture(path: path, capacities: (4, 3))
            let items = Set((0..<600).map { _ in randomSyncItem(&rng) }).sorted()
            try fixture.insert(Array(items[0..<300]))
            try fixture.insert(items[300...].reversed())
            try fixture.withSnapshot { try expectMatches($0, items, probes: 100, rng: &rng) }
        }
    }

    @Test func manyItemsInOneSecondWithSharedPrefixes() async throws {
        try await withTemporaryDirectory { path in
            var rng = SeededRandom(seed: 0x5EED_0003)
            let fixture = try IndexFixture(path: path, capacities: (6, 4))
            // 31 equal bytes, then one that differs: keys that differ only in their last byte.
            let items = (0...255).map { last in
                SyncItem(
                    timestamp: 1_700_000_000,
                    id: BlobID(unchecked: [UInt8](repeating: 0x42, count: 31) + [UInt8(last)])
                )
            }
            try fixture.insert(items.shuffled(using: &rng))
            try fixture.withSnapshot { (snapshot) throws in
                try expectMatches(snapshot, items, probes: 200, rng: &rng)
                // A bound with a shorter id prefix (padded with zeros) falls before every id that extends it.
                let prefixBound = SyncItem(
                    timestamp: 1_700_000_000,
                    id: BlobID(unchecked: [UInt8](repeating: 0x42, count: 31) + [0])
                )
                #expect(try snapshot.lowerBound(of: prefixBound, in: 0..<256) == 0)
                #expect(try snapshot.lowerBound(of: .infinity, in: 10..<20) == 20)
                #expect(try snapshot.lowerBound(of: SyncItem(timestamp: 0, id: .zero), in: 10..<20) == 10)
            }
        }
    }

    @Test func emptyIndex() async throws {
        try await withTemporaryDirectory { path in
            let fixture = try IndexFixture(path: path)
            try fixture.withSnapshot { (snapshot) throws in
                #expect(try snapshot.count() == 0)
                #expect(try snapshot.items(in: 0..<0).isEmpty)
                #expect(try snapshot.accumulator(of: 0..<0) == SyncAccumulator())
                #expect(try snapshot.lowerBound(of: .infinity, in: 0..<0) == 0)
                #expect(throws: StoreError.rankOutOfRange(rank: 0, count: 0)) { try snapshot.item(at: 0) }
            }
        }
    }

    @Test func ranksOutsideTheSetThrow() async throws {
        try await withTemporaryDirectory { path in
            var rng = SeededRandom(seed: 0x5EED_0004)
            let fixture = try IndexFixture(path: path, capacities: (3, 3))
            try fixture.insert((0..<50).map { _ in randomSyncItem(&rng) })
            try fixture.withSnapshot { (snapshot) throws in
                #expect(throws: StoreError.rankOutOfRange(rank: 50, count: 50)) { try snapshot.item(at: 50) }
                #expect(throws: StoreError.rankOutOfRange(rank: -1, count: 50)) { try snapshot.item(at: -1) }
                #expect(throws: StoreError.rankOutOfRange(rank: 51, count: 50)) { try snapshot.items(in: 3..<51) }
                #expect(throws: StoreError.rankOutOfRange(rank: -2, count: 50)) {
                    try snapshot.accumulator(of: -2..<4)
                }
                #expect(throws: StoreError.rankOutOfRange(rank: 60, count: 50)) {
                    try snapshot.lowerBound(of: .infinity, in: 0..<60)
                }
            }
        }
    }

    @Test func snapshotIsClosedAfterItsClosure() async throws {
        try await withTemporaryDirectory { path in
            let fixture = try IndexFixture(path: path)
            let kept = try fixture.withSnapshot { $0 }
            #expect(throws: StoreError.closed) { try kept.count() }
            #expect(throws: StoreError.closed) { try kept.items(in: 0..<0) }
        }
    }

    @Test func splitsOfAscendingInsertsLeaveFullNodes() async throws {
        try await withTemporaryDirectory { path in
            let fixture = try IndexFixture(path: path, capacities: (10, 10))
            let items = (0..<1000).map { SyncItem(timestamp: UInt64($0), id: .zero) }
            for chunk in stride(from: 0, to: items.count, by: 100) {
                try fixture.insert(Array(items[chunk..<chunk + 100]))
            }
            let nodes = try fixture.environment.read { (txn) throws(StoreError) -> UInt64 in
                try ReconciliationIndex(txn: txn, dbi: fixture.dbi).header.nextNodeID - 1
            }
            // 100 full leaves, 11 inner nodes above them and a root: not the ~200 leaves of even splits.
            #expect(nodes <= 113)
        }
    }
}
