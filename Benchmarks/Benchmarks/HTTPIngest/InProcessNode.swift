import BenchmarkSupport
import CairnCore
import CairnHTTP
import CairnNode
import CairnStore
import Hummingbird
import Logging
import Prometheus

/// A node with a durable store in a fresh temporary directory and its HTTP API on `127.0.0.1`, port 0, assembled
/// in-process as the node tests assemble it; everything is torn down and the directory removed afterwards.
enum InProcessNode {
    /// The bearer token the API demands of POSTs.
    static let token = "bench-token-0123456789abcdef"

    /// A logger for the server: cancelling it after the run logs an "already closed" shutdown error.
    static let serverLogger: Logger = {
        var logger = Logger(label: "cairn.bench.http")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs `body` with the port the API listens on.
    /// - Parameter durable: `false` opens the store with `MDB_NOSYNC`, to show what the fsyncs cost.
    static func withAPI<T: Sendable>(durable: Bool = true, _ body: (Int) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(label: "http")
        defer { directory.remove() }
        var storeConfiguration = StoreIngest.configuration(directory: directory.path)
        storeConfiguration.durable = durable
        let store = try BlobStore(configuration: storeConfiguration, logger: StoreIngest.quietLogger)
        let loop = try EventLoop()
        let node = Node(
            configuration: NodeConfiguration(),
            // A 32-byte seed always derives a key pair.
            identity: try! SigningKey(seed: [UInt8](repeating: 0xB0, count: SigningKey.seedBytes)),
            store: store,
            loop: loop,
            logger: StoreIngest.quietLogger
        )
        let server = APIServer(node: node, token: token, registry: PrometheusCollectorRegistry(), version: "bench")
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: server.router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portContinuation.yield(port) }
                portContinuation.finish()
            },
            logger: serverLogger
        )
        defer {
            store.close()
            loop.shutdown()
        }
        let result = try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            var portIterator = ports.makeAsyncIterator()
            guard let port = await portIterator.next() else {
                group.cancelAll()
                throw IngestError.serverDidNotStart
            }
            do {
                let result = try await body(port)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
        await node.beginShutdown()
        return result
    }
}
