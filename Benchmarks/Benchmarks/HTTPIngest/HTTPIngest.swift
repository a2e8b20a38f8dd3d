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
        let measured = try await InProcessNode.withAPI { port in
            try await sendAll(port: port, expecting: .created, benchmark: benchmark) { client, index in
                try await client.post("/v1/blobs/signed", headers: postHeaders, body: bodies[index])
            }
        }
        benchmark.measurement(blobsPerSecond, measured)
    }

    Benchmark("POST /v1/blobs/signed, durable = false, \(connectionCount) keep-alive connections") { benchmark in
        let measured = try await InProcessNode.withAPI(durable: false) { port in
            try await sendAll(port: port, expecting: .created, benchmark: benchmark) { client, index in
                try await client.post("/v1/blobs/signed", headers: postHeaders, body: bodies[index])
            }
        }
        benchmark.measurement(blobsPerSecond, measured)
    }

    Benchmark("GET /healthz (HTTP stack only), \(connectionCount) keep-alive connections") { benchmark in
        let measured = try await InProcessNode.withAPI { port in
            try await sendAll(port: port, expecting: .ok, benchmark: benchmark) { client, _ in
                try await client.get("/healthz", headers: [.connection: "keep-alive"])
            }
        }
        benchmark.measurement(blobsPerSecond, measured)
    }
}

/// The headers of every POST: the token, and keep-alive.
let postHeaders: HTTPFields = [
    .authorization: "Bearer \(InProcessNode.token)", .contentType: "application/octet-stream",
    .connection: "keep-alive",
]

/// Connects `connectionCount` clients to `port`, then measures sending one request per corpus blob, each connection
/// its share one request at a time; returns requests per second from the first request to the last response.
func sendAll(
    port: Int,
    expecting status: HTTPResponse.Status,
    benchmark: Benchmark,
    request: @escaping @Sendable (TestClient, Int) async throws -> TestClient.Response
) async throws -> Int {
    let clients = (0..<connectionCount).map { _ in TestClient(host: "127.0.0.1", port: port) }
    for client in clients { client.connect() }
    do {
        for client in clients { _ = try await client.getChannel() }
        benchmark.startMeasurement()
        let rate = IngestRate()
        let sent = try await withThrowingTaskGroup(of: Int.self) { group in
            for (connection, client) in clients.enumerated() {
                group.addTask {
                    var sent = 0
                    for index in stride(from: connection, to: bodies.count, by: connectionCount) {
                        let response = try await request(client, index)
                        guard response.status == status else {
                            throw IngestError.unexpectedStatus(code: response.status.code, index: index)
                        }
                        sent += 1
                    }
                    return sent
                }
            }
            return try await group.reduce(0, +)
        }
        let result = rate.blobsPerSecond(sent)
        benchmark.stopMeasurement()
        for client in clients { try? await client.shutdown() }
        return result
    } catch {
        for client in clients { try? await client.shutdown() }
        throw error
    }
}
