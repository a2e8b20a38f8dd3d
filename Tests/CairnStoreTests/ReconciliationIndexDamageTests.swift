import CairnCore
import Foundation
import Testing

@testable import CairnStore

/// Damaged index pages give `.corrupt`, never a trap or an endless loop.
@Suite struct ReconciliationIndexDamageTests {
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case truncatedLeaf, leafLongerThanItsCount, leafMissingAnEntry, hugeEntryCount, moreEntriesThanAnyCapacity
        case innerChildCountsNothing
        case childIsItsParent, unknownLevel, missingLeaf, headerCountsOneMore, rootCountsTooMany

        var testDescription: String { rawValue }

        /// Applies the damage to the index in `dbi`; `leaf` and `root` are node ids.
        func apply(_ txn: LMDBTransaction, _ dbi: UInt32, root: UInt64, leaf: UInt64) throws(StoreError) {
            func edit(_ id: UInt64, _ change: (inout [UInt8]) -> Void) throws(StoreError) {
                var bytes = try txn.get(dbi, ReconciliationIndex.nodeKey(id))!
                change(&bytes)
                try txn.put(dbi, ReconciliationIndex.nodeKey(id), bytes)
            }
            switch self {
            case .truncatedLeaf: try edit(leaf) { $0.removeLast() }
            case .leafLongerThanItsCount: try edit(leaf) { $0 += [UInt8](repeating: 0, count: 40) }
            case .leafMissingAnEntry:
                try edit(leaf) {
                    $0.removeLast(ReconciliationNode.leafEntryBytes)
                    $0[2] -= 1
                }
            case .hugeEntryCount: try edit(leaf) { $0[1] = 0xFF }
            case .moreEntriesThanAnyCapacity:
                // 65,535 entries with the matching length: refused before an insert could overflow the count.
                try edit(leaf) { bytes in
                    bytes = [0, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 65_535 * ReconciliationNode.leafEntryBytes)
                }
            case .innerChildCountsNothing:
                try edit(root) { $0.replaceSubrange(3 + 48..<3 + 56, with: [UInt8](repeating: 0, count: 8)) }
            case .childIsItsParent:
                try edit(root) { $0.replaceSubrange(3 + 40..<3 + 48, with: Keys.uint64(root)) }
            case .unknownLevel: try edit(root) { $0[0] = 200 }
            case .missingLeaf: try txn.delete(dbi, ReconciliationIndex.nodeKey(leaf))
            case .headerCountsOneMore:
                var header = try ReconciliationIndex(txn: txn, dbi: dbi).header
                header.itemCount += 1
                try txn.put(dbi, ReconciliationIndex.headerKey, header.encoded)
            case .rootCountsTooMany:
                // The root's first child claims more items than it holds; the root's total matches the header.
                var header = try ReconciliationIndex(txn: txn, dbi: dbi).header
                header.itemCount += 5
                try txn.put(dbi, ReconciliationIndex.headerKey, header.encoded)
                try edit(root) { bytes in
                    let offset = 3 + 48
                    let count = Keys.decode(bytes[offset..<offset + 8], as: UInt64.self)! + 5
                    bytes.replaceSubrange(offset..<offset + 8, with: Keys.uint64(count))
                }
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func damagedPageIsCorrupt(damage: Damage) async throws {
        try await withTemporaryDirectory { path in
            var rng = SeededRandom(seed: 0x5EED_0201)
            let fixture = try IndexFixture(path: path, capacities: (4, 3))
            let model = Set((0..<300).map { _ in randomSyncItem(&rng) }).sorted()
            try fixture.insert(model.shuffled(using: &rng))
            try fixture.environment.write { (txn) throws(StoreError) in
                let index = try ReconciliationIndex(txn: txn, dbi: fixture.dbi)
                // The leftmost leaf: every operation below reaches it.
                var node = try index.rootNode()
                var leaf = index.header.root
                while !node.isLeaf {
                    leaf = node.childID(at: 0)
                    node = try index.child(of: node, at: 0)
                }
                try damage.apply(txn, fixture.dbi, root: index.header.root, leaf: leaf)
            }
            let n = model.count
            try fixture.withSnapshot { (snapshot) throws in
                try Self.expectCorrupt { try snapshot.item(at: 0) }
                try Self.expectCorrupt { try snapshot.items(in: 0..<2) }
                try Self.expectCorrupt { try snapshot.accumulator(of: 1..<n) }
                try Self.expectCorrupt { try snapshot.lowerBound(of: model[1], in: 0..<n) }
            }
            try Self.expectCorrupt { try fixture.insert([SyncItem(timestamp: 0, id: .zero)]) }
        }
    }

    @Test func damagedHeaderIsCorrupt() async throws {
        try await withTemporaryDirectory { path in
            let fixture = try IndexFixture(path: path, capacities: (4, 3))
            try fixture.insert([SyncItem(timestamp: 1, id: .zero)])
            try fixture.environment.write { (txn) throws(StoreError) in
                try txn.put(fixture.dbi, ReconciliationIndex.headerKey, [1, 2, 3])
            }
            try Self.expectCorrupt { try fixture.withSnapshot { try $0.count() } }
            try Self.expectCorrupt { try fixture.insert([SyncItem(timestamp: 2, id: .zero)]) }
        }
    }

    @Test func damagedStoreIndexFailsPutsAndReadsAndNothingIsStored() async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            let store = try BlobStore(configuration: configuration)
            defer { store.close() }
            _ = try await store.put(makeBlobs(count: 5))
            try store.environment.write { (txn) throws(StoreError) in
                let index = try ReconciliationIndex(txn: txn, dbi: store.databases.reconciliation)
                try txn.put(store.databases.reconciliation, ReconciliationIndex.nodeKey(index.header.root), [0, 0, 9])
            }
            try Self.expectCorrupt { try store.withReconciliationSnapshot { try $0.items(in: 0..<5) } }
            let blob = makeBlob(seq: 6)
            await Self.expectCorrupt { try await store.put(blob) }
            #expect(try store.has(blob.id) == false)
        }
    }

    static func expectCorrupt<T>(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> T
    ) throws {
        let error = #expect(throws: StoreError.self, sourceLocation: sourceLocation) { try body() }
        guard case .corrupt = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
    }

    static func expectCorrupt<T>(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> T
    ) async {
        let error = await #expect(throws: StoreError.self, sourceLocation: sourceLocation) { try await body() }
        guard case .corrupt = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
    }
}
