import CairnNode
import CairnStore
import Foundation
import Testing

@Suite struct ConfigurationTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func documentedDefaultFileIsTheEmbeddedOneAndParsesToTheDefaults() throws {
        let file = try String(
            contentsOf: Self.repositoryRoot.appendingPathComponent("Config/cairn.toml"),
            encoding: .utf8
        )
        #expect(file.trimmingCharacters(in: .newlines) == NodeConfiguration.defaultFileText)
        #expect(try NodeConfiguration(toml: file) == NodeConfiguration())
    }

    @Test func everyDocumentedKeyParses() throws {
        let text = NodeConfiguration.defaultFileText.split(separator: "\n").map { line in
            line.hasPrefix("# ") && line.contains(" = ") ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
        #expect(try NodeConfiguration(toml: text) == NodeConfiguration())
    }

    @Test func keysOverrideDefaults() throws {
        let config = try NodeConfiguration(
            toml: """
                [node]
                network = "test"
                peers = ["10.0.0.1:7700", "[::1]:7700"]
                [api]
                listen = "127.0.0.1:0"
                [storage]
                max_blob_bytes = 4096
                durable = false
                [events]
                retention = 5000
                """
        )
        #expect(config.maxRetainedEvents == 5000)
        #expect(config.network == "test")
        #expect(config.peers == [HostPort(host: "10.0.0.1", port: 7700), HostPort(host: "::1", port: 7700)])
        #expect(config.api.port == 0)
        #expect(config.maxBlobBytes == 4096)
        #expect(config.durable == false)
    }

    @Test func pingKeysSetTheReplicasLivenessDeadlines() throws {
        let config = try NodeConfiguration(toml: "[peers]\nping_interval_ms = 2000\nping_timeout_ms = 5000")
        #expect(config.mesh.replica.pingIntervalMilliseconds == 2000)
        #expect(config.mesh.replica.pingTimeoutMilliseconds == 5000)
    }

    @Test func syncKeysSetTheReplicasReconciliation() throws {
        let config = try NodeConfiguration(
            toml: "[sync]\ninterval_ms = 750\nframe_limit_bytes = 8192\nready_timeout_ms = 0\nmax_fetches_in_flight = 9"
        )
        #expect(config.mesh.replica.sync.intervalMilliseconds == 750)
        #expect(config.mesh.replica.sync.frameSizeLimit == 8192)
        #expect(config.mesh.replica.sync.readyTimeoutMilliseconds == 0)
        #expect(config.mesh.replica.sync.maxFetchesInFlight == 9)
    }

    @Test func garbageIsASyntaxError() {
        #expect {
            try NodeConfiguration(toml: "[node\nnetwork = ")
        } throws: { error in
            if case .syntax = error as? ConfigError { true } else { false }
        }
    }

    @Test func unknownKeyIsNamed() {
        #expect(throws: ConfigError.unknownKey("netwrok")) { try NodeConfiguration(toml: "[node]\nnetwrok = \"x\"") }
    }

    @Test(arguments: [
        "[api]\nlisten = \"nonsense\"",
        "[storage]\nmax_blob_bytes = -1",
        "[storage]\nmax_blob_bytes = 99999999999",
        "[storage]\ncommit_batch_max = 0",
        "[log]\nlevel = \"loud\"",
        "[node]\nnetwork = \"\"",
        "[storage]\ndurable = \"yes\"",
        "[gossip]\nmesh_degree_low = 9",
        "[gossip]\nheartbeat_ms = 0",
        "[peers]\nsend_budget_total_bytes = 10",
        "[peers]\nbogus = 1",
        "[peers]\nping_interval_ms = 0",
        "[peers]\nping_timeout_ms = 5000",
        "[peers]\nping_interval_ms = 20000\nping_timeout_ms = 20000",
        "[node]\ngenesis = \"\"",
        "[sync]\ninterval_ms = 0",
        "[sync]\nframe_limit_bytes = 100",
        "[sync]\nframe_limit_bytes = 1000000",
        "[sync]\nmax_fetches_in_flight = 0",
        "[sync]\nready_timeout_ms = -1",
        "[sync]\nbogus = 1",
        "[events]\nretention = 0",
    ])
    func badValuesAreRefused(_ text: String) {
        #expect(throws: ConfigError.self) { try NodeConfiguration(toml: text) }
    }

    @Test func missingFileIsUnreadable() {
        #expect {
            try NodeConfiguration(contentsOfFile: "/nonexistent/cairn.toml")
        } throws: { error in
            if case .unreadable = error as? ConfigError { true } else { false }
        }
    }

    @Test(arguments: [
        ("127.0.0.1:7701", HostPort(host: "127.0.0.1", port: 7701)),
        ("[::1]:80", HostPort(host: "::1", port: 80)),
        ("localhost:0", HostPort(host: "localhost", port: 0)),
    ])
    func hostPortParses(_ text: String, _ expected: HostPort) {
        #expect(HostPort(parsing: text) == expected)
    }

    @Test(arguments: ["7701", ":7701", "host:", "host:65536", "host:-1", "::1:80", "[::1]80", "a b:1"])
    func malformedHostPortIsRefused(_ text: String) {
        #expect(HostPort(parsing: text) == nil)
    }
}

@Suite struct DataDirectoryTests {
    @Test func initialiseWritesPrivateKeyAndTokenAndRefusesToOverwrite() async throws {
        try await withTemporaryDirectory { root in
            let directory = DataDirectory(path: root + "/data")
            try directory.initialise(network: "demo")
            for path in [directory.keyPath, directory.tokenPath] {
                let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
                #expect(mode == 0o600)
            }
            let key = try directory.loadKey()
            #expect(try NodeConfiguration(contentsOfFile: directory.configPath).network == "demo")
            #expect(throws: DataDirectoryError.alreadyInitialised(path: directory.keyPath)) {
                try directory.initialise(network: "demo")
            }
            #expect(try directory.loadKey().publicKey == key.publicKey)
        }
    }

    @Test func malformedKeyIsAClearError() async throws {
        try await withTemporaryDirectory { root in
            let directory = DataDirectory(path: root)
            try "not a key".write(toFile: directory.keyPath, atomically: false, encoding: .utf8)
            #expect(
                throws: DataDirectoryError.malformed(
                    path: directory.keyPath,
                    reason: "expected 64 hexadecimal characters"
                )
            ) {
                try directory.loadKey()
            }
        }
    }

    @Test func resolutionOrderIsFlagThenEnvironmentThenHome() {
        #expect(DataDirectory.resolve("/flag", environment: ["CAIRN_HOME": "/env"]).path == "/flag")
        #expect(DataDirectory.resolve(nil, environment: ["CAIRN_HOME": "/env", "HOME": "/h"]).path == "/env")
        #expect(DataDirectory.resolve(nil, environment: ["HOME": "/h"]).path == "/h/.cairn")
    }

    @Test func quotaKeysParseAndZeroMeansNoBound() throws {
        let key = testKey(3).publicKey
        let config = try NodeConfiguration(
            toml: """
                [storage]
                author_max_bytes = 0
                author_max_blobs = 5
                max_bytes = 1000
                quota_exempt = ["\(key.hex)"]
                [sync]
                max_refused = 10
                """
        )
        #expect(
            config.quota == StoreQuota(authorMaxBytes: nil, authorMaxBlobs: 5, maxBytes: 1000, exemptAuthors: [key])
        )
        #expect(config.sync.maxRefused == 10)
        #expect(NodeConfiguration().quota.authorMaxBlobs == NodeConfiguration.defaultAuthorMaxBlobs)
        #expect(throws: ConfigError.self) { try NodeConfiguration(toml: "[storage]\nquota_exempt = [\"zz\"]") }
        #expect(throws: ConfigError.self) { try NodeConfiguration(toml: "[storage]\nmax_bytes = -1") }
    }
}
