import CairnCore
import Testing

@testable import CairnProtocol

/// Set reconciliation inside the replica: rounds on connect and on the interval, fetching what is missing,
/// readiness, and what a peer's bad sync traffic costs it.
@Suite("Replica set reconciliation")
struct ReplicaSyncTests {
    /// Blobs with distinct tags; their timestamps spread over several seconds.
    private static func blobs(_ tags: some Sequence<UInt64>) -> [SignedBlob] {
        tags.map { ReplicaFixture.blob(tag: $0 * 997) }
    }

    /// A replica and a hand-driven peer connected to it that has sent `hello`.
    private static func greetedPeer(seed: UInt64) throws -> (ReplicaNode, HostilePeer) {
        var node = ReplicaNode(ReplicaFixture.replica(key: 1, seed: seed))
        var (peer, _) = try HostilePeer.connect(
            to: &node,
            key: ReplicaFixture.nodeKey(9),
            from: ReplicaFixture.address(9),
            now: ReplicaFixture.start
        )
        try peer.send(.hello(listenPort: 0), to: &node, now: ReplicaFixture.start)
        return (node, peer)
    }

    @Test func twoReplicasHoldingDifferentBlobsConvergeOnConnect() throws {
        let shared = Self.blobs(1...5)
        let onlyA = Self.blobs(100...129)
        let onlyB = Self.blobs(200...219)
        let pair = try ReplicaPair(seed: 7, aHolds: shared + onlyA, bHolds: shared + onlyB)
        let everything = Set((shared + onlyA + onlyB).map(\.id))
        #expect(Set(pair.a.store.keys) == everything)
        #expect(Set(pair.b.store.keys) == everything)
        #expect(pair.a.replica.syncReadiness.isReady)
        #expect(pair.b.replica.syncReadiness.isReady)
        #expect(pair.a.replica.statistics.syncRoundsCompleted >= 1)
        #expect(pair.b.replica.statistics.syncRoundsCompleted >= 1)
    }

    @Test func blobsStoredWhileConnectedButNeverGossipedArriveWithinOneInterval() throws {
        var pair = try ReplicaPair(seed: 8)
        // A came by these without gossiping them (restored from a backup, say): only reconciliation finds them.
        let missed = Self.blobs(300...339)
        for blob in missed { pair.a.keep(blob) }
        #expect(missed.allSatisfy { pair.b.store[$0.id] == nil })
        let interval = pair.a.replica.configuration.sync.intervalMilliseconds
        let heartbeat = pair.a.replica.configuration.gossip.heartbeatMilliseconds
        let deadline = pair.now + interval + heartbeat
        while pair.now < deadline, !missed.allSatisfy({ pair.b.store[$0.id] != nil }) {
            pair.now += heartbeat
            pair.tick()
            pair.settle()
        }
        #expect(missed.allSatisfy { pair.b.store[$0.id] != nil })
    }

    /// A blob B's store refused (its quota) is found missing by every round with A, which holds it, and is not fetched
    /// again; the peer is not penalised, and another missing blob still arrives.
    @Test func aBlobTheStoreRefusedIsNotFetchedAgainByReconciliation() throws {
        var pair = try ReplicaPair(seed: 9)
        let refused = ReplicaFixture.blob(tag: 4001)
        let missed = ReplicaFixture.blob(tag: 4002)
        pair.a.keep(refused)
        pair.a.keep(missed)
        let actions = pair.b.replica.refusedByStore(refused.id, reason: "quota", now: pair.now)
        #expect(actions == [.emit(.blobRefused(refused.id, owner: "store quota", reason: "quota"))])
        let fetchedBefore = pair.b.replica.statistics.syncFetchesRequested
        let interval = pair.b.replica.configuration.sync.intervalMilliseconds
        let heartbeat = pair.b.replica.configuration.gossip.heartbeatMilliseconds
        let deadline = pair.now + 3 * interval + heartbeat
        while pair.now < deadline {
            pair.now += heartbeat
            pair.tick()
            pair.settle()
        }
        #expect(pair.b.store[missed.id] != nil)
        #expect(pair.b.store[refused.id] == nil)
        #expect(pair.b.replica.statistics.syncFetchesRequested - fetchedBefore == 1)
        #expect(pair.b.replica.statistics.syncRefusedSkipped >= 2)
        #expect(pair.b.replica.statistics.storeRefusals == 1)
        #expect(pair.b.replica.peers.count == 1)
    }

    /// An id a round found missing waits in the backlog while fetches are in flight; when the store refuses it
    /// meanwhile (gossip brought it), the backlog does not fetch it again. Before, it did, once per round.
    @Test func aBacklogIDTheStoreRefusedMeanwhileIsNotFetched() throws {
        var pair = try ReplicaPair(seed: 10)
        let refused = ReplicaFixture.blob(tag: 4003)
        pair.a.keep(refused)
        pair.b.replica.sync.backlog.append(.init(id: refused.id, peer: ReplicaFixture.nodeKey(1).publicKey))
        _ = pair.b.replica.refusedByStore(refused.id, reason: "quota", now: pair.now)
        let fetchedBefore = pair.b.replica.statistics.syncFetchesRequested
        let skippedBefore = pair.b.replica.statistics.syncRefusedSkipped
        var actions: [Replica.Action] = []
        pair.b.replica.fetchMissing(now: pair.now, into: &actions)
        #expect(actions.isEmpty)
        #expect(pair.b.replica.sync.backlog.isEmpty)
        #expect(pair.b.replica.statistics.syncFetchesRequested == fetchedBefore)
        #expect(pair.b.replica.statistics.syncRefusedSkipped == skippedBefore + 1)
    }

    @Test func aLoneReplicaBecomesReadyAtTheTimeoutAndSaysSo() {
        var node = ReplicaNode(ReplicaFixture.replica(key: 1, seed: 1))
        let start = ReplicaFixture.start
        node.perform(
            node.replica.start(
                listenPort: 7701,
                localAddresses: [],
                bootstrap: [],
                knownAddresses: [],
                bans: [],
                now: start
            ),
            now: start
        )
        #expect(node.replica.syncReadiness == .waiting)
        let timeout = node.replica.configuration.sync.readyTimeoutMilliseconds
        node.tick(now: start + timeout - 1)
        #expect(node.replica.syncReadiness == .waiting)
        node.tick(now: start + timeout)
        #expect(node.replica.syncReadiness == .timedOut(atMilliseconds: start + timeout))
    }

    @Test func aMalformedSyncRequestIsAnOffenceAndStoresNothing() throws {
        var (node, peer) = try Self.greetedPeer(seed: 2)
        // Negentropy V1's version byte, then a range whose mode is 7.
        let actions = try peer.send(.syncRequest([0x61, 0x00, 0x07]), to: &node, now: ReplicaFixture.start)
        #expect(actions.offences.contains(.malformedFrame))
        #expect(node.store.isEmpty)
    }

    @Test func anAnswerOfAnotherNegentropyVersionGetsTheVersionByteBack() throws {
        var (node, peer) = try Self.greetedPeer(seed: 3)
        _ = try peer.readAll(from: &node, now: ReplicaFixture.start)
        let actions = try peer.send(.syncRequest([0x62]), to: &node, now: ReplicaFixture.start)
        #expect(actions.offences.isEmpty)
        #expect(try peer.read(from: &node, now: ReplicaFixture.start).contains(.syncResponse([0x61])))
    }

    @Test func floodingSyncRequestsIsSpam() throws {
        var (node, peer) = try Self.greetedPeer(seed: 4)
        let limit = node.replica.configuration.sync.maxRequestsPerHeartbeat
        var offences: [PeerManager.Offence] = []
        for _ in 0...limit {
            offences += try peer.send(.syncRequest([0x61]), to: &node, now: ReplicaFixture.start).offences
        }
        #expect(offences == [.spam])
        #expect(node.replica.statistics.syncRequestsAnswered == limit)
    }

    @Test func aResponseToNoOpenRoundIsIgnored() throws {
        // The replica opened a round when the peer came up; answering it ends it, and a second answer is stray.
        var (node, peer) = try Self.greetedPeer(seed: 5)
        #expect(try peer.readAll(from: &node, now: ReplicaFixture.start).contains { $0.type == .syncRequest })
        try peer.send(.syncResponse([0x61]), to: &node, now: ReplicaFixture.start)
        let stray = try peer.send(.syncResponse([0x61]), to: &node, now: ReplicaFixture.start)
        #expect(stray.offences.isEmpty)
        #expect(node.replica.statistics.syncUnexpectedResponses == 1)
        #expect(node.replica.statistics.syncRoundsCompleted == 1)
    }
}
