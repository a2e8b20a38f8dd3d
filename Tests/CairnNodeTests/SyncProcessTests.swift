import CairnCore
import Foundation
import Testing

/// Catch-up by set reconciliation between real `cairn node` processes on 127.0.0.1.
@Suite(.serialized) struct SyncProcessTests {
    /// A node killed while 2,000 blobs are published holds all of them within 20 s of its restart.
    @Test func aNodeStoppedWhileBlobsArePublishedCatchesUpAfterRestart() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            try await cluster.start(peers: [0])
            try await cluster.start(peers: [0])
            cluster.nodes[2].stop(signal: SIGKILL)

            let total = 2_000
            try await Self.publish(total, on: [0, 1], cluster: cluster)
            let gossiped = await eventually(timeout: .seconds(30)) { await cluster.blobCount(on: 1) == total }
            let relayed = await cluster.blobCount(on: 1)
            #expect(gossiped, "node 1 holds \(relayed) of \(total)")

            try await cluster.restart(2, peers: [0])
            let caughtUp = await eventually(timeout: .seconds(20)) { await cluster.blobCount(on: 2) == total }
            let held = await cluster.blobCount(on: 2)
            #expect(caughtUp, "the restarted node holds \(held) of \(total) blobs")
            #expect(await cluster.status("/readyz", on: 2) == 200)
        }
    }

    /// Three groups of nodes that never met publish apart; once a bridge node connects to one node of each, every
    /// node ends up holding every blob.
    @Test func threeGroupsThatPublishedApartConvergeOnceBridged() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            var firsts: [Int] = []
            for _ in 0..<3 {
                let first = try await cluster.start()
                try await cluster.start(peers: [first])
                firsts.append(first)
            }
            let perGroup = 50
            for first in firsts { try await Self.publish(perGroup, on: [first], cluster: cluster) }
            for node in 0..<6 {
                let grouped = await eventually(timeout: .seconds(30)) { await cluster.blobCount(on: node) == perGroup }
                #expect(grouped, "node \(node) did not get its own group's blobs")
            }
            try await cluster.start(peers: firsts)
            for node in 0..<7 {
                let converged = await eventually(timeout: .seconds(30)) {
                    await cluster.blobCount(on: node) == 3 * perGroup
                }
                let held = await cluster.blobCount(on: node)
                #expect(converged, "node \(node) holds \(held) of \(3 * perGroup) blobs")
            }
        }
    }

    /// `/readyz` answers 503 while a lone node waits for a first reconciliation round, and 200 once a peer came
    /// and a round finished.
    @Test func readyzWaitsForAFirstRoundWithAPeer() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start(config: MeshCluster.testConfiguration + "\n[sync]\nready_timeout_ms = 600000\n")
            #expect(await cluster.status("/readyz", on: 0) == 503)
            let waiting = try await cluster.get("/readyz", on: 0)
            #expect(waiting["status"] as? String == "waiting")
            try await cluster.start(peers: [0])
            let ready = await eventually(timeout: .seconds(20)) { await cluster.status("/readyz", on: 0) == 200 }
            #expect(ready)
            let body = try await cluster.get("/readyz", on: 0)
            #expect(body["reason"] as? String == "synced")
        }
    }

    /// A node that finds no peer is ready once `sync.ready_timeout_ms` has passed, and says why.
    @Test func aLoneNodeIsReadyAfterTheTimeout() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start(config: MeshCluster.testConfiguration + "\n[sync]\nready_timeout_ms = 300\n")
            let ready = await eventually(timeout: .seconds(10)) { await cluster.status("/readyz", on: 0) == 200 }
            #expect(ready)
            let body = try await cluster.get("/readyz", on: 0)
            #expect(body["reason"] as? String == "timeout")
        }
    }

    /// Publishes `count` small blobs, spread over `nodes`, 16 requests at a time.
    static func publish(_ count: Int, on nodes: [Int], cluster: MeshCluster) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<count {
                if number >= 16 { try await group.next() }
                group.addTask {
                    _ = try await cluster.publish(on: nodes[number % nodes.count], payload: "catch-up #\(number)")
                }
            }
            try await group.waitForAll()
        }
    }
}
