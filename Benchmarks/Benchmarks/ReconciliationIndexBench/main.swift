import BenchmarkSupport
import CairnCore
@_spi(Benchmarks) import CairnStore
import Foundation
import Synchronization

// Inserts N items (default 1,000,000) into a fresh store's reconciliation index in transactions of 1,000 (the store's
// default batch), in two orders, then times snapshot queries at random ranks, ranges and bounds. Then stores N real
// signed blobs through `put` (index included), turns the store back into schema 1 and times the upgrade that builds
// the index in one pass. Prints Markdown tables. Usage: ReconciliationIndexBench [N]. The store runs with MDB_NOSYNC
// (`durable = false`): fsync time is the disk's, not the index's.

let itemCount = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 1_000_000
let batchSize = StoreConfiguration.defaultMaxBatchBlobs
let queryCount = 20_000
let clock = ContinuousClock()

func randomID(_ rng: inout SeededRandom) -> BlobID {
    var bytes = [UInt8]()
    bytes.reserveCapacity(32)
    for _ in 0..<4 { withUnsafeBytes(of: rng.next()) { bytes.append(contentsOf: $0) } }
    return BlobID(unchecked: bytes)
}

func microseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
}

/// Median and 99th percentile of `samples` in microseconds.
func summary(_ samples: [Duration]) -> String {
    let sorted = samples.map(microseconds).sorted()
    return String(format: "%.1f / %.1f", sorted[sorted.count / 2], sorted[sorted.count * 99 / 100])
}

/// Items about ten per second, inserted in arrival order with up to a minute of skew (new blobs), or shuffled
/// (a replica catching up on history in no particular order).
enum Order: String, CaseIterable {
    case arrival = "arrival order (±60 s skew)"
    case random = "random order"
}

func items(_ order: Order) -> [SyncItem] {
    var rng = SeededRandom(seed: 42)
    let base: UInt64 = 1_700_000_000
    var items = (0..<itemCount).map { index in
        SyncItem(timestamp: base + UInt64(index) / 10 + rng.next() % 60, id: randomID(&rng))
    }
    if order == .random { items.shuffle(using: &rng) }
    return items
}

func time<T>(_ samples: inout [Duration], _ body: () throws -> T) rethrows -> T {
    let start = clock.now
    let value = try body()
    samples.append(clock.now - start)
    return value
}

var rows: [String] = []
for order in Order.allCases {
    let directory = try TemporaryDirectory(label: "reconciliation-index")
    defer { directory.remove() }
    var configuration = StoreConfiguration(directory: directory.path)
    configuration.durable = false
    configuration.initialMapSizeBytes = 512 << 20
    let store = try BlobStore(configuration: configuration)
    defer { store.close() }

    let all = items(order)
    let insertStart = clock.now
    for start in stride(from: 0, to: all.count, by: batchSize) {
        _ = try store.insertReconciliationItemsWithoutBlobs(Array(all[start..<min(start + batchSize, all.count)]))
    }
    let insertTime = clock.now - insertStart
    let footprint = try store.reconciliationIndexFootprint()
    precondition(footprint.items == itemCount, "every item is new")

    var rng = SeededRandom(seed: 7)
    var snapshots: [Duration] = []
    var accumulators: [Duration] = []
    var bounds: [Duration] = []
    var ranks: [Duration] = []
    var pages: [Duration] = []
    for _ in 0..<queryCount / 100 {
        _ = try time(&snapshots) { try store.withReconciliationSnapshot { try $0.count() } }
    }
    try store.withReconciliationSnapshot { snapshot in
        let n = try snapshot.count()
        for _ in 0..<queryCount {
            let a = Int(rng.next() % UInt64(n + 1))
            let b = Int(rng.next() % UInt64(n + 1))
            _ = try time(&accumulators) { try snapshot.accumulator(of: min(a, b)..<max(a, b)) }
            let bound = SyncItem(timestamp: 1_700_000_000 + rng.next() % UInt64(n / 10 + 60), id: randomID(&rng))
            _ = try time(&bounds) { try snapshot.lowerBound(of: bound, in: 0..<n) }
            _ = try time(&ranks) { try snapshot.item(at: Int(rng.next() % UInt64(n))) }
            let first = Int(rng.next() % UInt64(n - 100))
            _ = try time(&pages) { try snapshot.items(in: first..<first + 100) }
        }
    }
    let indexBytes = Double(footprint.pages * footprint.pageSize)
    let fileBytes = (try FileManager.default.attributesOfItem(atPath: directory.path + "/data.mdb")[.size] as? Int) ?? 0
    rows.append(
        "| \(order.rawValue) | \(String(format: "%.1f", microseconds(insertTime) / 1e6)) s "
            + "(\(String(format: "%.1f", microseconds(insertTime) / Double(itemCount))) µs/item) "
            + "| \(String(format: "%.1f", indexBytes / Double(itemCount))) B "
            + "(file \(String(format: "%.1f", Double(fileBytes) / Double(itemCount))) B) "
            + "| \(footprint.levels) / \(footprint.nodes) "
            + "| \(summary(accumulators)) | \(summary(bounds)) | \(summary(ranks)) | \(summary(pages)) "
            + "| \(summary(snapshots)) |"
    )
    let capacities = "leaf \(footprint.leafCapacity) items, inner \(footprint.innerCapacity) children"
    if rows.count == 1 {
        print("n = \(itemCount), batches of \(batchSize), page \(footprint.pageSize) B, \(capacities)\n")
    }
}
print(
    """
    | insert order | insert time | disk per item (index; whole file) | levels / nodes | accumulator(of:) µs \
    median / p99 | lowerBound µs | item(at:) µs | items(in:) 100 µs | snapshot open+close µs |
    |---|---|---|---|---|---|---|---|---|
    """
)
for row in rows { print(row) }

// Real blobs through the put path, then the schema-1 upgrade of that store.
let signStart = clock.now
let blobs: [SignedBlob] = {
    let workers = ProcessInfo.processInfo.activeProcessorCount
    let key = try! SigningKey(seed: [UInt8](repeating: 7, count: SigningKey.seedBytes))
    let byWorker = Mutex<[Int: [SignedBlob]]>([:])
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        var signed: [SignedBlob] = []
        for index in stride(from: worker, to: itemCount, by: workers) {
            // Ten blobs a second, one channel per 1,000 blobs, seq within it: no forks.
            signed.append(
                try! SignedBlob.sign(
                    key: key,
                    channel: try! ChannelName("bench-\(index / 1000)"),
                    seq: UInt64(index % 1000 + 1),
                    prev: index % 1000 == 0 ? .zero : BlobID(unchecked: [UInt8](repeating: 1, count: 32)),
                    timestamp: 1_700_000_000_000 + UInt64(index) * 100,
                    payload: withUnsafeBytes(of: UInt64(index)) { Array($0) }
                )
            )
        }
        byWorker.withLock { $0[worker] = signed }
    }
    return byWorker.withLock { chunks in (0..<workers).flatMap { chunks[$0]! } }
}()
let signTime = clock.now - signStart
let directory = try TemporaryDirectory(label: "reconciliation-upgrade")
defer { directory.remove() }
var configuration = StoreConfiguration(directory: directory.path)
configuration.durable = false
configuration.initialMapSizeBytes = 1 << 30
var store = try BlobStore(configuration: configuration)
let putStart = clock.now
_ = try await store.put(blobs)
let putTime = clock.now - putStart
store.close()
try BlobStore.downgradeToSchemaOne(directory: directory.path)
let upgradeStart = clock.now
store = try BlobStore(configuration: configuration)
let upgradeTime = clock.now - upgradeStart
let built = try store.reconciliationIndexFootprint()
store.close()
precondition(built.items == itemCount, "the upgrade indexes every blob")
print(
    """

    \(itemCount) signed blobs (8-byte payloads, signed in \(String(format: "%.1f", microseconds(signTime) / 1e6)) s, \
    not counted):

    | put(_ blobs:) with the index | upgrade from schema 1 (open) | built index bytes per item | levels / nodes |
    |---|---|---|---|
    | \(String(format: "%.1f", microseconds(putTime) / 1e6)) s \
    (\(Int(Double(itemCount) / (microseconds(putTime) / 1e6))) blobs/s) \
    | \(String(format: "%.1f", microseconds(upgradeTime) / 1e6)) s \
    | \(String(format: "%.1f", Double(built.pages * built.pageSize) / Double(itemCount))) B \
    | \(built.levels) / \(built.nodes) |
    """
)
