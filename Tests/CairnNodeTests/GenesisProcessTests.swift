import CairnCore
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A quorum network's genesis, loaded by `cairn node --genesis`: its hash is part of the network key, so only nodes
/// with the same genesis connect, and the quorum plug-in refuses malformed payloads on its channels.
@Suite(.serialized) struct GenesisProcessTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let genesis = repositoryRoot.appendingPathComponent("Config/genesis.toml").path
    /// The demo genesis is for network "cairn-demo".
    static let demoConfiguration =
        MeshCluster.testConfiguration + "\n[node]\nnetwork = \"cairn-demo\"\ngenesis = \"\(genesis)\"\n"

    @Test func onlyNodesWithTheSameGenesisConnect() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start(config: Self.demoConfiguration)
            try await cluster.start(peers: [0], config: Self.demoConfiguration)
            let joined = try await eventually(timeout: .seconds(20)) { try await cluster.peerIDs(of: 1).count == 1 }
            #expect(joined, "two nodes with the same genesis did not connect")
            // Same network name, no genesis: another network key.
            try await cluster.start(
                peers: [0],
                config: MeshCluster.testConfiguration + "\n[node]\nnetwork = \"cairn-demo\"\n"
            )
            let strayed = try await eventually(timeout: .seconds(3)) { try await !cluster.peerIDs(of: 2).isEmpty }
            #expect(!strayed, "a node without the genesis completed a handshake")
            // The quorum owns its channels: a payload that is not a quorum payload is refused at the door.
            let token = try String(contentsOfFile: cluster.nodes[0].data + "/api.token", encoding: .utf8)
            var request = URLRequest(url: URL(string: "\(cluster.apis[0])/v1/blobs?channel=quorum/sig")!)
            request.httpMethod = "POST"
            request.setValue(
                "Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))",
                forHTTPHeaderField: "Authorization"
            )
            request.httpBody = Data("not a signature".utf8)
            let (body, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 400)
            #expect(String(decoding: body, as: UTF8.self).contains("refused_payload"))
        }
    }

    @Test func aBadGenesisStopsTheNodeWithOneClearLine() async throws {
        try await withTemporaryDirectory { root in
            try "network = \"cairn-demo\"\nquorum_size = \"three\"\n".write(
                toFile: root + "/bad.toml",
                atomically: false,
                encoding: .utf8
            )
            let cases: [([String], String)] = [
                (["--genesis", root + "/missing.toml"], "missing.toml"),
                (["--genesis", root + "/bad.toml"], "bad.toml"),
                (["--genesis", Self.genesis], "genesis of network \"cairn-demo\""),
            ]
            for (arguments, message) in cases {
                let result = try NodeProcess.run(
                    ["node", "--data", root + "/data", "--api", "127.0.0.1:0", "--listen", "127.0.0.1:0"] + arguments
                )
                #expect(result.status != 0, "\(arguments)")
                #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            }
        }
    }
}
