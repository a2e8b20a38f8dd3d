import CairnCore
import CairnQuorum
import Foundation
import Testing

/// Seven real node processes on a quorum network: they agree on decided heights; a double sign split across two
/// nodes gives every node the same evidence and the same new epoch; a restarted node rebuilds the same quorum state
/// from its database; slashing protection holds across a restart; one node per data directory.
@Suite(.serialized) struct QuorumProcessTests {
    /// Holders 1…7 (seeds 0x01…, 100 coins each), quorum 1, 2, 3.
    static func genesisText() -> String {
        let keys = (1...7).map { testKey(UInt8($0)).publicKey.hex }
        return """
            network = "quorum-test"
            quorum_size = 3
            epoch_length_heights = 100
            stall_alert_ms = 60000
            initial_quorum = [\(keys.prefix(3).map { "\"\($0)\"" }.joined(separator: ", "))]
            [stake]
            \(keys.map { "\($0) = 100" }.joined(separator: "\n"))

            """
    }

    static func block(_ height: UInt64, _ variant: String = "") -> BlockHash {
        BlockHash(unchecked: Blake2b.hash256(Array("application block \(height)\(variant)".utf8)))
    }

    /// The quorum as node `index` sees it, without the fields that are the node's own.
    static func quorum(_ cluster: MeshCluster, _ index: Int) async throws -> [String: Any] {
        var status = try await cluster.get("/v1/quorum", on: index)
        status["node"] = nil
        status["replaying"] = nil
        return status
    }

    static func describe(_ object: [String: Any]) -> String {
        let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "?"
    }

    /// Whether every node of `cluster` has decided `height` within the deadline.
    static func everyNode(of cluster: MeshCluster, decided height: UInt64) async -> Bool {
        await eventually(timeout: .seconds(30)) {
            for index in cluster.nodes.indices {
                guard let status = try? await cluster.get("/v1/quorum", on: index),
                    let last = (status["lastDecidedHeight"] as? String).flatMap(UInt64.init), last >= height
                else { return false }
            }
            return true
        }
    }

    /// `cairn demo` runs its script to the end, exits 0, and leaves no process or directory behind.
    @Test func theDemoExposesTheDoubleSignAndLeavesNothingBehind() throws {
        let result = try NodeProcess.run(["demo"])
        let output = String(decoding: result.stdout, as: UTF8.self)
        #expect(result.status == 0, "demo failed: \(result.stderr)\n\(output)")
        #expect(output.contains("every node agrees"))
        #expect(output.contains("watcher on node 5 (cairn watch): equivocation alert"))
        let removed = try #require(output.split(separator: "\n").last { $0.hasPrefix("stopped 5 nodes and removed ") })
        let root = String(removed.dropFirst("stopped 5 nodes and removed ".count))
        #expect(!FileManager.default.fileExists(atPath: root), "the demo left \(root)")
    }

    /// `cairn quorum status|candidacy|vote|sign` against one node, and `POST /v1/quorum/votes`; bad flags and a node
    /// without a genesis give one clear line.
    @Test func theQuorumClientCommandsSignHereOrOnTheNode() async throws {
        try await withTemporaryDirectory { root in
            let genesisPath = root + "/genesis.toml"
            try Self.genesisText().write(toFile: genesisPath, atomically: false, encoding: .utf8)
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start(
                config: MeshCluster.testConfiguration
                    + "\n[node]\nnetwork = \"quorum-test\"\ngenesis = \"\(genesisPath)\"\n",
                key: testKey(1)
            )
            try await cluster.start()
            for byte in [2, 4, 5] as [UInt8] {
                try (Hex.encode(testKey(byte).seed) + "\n").write(
                    toFile: root + "/k\(byte)",
                    atomically: false,
                    encoding: .utf8
                )
            }
            let client = ["--api", cluster.apis[0], "--data", cluster.nodes[0].data]
            func cairn(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
                let result = try NodeProcess.run(arguments)
                return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
            }
            func channel(ofBlob id: String) async throws -> String? {
                try await cluster.get("/v1/blobs/\(id.trimmingCharacters(in: .whitespacesAndNewlines))", on: 0)[
                    "channel"
                ]
                    as? String
            }

            let status = try cairn(["quorum", "status"] + client)
            #expect(status.status == 0 && status.out.contains("\"genesis\""), "\(status.err)")
            let candidacy = try cairn(["quorum", "candidacy", "--key", root + "/k4"] + client)
            #expect(candidacy.status == 0, "\(candidacy.err)")
            #expect(try await channel(ofBlob: candidacy.out) == "quorum/candidacy")
            let vote = try cairn(["quorum", "vote", "--key", root + "/k5", testKey(4).publicKey.hex] + client)
            #expect(vote.status == 0, "\(vote.err)")
            #expect(try await channel(ofBlob: vote.out) == "quorum/vote")
            // Member 2 signs height 1 here with its key file; the node lists the signature under its key.
            let signed = try cairn(
                ["quorum", "sign", "--height", "1", "--block", Self.block(1).hex, "--key", root + "/k2"] + client
            )
            #expect(signed.status == 0, "\(signed.err)")
            let report = try await cluster.get("/v1/quorum/heights/1", on: 0)
            let signers = (report["signatures"] as? [[String: Any]])?.compactMap { $0["signer"] as? String }
            #expect(signers == [testKey(2).publicKey.hex])
            // The node signs a slip with its own key.
            let byNode = try await cluster.post(
                "/v1/quorum/votes",
                json: ["candidates": [testKey(4).publicKey.hex], "recall": ["epoch": "0"]],
                on: 0
            )
            #expect(byNode.status == 201 && byNode.body["author"] as? String == testKey(1).publicKey.hex)
            #expect(byNode.body["channel"] as? String == "quorum/vote")
            let notAList = try await cluster.post("/v1/quorum/votes", json: ["candidates": "x"], on: 0)
            #expect(notAList.status == 400 && notAList.body["error"] as? String == "invalid_body")

            let bad: [([String], String)] = [
                (
                    [
                        "quorum", "vote", "--key", root + "/k5", "--drop", testKey(2).publicKey.hex,
                        testKey(4).publicKey.hex,
                    ], "--drop needs --recall"
                ),
                (["quorum", "vote", "--key", root + "/k5", "not-a-key"], "is not a public key"),
                (["quorum", "sign", "--height", "1", "--block", "zz"], "--block expects"),
                (["quorum", "sign", "--height", "0", "--block", Self.block(1).hex], "--height starts at 1"),
            ]
            for (arguments, message) in bad {
                let result = try cairn(arguments + client)
                #expect(result.status != 0 && result.err.contains(message), "\(arguments): \(result.err)")
            }
            let noQuorum = try cairn(["quorum", "status", "--api", cluster.apis[1]])
            #expect(noQuorum.status != 0 && noQuorum.err.contains("no_quorum"), "\(noQuorum.err)")
        }
    }

    @Test func sevenNodesAgreeExposeADoubleSignAndRebuildAfterRestart() async throws {
        try await withTemporaryDirectory { root in
            let genesisPath = root + "/genesis.toml"
            try Self.genesisText().write(toFile: genesisPath, atomically: false, encoding: .utf8)
            let config =
                MeshCluster.testConfiguration + "\n[node]\nnetwork = \"quorum-test\"\ngenesis = \"\(genesisPath)\"\n"
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            for index in 0..<7 {
                let peers = index == 0 ? [] : Array(Set([0, index - 1]))
                try await cluster.start(peers: peers, config: config, key: testKey(UInt8(index + 1)))
            }
            let everyone = Array(0..<7)
            let connected = try await eventually(timeout: .seconds(30)) {
                for index in everyone where try await cluster.peerIDs(of: index).isEmpty { return false }
                return true
            }
            #expect(connected, "the seven nodes did not connect")

            // Heights 1…3: the application hands each member its block once the height before is decided; every
            // node decides the same.
            for height in UInt64(1)...3 {
                for member in 0..<3 {
                    let answer = try await cluster.post(
                        "/v1/quorum/signatures",
                        json: ["height": String(height), "block": Self.block(height).hex],
                        on: member
                    )
                    #expect(answer.status == 201, "member \(member) did not sign height \(height): \(answer.body)")
                }
                let decided = await Self.everyNode(of: cluster, decided: height)
                try #require(decided, "not every node decided height \(height)")
            }
            for height in 1...3 {
                var blocks: Set<String> = []
                for index in everyone {
                    let report = try await cluster.get("/v1/quorum/heights/\(height)", on: index)
                    blocks.insert((report["decision"] as? [String: Any])?["block"] as? String ?? "none")
                }
                #expect(blocks == [Self.block(UInt64(height)).hex], "height \(height): \(blocks)")
            }

            // A watcher on node 6, which is not a member, and on node 4.
            let watcher = try WatchProcess(
                [
                    "--api", cluster.apis[6], "--api", cluster.apis[4], "--topics", "equivocation", "--state",
                    root + "/w",
                ],
                outputsIn: root
            )
            defer { watcher.stop() }

            // Member 2 signs two blocks for height 4, each after its channel's tip: one to node 3, one to node 5.
            let offender = testKey(2)
            let listing = try await cluster.get("/v1/channels/\(offender.publicKey.hex)/quorum/sig", on: 1)
            let tip = try #require((listing["blobs"] as? [[String: Any]])?.last)
            let genesis = try Genesis(toml: Self.genesisText())
            let halves = try ["a", "b"].map { variant in
                try SignedBlob.sign(
                    key: offender,
                    channel: QuorumChannel.signature,
                    seq: 4,
                    prev: BlobID(hex: tip["id"] as! String)!,
                    timestamp: 1_700_000_000_000,
                    payload: QuorumSignature(
                        genesis: genesis.hash,
                        epoch: 0,
                        height: 4,
                        block: Self.block(4, variant),
                        voteSet: .zero
                    ).encoding
                )
            }
            #expect(tip["seq"] as? String == "3")
            try await cluster.publishSigned(halves[0].encoding, on: 3)
            try await cluster.publishSigned(halves[1].encoding, on: 5)
            let evidenceID = Evidence.id(kind: QuorumRules.equivocationKind, halves[0].id, halves[1].id).hex
            let members = [testKey(1), testKey(3)].map(\.publicKey).sorted().map(\.hex)
            let switched = await eventually(timeout: .seconds(30)) {
                for index in everyone {
                    guard let status = try? await cluster.get("/v1/quorum", on: index),
                        let epoch = status["epoch"] as? [String: Any], epoch["epoch"] as? String == "1",
                        epoch["members"] as? [String] == members,
                        (status["equivocations"] as? [[String: Any]])?.first?["evidence"] as? String == evidenceID
                    else { return false }
                }
                return true
            }
            #expect(switched, "not every node holds evidence \(evidenceID) and epoch 1 of members 1 and 3")
            for index in everyone {
                let recorded = try await cluster.hasEvidence(evidenceID, on: index)
                #expect(recorded, "node \(index) did not record the evidence")
            }

            let alerted = await eventually(timeout: .seconds(30)) { !watcher.lines.isEmpty }
            #expect(alerted, "the watcher got no alert: \(watcher.stderr)")
            // One alert, although two nodes report it.
            #expect(watcher.lines.map { $0.data("evidence") } == [evidenceID])
            #expect(watcher.lines.first?.data("author") == offender.publicKey.hex)

            // The new epoch decides height 4.
            for member in [0, 2] {
                let answer = try await cluster.post(
                    "/v1/quorum/signatures",
                    json: ["height": "4", "block": Self.block(4).hex],
                    on: member
                )
                #expect(answer.status == 201, "member \(member) did not sign height 4 in epoch 1: \(answer.body)")
            }
            let refused = try await cluster.post(
                "/v1/quorum/signatures",
                json: ["height": "4", "block": Self.block(4).hex],
                on: 1
            )
            #expect(refused.status == 409 && refused.body["error"] as? String == "not_member")
            let decidedFour = await Self.everyNode(of: cluster, decided: 4)
            #expect(decidedFour, "the new epoch did not decide height 4 everywhere")

            // A restarted node rebuilds the same quorum state from its database.
            let before = Self.describe(try await Self.quorum(cluster, 4))
            try await cluster.restart(4, peers: [0])
            let rebuilt = await eventually(timeout: .seconds(30)) {
                guard let after = try? await Self.quorum(cluster, 4) else { return false }
                return Self.describe(after) == before
            }
            let after = Self.describe(try await Self.quorum(cluster, 4))
            #expect(rebuilt, "node 4 after a restart: \(after), before: \(before)")

            // Slashing protection holds across a restart: member 1 signs height 5, restarts, and refuses another block.
            let signed = try await cluster.post(
                "/v1/quorum/signatures",
                json: ["height": "5", "block": Self.block(5).hex],
                on: 0
            )
            #expect(signed.status == 201)
            try await cluster.restart(0, peers: [1])
            let live = await eventually(timeout: .seconds(30)) {
                (try? await cluster.get("/v1/quorum", on: 0))?["replaying"] as? Bool == false
            }
            #expect(live)
            let second = try await cluster.post(
                "/v1/quorum/signatures",
                json: ["height": "5", "block": Self.block(5, "other").hex],
                on: 0
            )
            #expect(second.status == 409 && second.body["error"] as? String == "double_sign_refused", "\(second)")

            // The protection record exports while the node runs (the genesis from its cairn.toml), imports into a
            // restored data directory of the same key, and not into one a node is running on.
            let export = try NodeProcess.run(["quorum", "protection", "export", "--data", cluster.nodes[0].data])
            let exported = String(decoding: export.stdout, as: UTF8.self)
            #expect(export.status == 0 && exported.contains("\"height\" : \"5\""), "\(export.stderr)")
            try export.stdout.write(to: URL(fileURLWithPath: root + "/protection.json"))
            let whileRunning = try NodeProcess.run([
                "quorum", "protection", "import", root + "/protection.json", "--data", cluster.nodes[0].data,
            ])
            #expect(whileRunning.status != 0 && whileRunning.stderr.contains("locked"), "\(whileRunning.stderr)")
            // Member 1 signed heights 1 to 5.
            for (name, key, outcome) in [("restored", testKey(1), "imported 5 new"), ("other", testKey(2), "key is")] {
                let data = root + "/" + name
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                try (Hex.encode(key.seed) + "\n").write(toFile: data + "/node.key", atomically: false, encoding: .utf8)
                let imported = try NodeProcess.run([
                    "quorum", "protection", "import", root + "/protection.json", "--data", data, "--genesis",
                    genesisPath,
                ])
                let output = String(decoding: imported.stdout, as: UTF8.self) + imported.stderr
                #expect((imported.status == 0) == (name == "restored") && output.contains(outcome), "\(output)")
            }

            // One node per data directory.
            let twin = try NodeProcess.run(["node", "--data", cluster.nodes[0].data, "--api", "127.0.0.1:0"])
            #expect(twin.status != 0 && twin.stderr.contains("locked"), "a second node ran: \(twin.stderr)")
        }
    }
}
