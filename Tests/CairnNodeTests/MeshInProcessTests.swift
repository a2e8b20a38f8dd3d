import CairnCore
import CairnNode
import CairnStore
import Foundation
import Testing

/// Two nodes in one process, each on its own loop and store, joined over real loopback TCP.
@Suite struct MeshInProcessTests {
    /// A listen address that is taken fails the start with an error naming it; what the mesh opened is closed again,
    /// so the loop closes cleanly at shutdown.
    @Test func meshThatCannotListenSaysWhereAndLeavesNothingOpen() async throws {
        let taken = try ListeningSocket()
        let loop = try await withTemporaryDirectory { directory in
            try await withNode(in: directory) { node in
                var configuration = NodeConfiguration()
                configuration.listen = HostPort(host: "127.0.0.1", port: taken.port)
                let expected = EventLoopError.cannotListen(
                    address: "127.0.0.1:\(taken.port)",
                    code: -EADDRINUSE,
                    message: "address already in use"
                )
                await #expect(throws: expected) { try await node.startMesh(configuration.mesh, seed: 1) }
                #expect(await node.meshPort == nil)
                return node.loop
            }
        }
        #expect(loop.isClosed)
    }

    @Test func connectingPeersAreLoggedAsPeerEventsAndBlobsReplicate() async throws {
        try await withTemporaryDirectory { first in
            try await withTemporaryDirectory { second in
                try await withNode(in: first, identity: testKey(1)) { a in
                    var configuration = NodeConfiguration()
                    configuration.listen = HostPort(host: "127.0.0.1", port: 0)
                    try await a.startMesh(configuration.mesh, seed: 1)
                    let port = try #require(await a.meshPort)
                    try await withNode(in: second, identity: testKey(2)) { b in
                        configuration.peers = [HostPort(host: "127.0.0.1", port: port)]
                        try await b.startMesh(configuration.mesh, seed: 2)
                        let connected = await eventually {
                            let (fromA, fromB) = (await a.peers.count, await b.peers.count)
                            return fromA == 1 && fromB == 1
                        }
                        #expect(connected)
                        let blob = try await a.publish(channel: try ChannelName("news"), payload: Array("hi".utf8))
                        let replicated = await eventually { (try? b.store.has(blob.id)) == true }
                        #expect(replicated)
                        let events = try b.store.events(after: 0, limit: 100)
                        let peerEvents = events.filter { $0.topic == "peer" }
                        #expect(!peerEvents.isEmpty)
                        let first = try #require(peerEvents.first)
                        guard case .custom(_, let data) = first.kind else {
                            Issue.record("a peer event is not a custom event: \(first.kind)")
                            return
                        }
                        let text = String(decoding: data, as: UTF8.self)
                        #expect(text.contains("\"event\":\"up\""))
                        #expect(text.contains(testKey(1).publicKey.hex))
                    }
                }
            }
        }
    }
}
