import Benchmark
import BenchmarkSupport
import CairnCore
import CairnStore
import Foundation
import Synchronization

/// Blobs per second of one iteration, recorded with `Benchmark.measurement`.
let blobsPerSecond = BenchmarkMetric.custom(IngestRate.metricName, polarity: .prefersLarger, useScalingFactor: false)

/// The corpus every benchmark of this target ingests; signed once, on first use (in a setup hook).
let corpus = BlobCorpus()

/// The corpus decoded once, for the store-only benchmark.
let decodedCorpus: [SignedBlob] = corpus.encodings.map { try! SignedBlob.decode($0) }

/// The cores the machine has; verification is spread over this many tasks.
let coreCount = ProcessInfo.processInfo.activeProcessorCount

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, blobsPerSecond],
        timeUnits: .milliseconds,
        units: [blobsPerSecond: .count],
        warmupIterations: 1,
        maxDuration: .seconds(30),
        maxIterations: 15,
        setup: { _ = corpus.count }
    )

    Benchmark("Verify only, chunks of 500, \(coreCount) tasks") { benchmark in
        let rate = IngestRate()
        let verified = try await StoreIngest.verify(corpus, chunkSize: 500, workers: coreCount)
        benchmark.stopMeasurement()
        benchmark.measurement(blobsPerSecond, rate.blobsPerSecond(verified))
    }

    Benchmark("Verify only, \(coreCount) threads (DispatchQueue.concurrentPerform)") { benchmark in
        let rate = IngestRate()
        let chunks = corpus.chunks(of: 500)
        let verified = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: chunks.count) { index in
            let count = chunks[index].reduce(0) { count, encoding in
                count + ((try? SignedBlob.decode(encoding)) == nil ? 0 : 1)
            }
            verified.withLock { $0 += count }
        }
        benchmark.stopMeasurement()
        benchmark.measurement(blobsPerSecond, rate.blobsPerSecond(verified.withLock { $0 }))
    }

    Benchmark(
        "Store only (pre-decoded), put(_ blobs:) chunks of 1000, 2 tasks",
        configuration: .init(setup: { _ = decodedCorpus.count })
    ) { benchmark in
        try await withFreshStore(benchmark) { store in
            try await StoreIngest.putChunks(decodedCorpus, into: store, chunkSize: 1000, workers: 2)
        }
    }

    for (chunkSize, workers) in [(250, 8), (500, 4), (500, 2), (1000, 4)] {
        Benchmark("Verify+store, put(_ blobs:) chunks of \(chunkSize), \(workers) tasks") { benchmark in
            try await withFreshStore(benchmark) { store in
                try await StoreIngest.verifyAndPutChunks(corpus, into: store, chunkSize: chunkSize, workers: workers)
            }
        }
    }

    Benchmark("Verify on \(coreCount) threads + put(_ blobs:) chunks of 1000") { benchmark in
        try await withFreshStore(benchmark) { store in
            try await StoreIngest.verifyOnThreadsAndPut(corpus, into: store, chunkSize: 1000)
        }
    }

    for inFlight in [256, 2000] {
        Benchmark("Verify+store, put(_ blob:) singles, \(inFlight) in flight") { benchmark in
            try await withFreshStore(benchmark) { store in
                try await StoreIngest.verifyAndPutSingles(corpus, into: store, inFlight: inFlight)
            }
        }
    }
}

/// Runs `ingest` as the measured region against an empty durable store in a fresh directory, records blobs/s, then
/// checks the count and removes the directory.
/// The measurement restarts (`startMeasurement`) once the store is open, so opening it is not measured.
func withFreshStore(_ benchmark: Benchmark, _ ingest: (BlobStore) async throws -> Int) async throws {
    let directory = try TemporaryDirectory(label: "store")
    defer { directory.remove() }
    let store = try BlobStore(
        configuration: StoreIngest.configuration(directory: directory.path),
        logger: StoreIngest.quietLogger
    )
    defer { store.close() }
    benchmark.startMeasurement()
    let rate = IngestRate()
    let stored = try await ingest(store)
    benchmark.stopMeasurement()
    benchmark.measurement(blobsPerSecond, rate.blobsPerSecond(stored))
    try StoreIngest.expectStored(corpus.count, in: store)
}
