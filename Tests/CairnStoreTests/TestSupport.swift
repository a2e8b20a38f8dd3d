import CairnCore
import Foundation
import Testing

@testable import CairnStore

/// A fresh directory path under the system temporary directory, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("cairn-store-tests-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Opens a store in a fresh temporary directory, runs `body`, closes the store and removes the directory.
func withStore<T>(
    configure: (inout StoreConfiguration) -> Void = { _ in },
    _ body: (BlobStore, StoreConfiguration) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { path in
        var configuration = StoreConfiguration(directory: path)
        configure(&configuration)
        let store = try BlobStore(configuration: configuration)
        defer { store.close() }
        return try await body(store, configuration)
    }
}

/// A deterministic key: the seed is `n` repeated.
func testKey(_ n: UInt8) -> SigningKey {
    try! SigningKey(seed: [UInt8](repeating: n, count: SigningKey.seedBytes))
}

func channelName(_ name: String = "main") -> ChannelName {
    try! ChannelName(name)
}

/// A blob; without `prev`, seq > 1 gets a placeholder that names no stored blob (so it is not linked).
func makeBlob(
    key: SigningKey = testKey(1),
    channel: String = "main",
    seq: UInt64,
    prev: BlobID? = nil,
    timestamp: UInt64 = 1_700_000_000_000,
    payload: [UInt8] = Array("hello".utf8)
) -> SignedBlob {
    let prev = seq == 1 ? BlobID.zero : prev ?? BlobID(unchecked: Blake2b.hash256(Array("prev \(seq)".utf8)))
    return try! SignedBlob.sign(
        key: key,
        channel: channelName(channel),
        seq: seq,
        prev: prev,
        timestamp: timestamp,
        payload: payload
    )
}

/// One chain with seq 1...count on one channel (each `prev` the blob before), each with a distinct payload and
/// timestamp.
func makeBlobs(key: SigningKey = testKey(1), channel: String = "main", count: Int) -> [SignedBlob] {
    var blobs: [SignedBlob] = []
    for index in 1...count {
        blobs.append(
            makeBlob(
                key: key,
                channel: channel,
                seq: UInt64(index),
                prev: blobs.last?.id,
                timestamp: 1_700_000_000_000 + UInt64(index),
                payload: Array("payload \(index)".utf8)
            )
        )
    }
    return blobs
}

/// Collects what the commit observer is given, from the writer thread.
final class CommitRecorder: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var batches: [StoreCommit] = []

    func record(_ commit: StoreCommit) {
        lock.withLock { batches.append(commit) }
    }

    var commits: Int { lock.withLock { batches.count } }
    var events: [StoredEvent] { lock.withLock { batches.flatMap(\.events) } }
    var storedBlobs: [BlobID] { lock.withLock { batches.flatMap(\.storedBlobs) } }
}

/// A gate the writer thread can be held at (inside the commit observer) until the test opens it.
final class WriterGate: @unchecked Sendable {  // guarded by `condition`
    private let condition = NSCondition()
    private var isOpen = false
    private var isWaiting = false

    /// Called on the writer thread: blocks until `open()`; only the first call blocks.
    func holdWriter() {
        condition.lock()
        defer { condition.unlock() }
        isWaiting = true
        while !isOpen { condition.wait() }
    }

    var writerIsHeld: Bool { condition.withLock { isWaiting && !isOpen } }

    func open() {
        condition.withLock {
            isOpen = true
            condition.broadcast()
        }
    }
}

struct WaitTimedOut: Error {}

/// Waits, yielding, until `condition` holds; fails after `seconds` instead of hanging the suite.
func waitUntil(seconds: Int = 30, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut() }
        await Task.yield()
    }
}

/// An LMDB environment holding only a reconciliation index, for tests of the index without blobs.
final class IndexFixture {
    let path: String
    private(set) var environment: LMDBEnvironment
    private(set) var dbi: UInt32

    /// Creates an empty index in directory `path`; `capacities` `nil` sizes nodes to the page.
    init(path: String, capacities: (leaf: Int, inner: Int)? = nil) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        environment = try Self.openEnvironment(path)
        dbi = try environment.write { (txn) throws(StoreError) -> UInt32 in
            let dbi = try txn.openDatabase(ReconciliationIndex.databaseName, create: true)!
            try ReconciliationIndex.create(txn: txn, dbi: dbi, capacities: capacities)
            return dbi
        }
    }

    deinit {
        environment.close()
    }

    /// Closes and opens the environment again.
    func reopen() throws {
        environment.close()
        environment = try Self.openEnvironment(path)
        // A handle opened in a read transaction dies with it: open it in a (committed) write transaction.
        dbi = try environment.write { (txn) throws(StoreError) -> UInt32 in
            try txn.openDatabase(ReconciliationIndex.databaseName, create: false)!
        }
    }

    /// Inserts `items` in one write transaction; each result says whether the item was new.
    @discardableResult
    func insert(_ items: [SyncItem]) throws -> [Bool] {
        try environment.write { (txn) throws(StoreError) -> [Bool] in
            var index = try ReconciliationIndex(txn: txn, dbi: dbi)
            var inserted: [Bool] = []
            for item in items { inserted.append(try index.insert(item)) }
            try index.saveHeader()
            return inserted
        }
    }

    /// Runs `body` with a snapshot in one read transaction, like `BlobStore.withReconciliationSnapshot`.
    func withSnapshot<T>(_ body: (ReconciliationSnapshot) throws -> T) throws -> T {
        let dbi = self.dbi
        let result = try environment.read { (txn) throws(StoreError) -> Result<T, any Error> in
            let snapshot = ReconciliationSnapshot(index: try ReconciliationIndex(txn: txn, dbi: dbi))
            defer { snapshot.close() }
            return Result { try body(snapshot) }
        }
        return try result.get()
    }

    private static func openEnvironment(_ path: String) throws(StoreError) -> LMDBEnvironment {
        try LMDBEnvironment(path: path, mapSizeBytes: 256 << 20, maxDatabases: 4, durable: false)
    }
}

/// Random items in few seconds with ids that often share long prefixes, so keys differ late.
func randomSyncItem(_ rng: inout SeededRandom) -> SyncItem {
    let seconds: [UInt64] = [0, 1, 1_700_000_000, 1_700_000_001, 1_700_000_002, UInt64.max - 1]
    let timestamp =
        rng.next() % 4 == 0 ? rng.next() % 2_000_000_000 : seconds[Int(rng.next() % UInt64(seconds.count))]
    var id = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
    switch rng.next() % 4 {
    case 0: id.replaceSubrange(0..<31, with: [UInt8](repeating: UInt8(rng.next() % 3), count: 31))
    case 1: id.replaceSubrange(0..<16, with: [UInt8](repeating: 0xAB, count: 16))
    default: break
    }
    return SyncItem(timestamp: timestamp, id: BlobID(unchecked: id))
}

/// The accumulator of `items`, summed with `SyncAccumulator` itself.
func modelAccumulator(_ items: some Sequence<SyncItem>) -> SyncAccumulator {
    var accumulator = SyncAccumulator()
    for item in items { accumulator.add(item.id) }
    return accumulator
}

/// Checks every `ReconciliationStorage` operation of `storage` against the sorted array `model`: every rank, the
/// whole range, and `probes` random ranges and bounds.
func expectMatches(
    _ storage: ReconciliationSnapshot,
    _ model: [SyncItem],
    probes: Int,
    rng: inout SeededRandom,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let n = model.count
    #expect(try storage.count() == n, sourceLocation: sourceLocation)
    for rank in 0..<n where n <= 2000 || rank % 97 == 0 || rank == n - 1 {
        #expect(try storage.item(at: rank) == model[rank], sourceLocation: sourceLocation)
    }
    #expect(try storage.items(in: 0..<n) == model, sourceLocation: sourceLocation)
    #expect(try storage.accumulator(of: 0..<n) == modelAccumulator(model), sourceLocation: sourceLocation)
    // Prefix accumulators of the model, for range sums without summing each range again.
    var prefixes = [SyncAccumulator()]
    for item in model {
        var next = prefixes.last!
        next.add(item.id)
        prefixes.append(next)
    }
    for _ in 0..<probes {
        let a = Int(rng.next() % UInt64(n + 1))
        let b = Int(rng.next() % UInt64(n + 1))
        let ranks = min(a, b)..<max(a, b)
        #expect(try storage.items(in: ranks) == Array(model[ranks]), sourceLocation: sourceLocation)
        var expected = prefixes[ranks.upperBound]
        expected.remove(prefixes[ranks.lowerBound])
        #expect(try storage.accumulator(of: ranks) == expected, sourceLocation: sourceLocation)

        let bound: SyncItem
        switch rng.next() % 6 {
        case 0 where n > 0: bound = model[Int(rng.next() % UInt64(n))]
        case 1 where n > 0:
            let item = model[Int(rng.next() % UInt64(n))]
            // An id prefix padded with zero bytes, as Negentropy sends bounds.
            let prefixLength = Int(rng.next() % 33)
            let padded = Array(item.id.bytes.prefix(prefixLength)) + [UInt8](repeating: 0, count: 32 - prefixLength)
            bound = SyncItem(timestamp: item.timestamp, id: BlobID(unchecked: padded))
        case 2 where n > 0: bound = SyncItem(timestamp: model[Int(rng.next() % UInt64(n))].timestamp &+ 1, id: .zero)
        case 3: bound = .infinity
        case 4: bound = SyncItem(timestamp: 0, id: .zero)
        default: bound = randomSyncItem(&rng)
        }
        let expectedBound = ranks.lowerBound + model[ranks].prefix { $0 < bound }.count
        #expect(try storage.lowerBound(of: bound, in: ranks) == expectedBound, sourceLocation: sourceLocation)
    }
}
