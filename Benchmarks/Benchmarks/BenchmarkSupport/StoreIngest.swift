import CairnCore
import CairnStore
import Foundation
import Logging

/// The ways a benchmark moves a `BlobCorpus` into a `BlobStore`; each returns the number of blobs stored.
///
/// Workers take the next chunk (or blob) from a shared `WorkCursor`, so that a worker slowed down by another process
/// does not hold up the end of the run.
public enum StoreIngest {
    /// A store configuration for a fresh directory: durable (fsync per commit) with the default batch of 1,000.
    public static func configuration(directory: String) -> StoreConfiguration {
        var configuration = StoreConfiguration(directory: directory + "/db")
        configuration.durable = true
        configuration.maxBatchBlobs = StoreConfiguration.defaultMaxBatchBlobs
        return configuration
    }

    /// A logger that keeps the benchmark output clean (the store logs its open at info).
    public static let quietLogger: Logger = {
        var logger = Logger(label: "cairn.bench")
        logger.logLevel = .warning
        return logger
    }()

    /// Decodes and verifies every encoding, `chunkSize` at a time on `workers` tasks; returns the number verified.
    public static func verify(_ corpus: BlobCorpus, chunkSize: Int, workers: Int) async throws -> Int {
        let chunks = corpus.chunks(of: chunkSize)
        let cursor = WorkCursor(count: chunks.count)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var verified = 0
                    while let chunk = cursor.take() {
                        verified += try decode(chunks[chunk]).count
                    }
                    return verified
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// Each of `workers` tasks decodes a chunk of `chunkSize` encodings and stores it with one `put(_ blobs:)`,
    /// waiting for its commit before decoding its next chunk.
    public static func verifyAndPutChunks(
        _ corpus: BlobCorpus,
        into store: BlobStore,
        chunkSize: Int,
        workers: Int
    ) async throws -> Int {
        let chunks = corpus.chunks(of: chunkSize)
        let cursor = WorkCursor(count: chunks.count)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var stored = 0
                    while let chunk = cursor.take() {
                        let results = try await store.put(try decode(chunks[chunk]))
                        stored += try countStored(results, firstIndex: chunks[chunk].startIndex)
                    }
                    return stored
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// `inFlight` tasks each decode one encoding and store it with `put(_ blob:)`, one at a time; group commit
    /// gathers the concurrent puts into transactions.
    public static func verifyAndPutSingles(_ corpus: BlobCorpus, into store: BlobStore, inFlight: Int) async throws
        -> Int
    {
        let cursor = WorkCursor(count: corpus.count)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<inFlight {
                group.addTask {
                    var stored = 0
                    while let index = cursor.take() {
                        let blob = try SignedBlob.decode(corpus.encodings[index])
                        stored += try countStored([try await store.put(blob)], firstIndex: index)
                    }
                    return stored
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// Stores already-decoded blobs: each of `workers` tasks submits chunks of `chunkSize` with `put(_ blobs:)`.
    public static func putChunks(_ blobs: [SignedBlob], into store: BlobStore, chunkSize: Int, workers: Int)
        async throws -> Int
    {
        let starts = Array(stride(from: 0, to: blobs.count, by: chunkSize))
        let cursor = WorkCursor(count: starts.count)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var stored = 0
                    while let chunk = cursor.take() {
                        let start = starts[chunk]
                        let results = try await store.put(Array(blobs[start..<min(start + chunkSize, blobs.count)]))
                        stored += try countStored(results, firstIndex: start)
                    }
                    return stored
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// Checks that the store holds exactly `expected` blobs.
    public static func expectStored(_ expected: Int, in store: BlobStore) throws {
        let stored = try store.stats().blobs
        guard stored == expected else { throw IngestError.storedCountMismatch(expected: expected, stored: stored) }
    }

    private static func decode(_ encodings: ArraySlice<[UInt8]>) throws -> [SignedBlob] {
        var blobs: [SignedBlob] = []
        blobs.reserveCapacity(encodings.count)
        for encoding in encodings {
            blobs.append(try SignedBlob.decode(encoding))
        }
        return blobs
    }

    /// Verifies on `DispatchQueue.concurrentPerform` threads (every core, outside Swift's cooperative pool, as
    /// the node's HTTP and mesh paths do) and hands each verified chunk to the store's group commit at once.
    public static func verifyOnThreadsAndPut(_ corpus: BlobCorpus, into store: BlobStore, chunkSize: Int) async throws
        -> Int
    {
        let chunks = corpus.chunks(of: chunkSize)
        let puts = ConcurrentSlots<Task<Int, any Error>>(count: chunks.count)
        DispatchQueue.concurrentPerform(iterations: chunks.count) { index in
            let blobs = chunks[index].map { try? SignedBlob.decode($0) }
            puts[index] = Task {
                let verified = blobs.compactMap { $0 }
                guard verified.count == blobs.count else { throw IngestError.invalidCorpus }
                return try countStored(try await store.put(verified), firstIndex: chunks[index].startIndex)
            }
        }
        var stored = 0
        for put in puts.values { stored += try await put.value }
        return stored
    }

    private static func countStored(_ results: [PutResult], firstIndex: Int) throws -> Int {
        for (offset, result) in results.enumerated() where result.outcome != .stored {
            throw IngestError.unexpectedDuplicate(index: firstIndex + offset)
        }
        return results.count
    }
}
