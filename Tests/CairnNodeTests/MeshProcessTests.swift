import CairnCore
import CairnNode
import CairnProtocol
import Foundation
import Testing

/// Multi-process mesh tests: real `cairn node` processes on 127.0.0.1.
@Suite(.serialized) struct MeshProcessTests {
    /// Ten nodes, each bootstrapped from one earlier node; blobs published on several nodes reach every node.
    @Test func tenNodesAllReceiveEveryBlob() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            for index in 1..<10 {
                try await cluster.start(peers: [index / 2])
            }
            var ids: [String] = []
            for publisher in [0, 3, 7, 9] {
                for number in 0..<5 {
                    ids.append(try await cluster.publish(on: publisher, payload: "from \(publisher) #\(number)"))
                }
            }
            // One large blob, announced and fetched rather than pushed.
            ids.append(try await cluster.publish(on: 5, payload: String(repeating: "L", count: 100_000)))
            for node in 0..<10 {
                let complete = await eventually(timeout: .seconds(30)) {
                    for id in ids where !(await cluster.has(id, on: node)) { return false }
                    return true
                }
                #expect(complete, "node \(node) is missing blobs")
            }
        }
    }

    /// A node that knows a single peer learns the others through peer exchange.
    @Test func singleBootstrapPeerLeadsToTheRestOfTheMesh() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            for _ in 1..<5 { try await cluster.start(peers: [0]) }
            let newcomer = try await cluster.start(peers: [1])
            let learned = await eventually(timeout: .seconds(30)) {
                await cluster.peerIDs(of: newcomer).count >= 3
            }
            let known = await cluster.peerIDs(of: newcomer).count
            #expect(learned, "the newcomer is connected to only \(known) peers")
        }
    }

    /// Peers that send random bytes, oversized frames or forged blobs are banned; honest nodes keep delivering.
    @Test(arguments: HostileBehaviour.allCases)
    func hostilePeerIsBannedWhileHonestNodesDeliver(_ behaviour: HostileBehaviour) async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            try await cluster.start(peers: [0])
            let target = try #require(HostPort(parsing: cluster.meshAddresses[0]))
            let attacker = try SigningKey(seed: (0..<32).map { UInt8($0) ^ 0x5a })
            let connection = try HostilePeer(host: target.host, port: target.port, key: attacker)
            try connection.misbehave(behaviour)
            let banned = await eventually(timeout: .seconds(20)) {
                await cluster.bans(of: 0).contains(attacker.publicKey.hex)
            }
            #expect(banned, "node 0 did not ban the \(behaviour) peer")
            // The ban holds: a new connection with the same key is refused after the handshake.
            let again = try HostilePeer(host: target.host, port: target.port, key: attacker)
            #expect(again.isClosedByRemote(within: .seconds(10)))
            // Honest delivery continues.
            let id = try await cluster.publish(on: 0, payload: "after the attack \(behaviour)")
            #expect(await eventually(timeout: .seconds(20)) { await cluster.has(id, on: 1) })
        }
    }
}
