import CairnCore
import CairnHTTP
import CairnNode
import CairnProtocol
import CairnStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus

/// A temporary directory removed when the value is dropped by `withTemporaryDirectory`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A deterministic key whose seed repeats `byte`.
/// `count` blobs of `key` on `channel`, seq 1…count, each linking the one before; `timestamp` and `payload` give each
/// blob's from its seq.
func signedChain(
    _ key: SigningKey,
    channel: String,
    count: UInt64,
    timestamp: (UInt64) -> UInt64 = { 1_700_000_000_000 + $0 },
    payload: (UInt64) -> [UInt8] = { [UInt8(truncatingIfNeeded: $0)] }
) throws -> [SignedBlob] {
    let name = try ChannelName(channel)
    var chain: [SignedBlob] = []
    for seq in UInt64(1)...count {
        chain.append(
            try SignedBlob.sign(
                key: key,
                channel: name,
                seq: seq,
                prev: chain.last?.id ?? .zero,
                timestamp: timestamp(seq),
                payload: payload(seq)
            )
        )
    }
    return chain
}

func testKey(_ byte: UInt8) -> SigningKey {
    try! SigningKey(seed: [UInt8](repeating: byte, count: 32))
}

/// A node on a real loop and a real LMDB store in `directory`, torn down after `body`.
func withNode<T>(
    in directory: String,
    identity: SigningKey = testKey(9),
    channelRules: ChannelRules = ChannelRules(),
    plugins: [any Plugin] = [],
    configure: (inout NodeConfiguration) -> Void = { _ in },
    _ body: (Node) async throws -> T
) async throws -> T {
    var configuration = NodeConfiguration()
    configure(&configuration)
    var storeConfiguration = StoreConfiguration(directory: directory + "/db")
    storeConfiguration.maxPayloadBytes = configuration.maxBlobBytes
    storeConfiguration.maxRetainedEvents = configuration.maxRetainedEvents
    let store = try BlobStore(configuration: storeConfiguration)
    let loop = try EventLoop()
    let node = Node(
        configuration: configuration,
        identity: identity,
        store: store,
        loop: loop,
        channelRules: channelRules,
        plugins: plugins
    )
    do {
        let result = try await body(node)
        await node.beginShutdown()
        store.close()
        loop.shutdown()
        return result
    } catch {
        await node.beginShutdown()
        store.close()
        loop.shutdown()
        throw error
    }
}

let testToken = "test-token-0123456789abcdef"

/// The API of a fresh node, driven through Hummingbird's test client.
func withAPI<T: Sendable>(
    _ setup: TestingSetup = .router,
    channelRules: ChannelRules = ChannelRules(),
    configure: (inout NodeConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (any TestClientProtocol, Node) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        try await withNode(in: directory, channelRules: channelRules, configure: configure) { node in
            let server = APIServer(
                node: node,
                token: testToken,
                registry: PrometheusCollectorRegistry(),
                version: "test"
            )
            let app = Application(router: server.router())
            return try await app.test(setup) { client in try await body(client, node) }
        }
    }
}

/// Headers that carry the test token.
let authorised: HTTPFields = [.authorization: "Bearer \(testToken)"]

extension TestResponse {
    /// The body decoded as JSON into `T`.
    func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: body))
    }

    /// The `error` code of a JSON error body.
    var errorCode: String? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: String])?["error"]
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        // The poll interval of this deadline-bound wait, not synchronisation by sleeping.
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
