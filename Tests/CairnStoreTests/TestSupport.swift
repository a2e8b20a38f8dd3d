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

/// A blob with a placeholder `prev` for seq > 1: the store does not follow chains, so any non-zero id will do.
func makeBlob(
    key: SigningKey = testKey(1),
    channel: String = "main",
    seq: UInt64,
    timestamp: UInt64 = 1_700_000_000_000,
    payload: [UInt8] = Array("hello".utf8)
) -> SignedBlob {
    let prev = seq == 1 ? BlobID.zero : BlobID(unchecked: Blake2b.hash256(Array("prev \(seq)".utf8)))
    return try! SignedBlob.sign(
        key: key,
        channel: channelName(channel),
        seq: seq,
        prev: prev,
        timestamp: timestamp,
        payload: payload
    )
}

/// Blobs with seq 1...count on one channel, each with a distinct payload and timestamp.
func makeBlobs(key: SigningKey = testKey(1), channel: String = "main", count: Int) -> [SignedBlob] {
    (1...count).map { index in
        makeBlob(
            key: key,
            channel: channel,
            seq: UInt64(index),
            timestamp: 1_700_000_000_000 + UInt64(index),
            payload: Array("payload \(index)".utf8)
        )
    }
}

/// Collects what the commit observer is given, from the writer thread.
final class CommitRecorder: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var batches: [[StoredEvent]] = []

    func record(_ events: [StoredEvent]) {
        lock.withLock { batches.append(events) }
    }

    var commits: Int { lock.withLock { batches.count } }
    var events: [StoredEvent] { lock.withLock { batches.flatMap { $0 } } }
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
