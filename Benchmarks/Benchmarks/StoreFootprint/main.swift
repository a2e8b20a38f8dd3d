import BenchmarkSupport
import CairnCore
import CairnStore
import Foundation

// Stores N signed blobs (default 300,000) with 1 KiB payloads in a fresh store, closes it, and prints the bytes the
// store takes on disk (the size of `data.mdb`, which LMDB grows to the highest page in use) against the bytes of the
// canonical encodings it holds, then `mdb_stat -ef` and `mdb_stat -a` of the directory when `mdb_stat` (lmdb-utils)
// is on the PATH, for the page counts per table.
//
// Usage: StoreFootprint [N] [channels|chains] [DIRECTORY]
//   channels (default): the StoreIngest corpus shape, 16 authors, every blob seq 1 of its own channel.
//   chains: 16 authors with one channel each, every blob the next seq of its author's chain.
// Timestamps rise by 1 ms per blob (arrival order). Blobs are put in chunks of 1,000 (the default batch) by two
// tasks; the store runs with MDB_NOSYNC (`durable = false`), which changes no page layout. The directory is kept
// when given, else removed.

let arguments = CommandLine.arguments
let blobCount = arguments.count > 1 ? Int(arguments[1])! : 300_000
let shape = arguments.count > 2 ? arguments[2] : "channels"
guard shape == "channels" || shape == "chains" else {
    FileHandle.standardError.write(Data("unknown shape \(shape): channels or chains\n".utf8))
    exit(2)
}
let payloadBytes = 1024
let authorCount = 16
let chunkSize = StoreConfiguration.defaultMaxBatchBlobs

/// A fixed array that concurrent signers fill, each writing only its own indices.
final class Slots<Element>: @unchecked Sendable {  // each index is written by one thread, read after the join
    private var storage: [Element?]
    private let lock = NSLock()

    init(count: Int) { storage = [Element?](repeating: nil, count: count) }

    subscript(index: Int) -> Element {
        get { lock.withLock { storage[index]! } }
        set { lock.withLock { storage[index] = newValue } }
    }

    var values: [Element] { lock.withLock { storage.map { $0! } } }
}

let keys = (0..<authorCount).map { index in
    try! SigningKey(seed: [UInt8](repeating: UInt8(truncatingIfNeeded: index + 1), count: SigningKey.seedBytes))
}
let startTimestamp = UInt64(Date().timeIntervalSince1970 * 1000)

/// Signs blobs `range`; in `chains`, each author's blobs follow its previous one (`heads` holds each author's tip).
func sign(_ range: Range<Int>, heads: inout [BlobID]) -> [SignedBlob] {
    let payloads: [[UInt8]] = range.map { index in
        var payload = [UInt8](repeating: 0, count: payloadBytes)
        withUnsafeBytes(of: UInt64(index).littleEndian) { payload.replaceSubrange(0..<$0.count, with: $0) }
        return payload
    }
    let slots = Slots<SignedBlob>(count: range.count)
    if shape == "channels" {
        DispatchQueue.concurrentPerform(iterations: range.count) { offset in
            let index = range.lowerBound + offset
            slots[offset] = try! SignedBlob.sign(
                key: keys[index % authorCount],
                channel: try! ChannelName("bench-\(index)"),
                seq: 1,
                prev: .zero,
                timestamp: startTimestamp + UInt64(index),
                payload: payloads[offset]
            )
        }
    } else {
        let tips = Slots<BlobID>(count: authorCount)
        let start = heads
        DispatchQueue.concurrentPerform(iterations: authorCount) { author in
            var prev = start[author]
            for offset in stride(
                from: (author - range.lowerBound % authorCount + authorCount) % authorCount,
                to: range.count,
                by: authorCount
            ) {
                let index = range.lowerBound + offset
                let blob = try! SignedBlob.sign(
                    key: keys[author],
                    channel: try! ChannelName("main"),
                    seq: UInt64(index / authorCount + 1),
                    prev: prev,
                    timestamp: startTimestamp + UInt64(index),
                    payload: payloads[offset]
                )
                slots[offset] = blob
                prev = blob.id
            }
            tips[author] = prev
        }
        heads = tips.values
    }
    return slots.values
}

let keep = arguments.count > 3
let directory = keep ? arguments[3] : try TemporaryDirectory(label: "footprint").path
var configuration = StoreConfiguration(directory: directory + "/db")
configuration.durable = false
let store = try BlobStore(configuration: configuration, logger: StoreIngest.quietLogger)
var heads = [BlobID](repeating: .zero, count: authorCount)
var encodedBytes = 0
var payloadTotal = 0
let clock = ContinuousClock()
let began = clock.now
var next = 0
var putTime = Duration.zero
while next < blobCount {
    // Sign two chunks, then store them as two concurrent puts (two tasks, as StoreIngest's store-only benchmark).
    let end = min(next + 2 * chunkSize, blobCount)
    let blobs = sign(next..<end, heads: &heads)
    encodedBytes += blobs.reduce(0) { $0 + $1.encoding.count }
    payloadTotal += blobs.reduce(0) { $0 + $1.payload.count }
    let middle = min(chunkSize, blobs.count)
    let putStart = clock.now
    async let first = store.put(Array(blobs[..<middle]))
    async let second = store.put(Array(blobs[middle...]))
    let results = try await first + second
    putTime += clock.now - putStart
    guard results.allSatisfy({ $0.outcome == .stored }) else { fatalError("a blob was not stored") }
    next = end
}
let elapsed = clock.now - began
try StoreIngest.expectStored(blobCount, in: store)
store.close()

let fileBytes =
    (try FileManager.default.attributesOfItem(atPath: configuration.directory + "/data.mdb")[.size] as! NSNumber)
    .intValue
print("shape: \(shape), blobs: \(blobCount), payload bytes: \(payloadTotal), encoded bytes: \(encodedBytes)")
print("data.mdb: \(fileBytes) bytes")
print(String(format: "data.mdb / encoded bytes: %.3f", Double(fileBytes) / Double(encodedBytes)))
print(
    String(
        format: "bytes per blob: %.0f on disk, %.0f encoded",
        Double(fileBytes) / Double(blobCount),
        Double(encodedBytes) / Double(blobCount)
    )
)
let putSeconds = Double(putTime.components.seconds) + Double(putTime.components.attoseconds) / 1e18
print(String(format: "puts: %.1f s, %.0f blobs/s (signing excluded)", putSeconds, Double(blobCount) / putSeconds))
print(
    String(
        format: "stored in %.1f s (signing included)",
        Double(elapsed.components.seconds)
            + Double(elapsed.components.attoseconds) / 1e18
    )
)

for flags in ["-ef", "-a"] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["mdb_stat", flags, configuration.directory]
    do {
        try process.run()
        process.waitUntilExit()
    } catch {
        print("mdb_stat not run: \(error)")
    }
}
if !keep { try? FileManager.default.removeItem(atPath: directory) }
