import CairnCore
import CairnNode
import CairnProtocol
import CairnQuorum
import Foundation
import Testing

/// The quorum plug-in in a real node (real loop, real LMDB): the node's clock ticks it, so a quorum that decides
/// nothing raises `stalled`, and proposer mode decides heights through the node's own publications.
@Suite struct QuorumNodeTests {
    /// A one-member quorum of the node's own key (testKey(9)), stalling after `stallMilliseconds`.
    static func soloGenesis(stallMilliseconds: UInt64) throws -> Genesis {
        try Genesis(
            network: "cairn",
            stake: [(key: testKey(9).publicKey, coins: 100)],
            quorumSize: 1,
            stallAlertMilliseconds: stallMilliseconds,
            initialQuorum: [testKey(9).publicKey]
        )
    }

    private static func events(_ node: Node, topic: String) throws -> [[String: String]] {
        try node.store.events(after: 0, limit: 1_000).compactMap { event in
            guard case .custom(topic, let data) = event.kind else { return nil }
            return try? JSONDecoder().decode([String: String].self, from: Data(data))
        }
    }

    @Test func aQuorumThatDecidesNothingRaisesStalledOnce() async throws {
        try await withTemporaryDirectory { directory in
            let plugin = QuorumPlugin(genesis: try Self.soloGenesis(stallMilliseconds: 200))
            try await withNode(in: directory, plugins: [plugin]) { node in
                try await node.startPlugins()
                let stalled = await eventually(timeout: .seconds(30)) {
                    (try? Self.events(node, topic: "stalled").count) == 1
                }
                #expect(stalled, "no stalled event")
                #expect(try Self.events(node, topic: "stalled").first?["lastDecidedHeight"] == "0")
            }
        }
    }

    @Test func proposerModeDecidesHeightsThroughTheNodesOwnBlobs() async throws {
        try await withTemporaryDirectory { directory in
            let signer = QuorumSigner(key: testKey(9).publicKey, proposes: true, proposeIntervalMilliseconds: 20)
            let plugin = QuorumPlugin(genesis: try Self.soloGenesis(stallMilliseconds: 60_000), signer: signer)
            try await withNode(in: directory, plugins: [plugin]) { node in
                try await node.startPlugins()
                let decided = await eventually(timeout: .seconds(30)) {
                    let height = await node.withPlugin(QuorumPlugin.self) { ($0.state.lastDecidedHeight, []) }
                    return (height ?? 0) >= 3
                }
                #expect(decided, "proposer mode decided nothing")
                // The events are appended after the decisions, by the node's event drain.
                let appended = await eventually(timeout: .seconds(30)) {
                    (try? Self.events(node, topic: "decided").count) ?? 0 >= 3
                }
                #expect(appended)
                let heights = try Self.events(node, topic: "decided").prefix(3).map { $0["height"] }
                #expect(heights == ["1", "2", "3"])
                // What it signed is in its slashing protection, one record per height.
                let records = await node.withPlugin(QuorumPlugin.self) { ($0.signer!.protection.records, []) } ?? []
                #expect(records.prefix(3).map(\.height) == [1, 2, 3])
            }
        }
    }
}
