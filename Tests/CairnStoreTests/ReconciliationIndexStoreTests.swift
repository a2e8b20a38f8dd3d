import CairnCore
import Foundation
import Logging
import Testing

@testable import CairnStore

/// The reconciliation index as the store keeps it: filled by puts, read through snapshots, built for schema-1 stores.
@Suite struct ReconciliationIndexStoreTests {
    /// Blobs of several authors over five seconds: many share a second, some a millisecond.
    static func blobs(count: Int, seed: UInt64) -> [SignedBlob] {
        var rng = SeededRandom(seed: seed)
        return (1...count).map { index in
            makeBlob(
                key: testKey(UInt8(20 + index % 4)),
                channel: "recon-\(index % 7)",
                seq: UInt64(index),
                timestamp: 1_700_000_000_000 + rng.next() % 5000,
                payload: Array("payload \(index)".utf8)
            )
        }
    }

    static func model(_ blobs: [SignedBlob]) -> [SyncItem] {
        Set(blobs.map { SyncItem(blobTimestampMilliseconds: $0.timestamp, id: $0.id) }).sorted()
    }

    @Test func putsFillTheIndexOnceAcrossReopen() async throws {
        try await withTemporaryDirectory { path in
            var rng = SeededRandom(seed: 0x5EED_0101)
            let blobs = Self.blobs(count: 1500, seed: 0x5EED_0102)
            let configuration = StoreConfiguration(directory: path)
            var store = try BlobStore(configuration: configuration)
            for blob in blobs[0..<50] { _ = try await store.put(blob) }
            _ = try await store.put(Array(blobs[50...]))
            // Every blob again: duplicates, in a batch and one by one.
            let again = try await store.put(blobs)
            #expect(again.allSatisfy { $0.outcome == .duplicate })
            #expect(try await store.put(blobs[7]).outcome == .duplicate)

            let model = Self.model(blobs)
            #expect(model.count == blobs.count)
            #expect(try store.reconciliationCount() == blobs.count)
            try store.withReconciliationSnapshot { try expectMatches($0, model, probes: 200, rng: &rng) }
            store.close()

            store = try BlobStore(configuration: configuration)
            defer { store.close() }
            try store.withReconciliationSnapshot { try expectMatches($0, model, probes: 200, rng: &rng) }
        }
    }

    @Test func snapshotDoesNotSeeLaterCommits() async throws {
        try await withStore { store, _ in
            let blobs = Self.blobs(count: 20, seed: 0x5EED_0103)
            _ = try await store.put(Array(blobs.dropLast()))
            let committed = DispatchSemaphore(value: 0)
            let inside = try store.withReconciliationSnapshot { (snapshot) throws -> (Int, Int) in
                let before = try snapshot.count()
                store.put([blobs.last!]) { _ in committed.signal() }
                committed.wait()
                return (before, try snapshot.count())
            }
            #expect(inside == (19, 19))
            #expect(try store.reconciliationCount() == 20)
            try store.withReconciliationSnapshot { (snapshot) throws in
                #expect(try snapshot.items(in: 0..<20) == Self.model(blobs))
            }
        }
    }

    @Test func bodyErrorsPassThrough() async throws {
        struct Stop: Error, Equatable {}
        try await withStore { store, _ in
            #expect(throws: Stop()) { try store.withReconciliationSnapshot { _ in throw Stop() } }
            store.close()
            #expect(throws: StoreError.closed) { try store.withReconciliationSnapshot { try $0.count() } }
        }
    }

    @Test func schemaOneStoreIsUpgradedToTheSameIndex() async throws {
        try await withTemporaryDirectory { path in
            var rng = SeededRandom(seed: 0x5EED_0104)
            let blobs = Self.blobs(count: 2500, seed: 0x5EED_0105)
            let configuration = StoreConfiguration(directory: path)
            let fresh = try BlobStore(configuration: configuration)
            _ = try await fresh.put(blobs)
            let freshItems = try fresh.withReconciliationSnapshot { try $0.items(in: 0..<$0.count()) }
            let freshSums = try fresh.withReconciliationSnapshot { (snapshot) throws in
                try (0...20).map { try snapshot.accumulator(of: 0..<(blobs.count * $0 / 20)) }
            }
            fresh.close()
            try Self.downgradeToSchemaOne(path)
            let logs = LogRecorder()
            let upgraded = try BlobStore(configuration: configuration, logger: logs.logger)
            defer { upgraded.close() }
            let model = Self.model(blobs)
            #expect(freshItems == model)
            try upgraded.withReconciliationSnapshot { (snapshot) throws in
                try expectMatches(snapshot, model, probes: 300, rng: &rng)
                #expect(try (0...20).map { try snapshot.accumulator(of: 0..<(blobs.count * $0 / 20)) } == freshSums)
            }
            #expect(logs.messages.contains("built the reconciliation index items=\(blobs.count)"))
            #expect(try Self.schema(path, open: upgraded) == BlobStore.schemaVersion)

            // The upgraded store keeps indexing new blobs.
            let more = Self.blobs(count: 2600, seed: 0x5EED_0105)
            _ = try await upgraded.put(Array(more[2500...]))
            try upgraded.withReconciliationSnapshot { try expectMatches($0, Self.model(more), probes: 100, rng: &rng) }
        }
    }

    @Test func emptySchemaOneStoreIsUpgraded() async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            try BlobStore(configuration: configuration).close()
            try Self.downgradeToSchemaOne(path)
            let store = try BlobStore(configuration: configuration)
            defer { store.close() }
            #expect(try store.reconciliationCount() == 0)
            _ = try await store.put(makeBlob(seq: 1))
            #expect(try store.reconciliationCount() == 1)
        }
    }

    @Test func schemaOneStoreWithAnIncompleteSyncIndexIsCorrupt() async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            let store = try BlobStore(configuration: configuration)
            _ = try await store.put(Self.blobs(count: 10, seed: 0x5EED_0106))
            let first = try store.syncIndex(after: nil, limit: 1)[0]
            store.close()
            try Self.downgradeToSchemaOne(path)
            try Self.withRawEnvironment(path) { (txn) throws(StoreError) in
                try txn.delete(
                    try txn.openDatabase("sync", create: false)!,
                    Keys.sync(timestamp: first.timestamp, id: first.id)
                )
            }
            let error = #expect(throws: StoreError.self) { try BlobStore(configuration: configuration) }
            guard case .corrupt(_, let reason) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("9 entries for 10 blobs"))
        }
    }

    @Test(arguments: [UInt32(0), BlobStore.schemaVersion + 1])
    func schemasOutsideTheUpgradableRangeAreRefused(schema: UInt32) async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            try BlobStore(configuration: configuration).close()
            try Self.withRawEnvironment(path) { (txn) throws(StoreError) in
                try txn.put(try txn.openDatabase("meta", create: false)!, Keys.schemaKey, Keys.uint32(schema))
            }
            #expect(throws: StoreError.unsupportedSchema(found: schema, supported: BlobStore.schemaVersion)) {
                try BlobStore(configuration: configuration)
            }
        }
    }

    /// Makes a closed store what schema 1 wrote: no `reconciliation` or chain databases, the encodings in `blobs` and
    /// schema 1 in `meta`.
    static func downgradeToSchemaOne(_ path: String) throws {
        try withRawEnvironment(path) { (txn) throws(StoreError) in
            try BlobBodies.writeSchemaFourLayout(txn: txn)
            try txn.deleteDatabase(try txn.openDatabase(ReconciliationIndex.databaseName, create: false)!)
            for name in ["chain-heights", "chain-waiting", "chain-unlinked"] {
                try txn.deleteDatabase(try txn.openDatabase(name, create: false)!)
            }
            try txn.put(try txn.openDatabase("meta", create: false)!, Keys.schemaKey, Keys.uint32(1))
        }
    }

    static func schema(_ path: String, open store: BlobStore) throws -> UInt32? {
        try store.environment.read { (txn) throws(StoreError) -> UInt32? in
            try txn.get(store.databases.meta, Keys.schemaKey).flatMap { Keys.decode($0, as: UInt32.self) }
        }
    }

    static func withRawEnvironment(
        _ path: String,
        mapSizeBytes: Int = 64 << 20,
        _ body: (LMDBTransaction) throws(StoreError) -> Void
    ) throws {
        let raw = try LMDBEnvironment(
            path: path,
            mapSizeBytes: mapSizeBytes,
            maxDatabases: StoreDatabases.maxDatabases,
            durable: true
        )
        defer { raw.close() }
        try raw.write(body)
    }
}

/// A logger whose messages (with their metadata, as `message key=value`) a test can read.
final class LogRecorder: @unchecked Sendable {  // `lines` is guarded by `lock`
    private let lock = NSLock()
    private var lines: [String] = []

    var messages: [String] { lock.withLock { lines } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(
            level: Logger.Level,
            message: Logger.Message,
            metadata: Logger.Metadata?,
            source: String,
            file: String,
            function: String,
            line: UInt
        ) {
            let fields = (metadata ?? [:]).filter { $0.key != "seconds" }.sorted { $0.key < $1.key }
            let text = ([message.description] + fields.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
            recorder.lock.withLock { recorder.lines.append(text) }
        }
    }
}
