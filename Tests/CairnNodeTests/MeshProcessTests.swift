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
                let complete = try await eventually(timeout: .seconds(30)) { try await cluster.hasAll(ids, on: node) }
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
            let learned = try await eventually(timeout: .seconds(30)) {
                try await cluster.peerIDs(of: newcomer).count >= 3
            }
            let known = try await cluster.peerIDs(of: newcomer).count
            #expect(learned, "the newcomer is connected to only \(known) peers")
        }
    }

    /// Nodes of different networks never complete a handshake.
    @Test func nodeOfAnotherNetworkNeverConnects() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            try await cluster.start(
                peers: [0],
                config: MeshCluster.testConfiguration + "\n[node]\nnetwork = \"elsewhere\"\n"
            )
            // Many heartbeats' worth of dial attempts: the condition must stay false for the whole window.
            let connected = try await eventually(timeout: .seconds(3)) { try await !cluster.peerIDs(of: 1).isEmpty }
            #expect(!connected, "a node of another network completed a handshake")
            let foreign = try await cluster.id(of: 1)
            let peersOfFirst = try await cluster.peerIDs(of: 0)
            #expect(!peersOfFirst.contains(foreign))
        }
    }

    /// A node told to dial its own address never ends up connected to itself.
    @Test func nodeNeverConnectsToItself() async throws {
        try await withTemporaryDirectory { root in
            let port = try freeTCPPort()
            let node = try NodeProcess(
                data: root,
                listen: "127.0.0.1:\(port)",
                extraArguments: ["--peer", "127.0.0.1:\(port)"]
            )
            defer { node.stop(signal: SIGKILL) }
            guard let api = await node.waitForAPI() else {
                Issue.record("node did not start: \(node.log)")
                return
            }
            // A failed API call throws: it must not read as "not connected".
            let connected = try await eventually(timeout: .seconds(3)) {
                let peers = try NodeProcess.run(["peers", "--api", api])
                guard peers.status == 0,
                    let object = try JSONSerialization.jsonObject(with: peers.stdout) as? [String: Any],
                    let list = object["peers"] as? [Any]
                else { throw MeshCluster.ClusterError.badAnswer("cairn peers: \(peers.stderr)") }
                return !list.isEmpty
            }
            #expect(!connected, "the node connected to itself")
        }
    }

    /// The connection rules over a real socket: the node's first record is `hello`; empty records and messages of
    /// unknown versions or types are skipped, not punished; a first message other than `hello` closes the connection.
    @Test func helloComesFirstAndUnknownMessagesAreSkippedNotPunished() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            let target = try #require(HostPort(parsing: cluster.meshAddresses[0]))
            let newer = try SigningKey(seed: [UInt8](repeating: 0x41, count: 32))
            let peer = try HostilePeer(host: target.host, port: target.port, key: newer)
            let first = try WireMessage.decode(try peer.readRecord())
            #expect(first == .hello(listenPort: UInt16(target.port)))
            try peer.sendMessage(.hello(listenPort: 0))
            try peer.sendRecord([])
            try peer.sendRecord([WireMessage.version, 0x7F, 1, 2, 3])
            try peer.sendRecord([2, WireMessage.MessageType.blob.rawValue, 0, 0])
            try peer.sendMessage(.ping(7))
            // The node answers the ping after skipping the rest: the connection is alive and the peer not punished.
            var answered = false
            for _ in 0..<16 where !answered {
                answered = try WireMessage.decode(try peer.readRecord()) == .pong(7)
            }
            #expect(answered)
            #expect(try await !cluster.bans(of: 0).contains(newer.publicKey.hex))

            let rude = try HostilePeer(
                host: target.host,
                port: target.port,
                key: try SigningKey(seed: [UInt8](repeating: 0x42, count: 32))
            )
            try rude.sendMessage(.ping(1))
            #expect(try rude.isClosedByRemote(within: .seconds(10)))
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
            let banned = try await eventually(timeout: .seconds(20)) {
                try await cluster.bans(of: 0).contains(attacker.publicKey.hex)
            }
            #expect(banned, "node 0 did not ban the \(behaviour) peer")
            // The ban holds: a new connection with the same key is refused after the handshake.
            let again = try HostilePeer(host: target.host, port: target.port, key: attacker)
            #expect(try again.isClosedByRemote(within: .seconds(10)))
            // Honest delivery continues.
            let id = try await cluster.publish(on: 0, payload: "after the attack \(behaviour)")
            let delivered = try await eventually(timeout: .seconds(20)) { try await cluster.has(id, on: 1) }
            #expect(delivered)
        }
    }
}

@Suite(.serialized) struct MeshBackpressureTests {
    /// A peer that never reads loses its traffic and is disconnected; the node's queue for it stays bounded. (Pings
    /// are pushed far out: on a slow machine the silent peer could otherwise be closed as dead first.)
    @Test func peerThatNeverReadsIsDisconnectedAndMemoryStaysBounded() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            let budget = 256 * 1024
            try await cluster.start(
                config: MeshCluster.testConfiguration + """

                    send_budget_lazy_bytes = 65536
                    send_budget_total_bytes = \(budget)
                    ping_interval_ms = 600000
                    ping_timeout_ms = 1200000
                    """
            )
            let target = try #require(HostPort(parsing: cluster.meshAddresses[0]))
            let sloth = try HostilePeer(
                host: target.host,
                port: target.port,
                key: try SigningKey(seed: [UInt8](repeating: 0x44, count: 32)),
                receiveBufferBytes: 4096
            )
            let connected = try await eventually { try await cluster.peerIDs(of: 0).count == 1 }
            #expect(connected)
            let rssBefore = try cluster.nodes[0].residentBytes()
            // 2,000 blobs of 8 KiB (pushed eagerly): about 16 MB, far over the budget and the socket buffers.
            let payload = String(repeating: "x", count: 8 * 1024)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for number in 0..<250 {
                            _ = try await cluster.publish(on: 0, payload: "\(worker)-\(number)-\(payload)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let dropped = try await eventually { try await cluster.peerIDs(of: 0).isEmpty }
            #expect(dropped, "the peer that never reads is still connected")
            let tooSlow = try await cluster.metric("cairn_peers_too_slow_total", of: 0)
            #expect((1...2).contains(tooSlow), "cairn_peers_too_slow_total is \(tooSlow)")
            let rssAfter = try cluster.nodes[0].residentBytes()
            // 16 MB went out to nobody; the node's memory must not have grown by anything like it.
            #expect(rssAfter - rssBefore < 64 * 1024 * 1024, "resident memory grew from \(rssBefore) to \(rssAfter)")
            // The node closed the connection although the peer never read a byte (no goodbye left waiting to drain):
            // the peer sees the end of the stream behind the bytes it never read.
            #expect(try sloth.isClosedByRemote(within: .seconds(10)))
        }
    }
}

@Suite(.serialized) struct MeshEvidenceTests {
    /// Two conflicting blobs published on two different nodes: every node ends up with both and the evidence.
    @Test func forkPublishedOnTwoNodesBecomesEvidenceEverywhere() async throws {
        let (a, b) = try Self.fork()
        let evidenceID = Evidence.id(kind: .channelFork, a.id, b.id).hex
        let blobIDs = [a.id.hex, b.id.hex]
        let encodings = [a.encoding, b.encoding]
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            try await cluster.start(peers: [0])
            try await cluster.start(peers: [1])
            let connected = try await eventually { try await cluster.peerIDs(of: 1).count == 2 }
            #expect(connected)
            try await cluster.publishSigned(encodings[0], on: 0)
            try await cluster.publishSigned(encodings[1], on: 2)
            for node in 0..<3 {
                let recorded = try await eventually(timeout: .seconds(20)) {
                    try await cluster.hasEvidence(evidenceID, on: node)
                }
                #expect(recorded, "node \(node) has no evidence")
                let held = try await cluster.hasAll(blobIDs, on: node)
                #expect(held, "node \(node) lacks a blob of the fork")
            }
        }
    }

    /// Evidence recorded while a node was away is offered when it connects, without tripping its send budget.
    @Test func storedEvidenceIsOfferedToANewPeerWithinItsBudget() async throws {
        let forks = try (1...5).map { index in try Self.fork(seq: UInt64(index), payloadBytes: 256 * 1024) }
        let evidenceIDs = forks.map { Evidence.id(kind: .channelFork, $0.0.id, $0.1.id).hex }
        let encodings = forks.flatMap { [$0.0.encoding, $0.1.encoding] }
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            for encoding in encodings { try await cluster.publishSigned(encoding, on: 0) }
            let newcomer = try await cluster.start(peers: [0])
            for id in evidenceIDs {
                let offered = try await eventually(timeout: .seconds(20)) {
                    try await cluster.hasEvidence(id, on: newcomer)
                }
                #expect(offered, "evidence \(id) did not reach the new peer")
            }
            let stillConnected = try await cluster.peerIDs(of: newcomer).count
            #expect(stillConnected == 1)
            #expect(try await cluster.metric("cairn_peers_too_slow_total", of: 0) == 0)
        }
    }

    /// Fifty pieces of evidence offered at once on connect: the receiver verifies them all in turn and does not
    /// mistake the burst for an offence.
    @Test func aBurstOfEvidenceOnConnectIsVerifiedWithoutBanningTheSender() async throws {
        let forks = try (1...50).map { index in try Self.fork(seq: UInt64(index)) }
        let evidenceIDs = forks.map { Evidence.id(kind: .channelFork, $0.0.id, $0.1.id).hex }
        let encodings = forks.flatMap { [$0.0.encoding, $0.1.encoding] }
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            for encoding in encodings { try await cluster.publishSigned(encoding, on: 0) }
            let newcomer = try await cluster.start(peers: [0])
            let all = try await eventually(timeout: .seconds(30)) {
                try await cluster.hasAllEvidence(evidenceIDs, on: newcomer)
            }
            #expect(all, "the new peer did not verify every offered evidence")
            let bans = try await cluster.bans(of: newcomer)
            #expect(bans.isEmpty, "the new peer banned the honest node that offered evidence")
            let stillConnected = try await cluster.peerIDs(of: newcomer).count
            #expect(stillConnected == 1)
        }
    }

    /// Two blobs by one author for one slot.
    static func fork(seq: UInt64 = 1, payloadBytes: Int = 1) throws -> (SignedBlob, SignedBlob) {
        let author = try SigningKey(seed: [UInt8](repeating: 0x21, count: 32))
        let channel = try ChannelName("forked-\(seq)")
        let a = try SignedBlob.sign(
            key: author,
            channel: channel,
            seq: 1,
            prev: .zero,
            timestamp: 1,
            payload: [UInt8](repeating: 1, count: payloadBytes)
        )
        let b = try SignedBlob.sign(
            key: author,
            channel: channel,
            seq: 1,
            prev: .zero,
            timestamp: 2,
            payload: [UInt8](repeating: 2, count: payloadBytes)
        )
        return (a, b)
    }
}
