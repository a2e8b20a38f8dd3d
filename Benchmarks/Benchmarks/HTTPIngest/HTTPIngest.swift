import Benchmark
import BenchmarkSupport
import CairnStore
import Foundation
import Hummingbird
import HummingbirdTesting

/// Blobs per second of one iteration, recorded with `Benchmark.measurement`.
let blobsPerSecond = BenchmarkMetric.custom(IngestRate.metricName, polarity: .prefersLarger, useScalingFactor: false)

/// The corpus every iteration posts; signed once, on first use (in a setup hook).
let corpus = BlobCorpus()

/// The corpus as request bodies, made once.
let bodies: [ByteBuffer] = corpus.encodings.map { ByteBuffer(bytes: $0) }

/// The number of keep-alive connections the blobs are spread over.
let connectionCount = 16

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, blobsPerSecond],
        timeUnits: .milliseconds,
        units: [blobsPerSecond: .count],
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 10,
        setup: { _ = bodies.count }
    )

    Benchmark("POST /v1/blobs/signed, \(connectionCount) keep-alive connections") { benchmark in
        let measured = try await InProcessNode.withAPI { port in try await postAll(port: port, benchmark: benchmark) }
        benchmark.measurement(blobsPerSecond, measured)
    }
}

/// Connects `connectionCount` clients to `port`, then measures posting every body, each connection its share one
/// request at a time; returns blobs per second from the first request to the last response.
func postAll(port: Int, benchmark: Benchmark) async throws -> Int {
    let clients = (0..<connectionCount).map { _ in TestClient(host: "127.0.0.1", port: port) }
    for client in clients { client.connect() }
    do {
        for client in clients { _ = try await client.getChannel() }
        let headers: HTTPFields = [
            .authorization: "Bearer \(InProcessNode.token)", .contentType: "application/octet-stream",
            .connection: "keep-alive",
        ]
        benchmark.startMeasurement()
        let rate = IngestRate()
        let posted = try await withThrowingTaskGroup(of: Int.self) { group in
            for (connection, client) in clients.enumerated() {
                group.addTask {
                    var posted = 0
                    for index in stride(from: connection, to: bodies.count, by: connectionCount) {
                        let response = try await client.post("/v1/blobs/signed", headers: headers, body: bodies[index])
                        guard response.status == .created else {
                            throw IngestError.unexpectedStatus(code: response.status.code, index: index)
                        }
                        posted += 1
                    }
                    return posted
                }
            }
            return try await group.reduce(0, +)
        }
        let result = rate.blobsPerSecond(posted)
        benchmark.stopMeasurement()
        for client in clients { try? await client.shutdown() }
        return result
    } catch {
        for client in clients { try? await client.shutdown() }
        throw error
    }
}
