import CairnCore
import Testing

@testable import CairnProtocol

/// Peers, blobs and action filters shared by the gossip tests.
enum GossipFixture {
    static let author = try! SigningKey(seed: sequentialBytes(from: 0xA0))
    static let channel = try! ChannelName("gossip")
    static let local = peer(0)

    /// A distinct peer key (not a real Ed25519 key; the router never checks).
    static func peer(_ index: Int) -> PeerID {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = 0x50
        bytes[30] = UInt8(truncatingIfNeeded: index >> 8)
        bytes[31] = UInt8(truncatingIfNeeded: index)
        return PeerID(unchecked: bytes)
    }

    /// A signed blob whose payload is `payloadBytes` long; `tag` makes it unique.
    static func blob(tag: UInt64, payloadBytes: Int = 100, key: SigningKey = author) -> SignedBlob {
        let payload = (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &+ Int(tag)) }
        return try! SignedBlob.sign(key: key, channel: channel, seq: 1, prev: .zero, timestamp: tag, payload: payload)
    }

    static func configuration(_ change: (inout GossipConfiguration) -> Void = { _ in }) -> GossipConfiguration {
        var configuration = GossipConfiguration()
        change(&configuration)
        return configuration
    }

    /// A router connected to peers 1...`peerCount` at time 0.
    static func router(
        peerCount: Int,
        seed: UInt64 = 7,
        _ change: (inout GossipConfiguration) -> Void = { _ in }
    ) -> Gossip.StateMachine {
        var router = Gossip.StateMachine(configuration: configuration(change), localID: local, seed: seed)
        for index in stride(from: 1, through: peerCount, by: 1) {
            #expect(router.peerConnected(peer(index), now: 0) == [])
        }
        return router
    }
}

/// One `.send` action, unpacked.
struct SentMessage: Equatable {
    var message: WireMessage
    var peer: PeerID
    var lane: Gossip.Lane
}

extension Array where Element == Gossip.Action {
    var sent: [SentMessage] {
        compactMap { action in
            if case .send(let message, let peer, let lane) = action {
                return SentMessage(message: message, peer: peer, lane: lane)
            }
            return nil
        }
    }

    /// Peers that were sent a `.blob`.
    var blobRecipients: Set<PeerID> {
        Set(sent.filter { if case .blob = $0.message { true } else { false } }.map(\.peer))
    }

    /// `have` messages, by peer.
    var haves: [PeerID: [BlobID]] {
        var result: [PeerID: [BlobID]] = [:]
        for item in sent { if case .have(let ids) = item.message { result[item.peer, default: []] += ids } }
        return result
    }

    /// `want` messages, by peer.
    var wants: [PeerID: [BlobID]] {
        var result: [PeerID: [BlobID]] = [:]
        for item in sent { if case .want(let ids) = item.message { result[item.peer, default: []] += ids } }
        return result
    }

    var verifications: [BlobID] {
        compactMap { action in
            if case .verify(_, let id, _) = action { return id }
            return nil
        }
    }

    var penalties: [Gossip.Penalty] {
        compactMap { action in
            if case .penalise(_, let penalty) = action { return penalty }
            return nil
        }
    }
}

@Suite("Gossip state machine")
struct GossipStateMachineTests {
    typealias F = GossipFixture

    @Test func peerThatPushesJoinsTheMeshUpToTheHighBound() {
        var router = GossipFixture.router(peerCount: 20)
        let outsider = (1...20).map(GossipFixture.peer).first { !router.meshPeers.contains($0) }!
        #expect(router.meshPeers.count == GossipConfiguration().meshDegree)
        let blob = GossipFixture.blob(tag: 1)
        _ = router.receive(.blob(blob.encoding), from: outsider, now: 10)
        #expect(router.meshPeers.contains(outsider))
        // Never beyond D_high: pushes from every other non-mesh peer fill the mesh to the bound and no further.
        for index in 1...20 where !router.meshPeers.contains(GossipFixture.peer(index)) {
            _ = router.receive(
                .blob(GossipFixture.blob(tag: UInt64(100 + index)).encoding),
                from: GossipFixture.peer(index),
                now: 20
            )
        }
        #expect(router.meshPeers.count == GossipConfiguration().meshDegreeHigh)
    }

    @Test func smallBlobIsPushedEagerlyToMeshPeersOnly() {
        var router = F.router(peerCount: 10) {
            $0.meshDegree = 3; $0.lazyDegree = 0
        }
        #expect(router.meshPeers.count == 3)
        let blob = F.blob(tag: 1)
        let actions = router.publish(blob, now: 10)
        #expect(actions.blobRecipients == router.meshPeers)
        #expect(actions.sent.allSatisfy { $0.lane == .eager && $0.message == .blob(blob.encoding) })
        #expect(actions.count == 3)
        #expect(router.statistics.blobPushes == 3)
    }

    @Test func smallBlobIsAnnouncedLazilyToLazyDegreeNonMeshPeers() {
        var router = F.router(peerCount: 10) {
            $0.meshDegree = 3; $0.lazyDegree = 4
        }
        let blob = F.blob(tag: 2)
        let actions = router.publish(blob, now: 10)
        let announced = actions.haves
        #expect(announced.count == 4)
        #expect(announced.values.allSatisfy { $0 == [blob.id] })
        #expect(Set(announced.keys).isDisjoint(with: router.meshPeers))
        #expect(actions.sent.filter { $0.lane == .lazy }.count == 4)
        #expect(actions.blobRecipients.count == 3)
    }

    @Test func lazyDegreeIsCappedByAvailableNonMeshPeers() {
        var router = F.router(peerCount: 5) {
            $0.meshDegree = 3; $0.lazyDegree = 6
        }
        #expect(router.publish(F.blob(tag: 3), now: 10).haves.count == 2)
    }

    @Test func largeBlobIsAnnouncedToEveryPeerAndNeverPushed() {
        var router = F.router(peerCount: 9) { $0.eagerPushMaxBytes = 1024 }
        let blob = F.blob(tag: 4, payloadBytes: 4096)
        let actions = router.publish(blob, now: 10)
        #expect(actions.blobRecipients.isEmpty)
        #expect(Set(actions.haves.keys) == router.connectedPeers)
        #expect(actions.sent.allSatisfy { $0.lane == .eager })
        #expect(router.receive(.want([blob.id]), from: F.peer(3), now: 20) == [.serve([blob.id], to: F.peer(3))])
    }

    @Test func largeBlobIsWantedFromOneAnnouncerAndRewantedFromTheNextOnTimeout() {
        var router = F.router(peerCount: 4) {
            $0.eagerPushMaxBytes = 1024; $0.wantTimeoutMilliseconds = 2000
        }
        let blob = F.blob(tag: 5, payloadBytes: 4096)
        let first = router.receive(.have([blob.id]), from: F.peer(1), now: 100)
        #expect(first == [.send(.want([blob.id]), to: F.peer(1), lane: .eager)])
        #expect(router.receive(.have([blob.id]), from: F.peer(2), now: 110) == [])
        #expect(router.receive(.have([blob.id]), from: F.peer(3), now: 120) == [])
        #expect(router.statistics.pendingWants == 1)
        #expect(router.heartbeat(now: 1000) == [])
        let retry = router.heartbeat(now: 2100)
        #expect(retry == [.send(.want([blob.id]), to: F.peer(2), lane: .eager)])
        #expect(router.statistics.wantRetries == 1)
        // The first announcer answers late: it was asked, so no penalty; verified once.
        let late = router.receive(.blob(blob.encoding), from: F.peer(1), now: 2200)
        #expect(late.penalties.isEmpty)
        #expect(late.verifications == [blob.id])
        let second = router.receive(.blob(blob.encoding), from: F.peer(2), now: 2210)
        #expect(second.isEmpty)
        #expect(router.statistics.duplicateBlobs == 1)
        let forwarded = router.verified(blob, from: F.peer(1), now: 2300)
        // Announcers 1, 2, 3 hold it; only peer 4 hears about it.
        #expect(forwarded == [.send(.have([blob.id]), to: F.peer(4), lane: .eager)])
        #expect(router.statistics.pendingWants == 0)
        #expect(router.heartbeat(now: 9000) == [])
    }

    @Test func fetchIsAbandonedWhenNoAnnouncerIsLeft() {
        var router = F.router(peerCount: 2)
        let id = F.blob(tag: 6).id
        _ = router.receive(.have([id]), from: F.peer(1), now: 0)
        #expect(router.heartbeat(now: 5000) == [])
        #expect(router.statistics.wantsAbandoned == 1)
        #expect(router.statistics.pendingWants == 0)
        // A later announcement starts a new fetch.
        #expect(router.receive(.have([id]), from: F.peer(2), now: 6000).wants == [F.peer(2): [id]])
    }

    @Test func disconnectOfTheAskedAnnouncerAsksTheNextAtOnce() {
        var router = F.router(peerCount: 3)
        let id = F.blob(tag: 7).id
        _ = router.receive(.have([id]), from: F.peer(1), now: 0)
        _ = router.receive(.have([id]), from: F.peer(2), now: 0)
        _ = router.receive(.have([id]), from: F.peer(3), now: 0)
        #expect(router.peerDisconnected(F.peer(2), now: 5) == [])
        #expect(router.peerDisconnected(F.peer(1), now: 10) == [.send(.want([id]), to: F.peer(3), lane: .eager)])
    }

    @Test func announcersPerIDAreBounded() {
        var router = F.router(peerCount: 6) { $0.maxAnnouncersPerID = 2 }
        let id = F.blob(tag: 8).id
        for index in 1...6 { _ = router.receive(.have([id]), from: F.peer(index), now: 0) }
        #expect(router.heartbeat(now: 2500).wants == [F.peer(2): [id]])
        #expect(router.heartbeat(now: 5000) == [])
        #expect(router.statistics.wantsAbandoned == 1)
    }

    @Test func pendingWantsAreBounded() {
        var router = F.router(peerCount: 2) { $0.maxPendingWants = 3 }
        let ids = (10..<15).map { F.blob(tag: UInt64($0)).id }
        let actions = router.receive(.have(ids), from: F.peer(1), now: 0)
        #expect(actions == [.send(.want(Array(ids.prefix(3))), to: F.peer(1), lane: .eager)])
        #expect(router.statistics.pendingWants == 3)
        #expect(router.statistics.pendingWantsFull == 2)
        #expect(router.receive(.have(ids), from: F.peer(2), now: 1) == [])
        #expect(router.statistics.pendingWants == 3)
    }

    @Test func idontwantSuppressesPushes() {
        var router = F.router(peerCount: 4) {
            $0.meshDegree = 4; $0.lazyDegree = 0
        }
        let blob = F.blob(tag: 20)
        #expect(router.receive(.idontwant([blob.id]), from: F.peer(2), now: 0) == [])
        #expect(router.receive(.have([blob.id]), from: F.peer(3), now: 0).wants == [F.peer(3): [blob.id]])
        let actions = router.publish(blob, now: 5)
        #expect(actions.blobRecipients == [F.peer(1), F.peer(4)])
        #expect(router.statistics.sendsSuppressed == 2)
    }

    @Test func idontwantIsSentToPeersThatPushForMediumBlobs() {
        var router = F.router(peerCount: 4) {
            $0.idontwantMinBytes = 500; $0.meshDegree = 0; $0.lazyDegree = 0
        }
        // Peers 1 and 2 push to us (they have us in their mesh); 3 and 4 never did.
        _ = router.receive(.blob(F.blob(tag: 21).encoding), from: F.peer(1), now: 0)
        _ = router.receive(.blob(F.blob(tag: 22).encoding), from: F.peer(2), now: 0)
        let medium = F.blob(tag: 23, payloadBytes: 600)
        let actions = router.receive(.blob(medium.encoding), from: F.peer(1), now: 10)
        #expect(actions.sent == [SentMessage(message: .idontwant([medium.id]), peer: F.peer(2), lane: .eager)])
        #expect(actions.verifications == [medium.id])
        // A small blob sends none.
        #expect(router.receive(.blob(F.blob(tag: 24).encoding), from: F.peer(1), now: 20).sent.isEmpty)
    }

    @Test func duplicateIsNeitherReverifiedNorForwarded() {
        var router = F.router(peerCount: 5) { $0.meshDegree = 5 }
        let blob = F.blob(tag: 30)
        #expect(router.receive(.blob(blob.encoding), from: F.peer(1), now: 0).verifications == [blob.id])
        // Still being verified: a duplicate.
        #expect(router.receive(.blob(blob.encoding), from: F.peer(2), now: 1) == [])
        let forwarded = router.verified(blob, from: F.peer(1), now: 2)
        #expect(forwarded.blobRecipients == [F.peer(3), F.peer(4), F.peer(5)])
        // Seen: a duplicate again.
        #expect(router.receive(.blob(blob.encoding), from: F.peer(3), now: 3) == [])
        #expect(router.verified(blob, from: F.peer(2), now: 4) == [])
        let statistics = router.statistics
        #expect(statistics.duplicateBlobs == 2)
        #expect(statistics.verificationsRequested == 1)
        #expect(statistics.blobsForwarded == 1)
        #expect(statistics.penalties == 0)
    }

    @Test func blobIsNotSentBackToItsSender() {
        var router = F.router(peerCount: 4) {
            $0.meshDegree = 3; $0.lazyDegree = 3
        }
        let blob = F.blob(tag: 31)
        _ = router.receive(.blob(blob.encoding), from: F.peer(2), now: 0)
        let forwarded = router.verified(blob, from: F.peer(2), now: 1)
        #expect(forwarded.blobRecipients == [F.peer(1), F.peer(3)])
        #expect(forwarded.haves == [F.peer(4): [blob.id]])
        #expect(forwarded.sent.allSatisfy { $0.peer != F.peer(2) })
    }

    /// Above the threshold, one penalty per further threshold-many repeats: a steady flood outpaces score decay.
    @Test func repeatedPushesFromOnePeerArePenalisedPerThresholdRepeats() {
        var router = F.router(peerCount: 3) { $0.duplicateFloodThreshold = 3 }
        let blob = F.blob(tag: 32)
        var penalties: [Gossip.Penalty] = []
        // The first push is not a repeat; the next 9 are: penalised at the 4th and the 7th.
        for step in 0..<10 {
            penalties += router.receive(.blob(blob.encoding), from: F.peer(1), now: UInt64(step)).penalties
        }
        #expect(penalties == [.duplicateFlood, .duplicateFlood])
        // A new heartbeat starts the count again.
        _ = router.heartbeat(now: 1_000)
        var afterHeartbeat: [Gossip.Penalty] = []
        for step in 0..<3 {
            afterHeartbeat += router.receive(.blob(blob.encoding), from: F.peer(1), now: 1_000 + UInt64(step)).penalties
        }
        #expect(afterHeartbeat.isEmpty)
        // Duplicates from different peers are the mesh at work, not a flood.
        var mesh = F.router(peerCount: 20) { $0.duplicateFloodThreshold = 1 }
        for index in 1...20 {
            #expect(mesh.receive(.blob(blob.encoding), from: F.peer(index), now: 0).penalties.isEmpty)
        }
    }

    @Test func unrequestedLargeBlobIsPenalisedButStillVerified() {
        var router = F.router(peerCount: 2) { $0.eagerPushMaxBytes = 1024 }
        let blob = F.blob(tag: 33, payloadBytes: 2048)
        let actions = router.receive(.blob(blob.encoding), from: F.peer(1), now: 0)
        #expect(actions.penalties == [.unrequestedLargeBlob])
        #expect(actions.verifications == [blob.id])
    }

    @Test func invalidBlobIsPenalisedAndNotForwarded() {
        var router = F.router(peerCount: 4) { $0.meshDegree = 4 }
        var bytes = F.blob(tag: 34).encoding
        bytes[bytes.count - 1] ^= 0x01
        let id = BlobID(unchecked: Blake2b.hash256(bytes))
        #expect(router.receive(.blob(bytes), from: F.peer(1), now: 0).verifications == [id])
        #expect(router.rejected(id, from: F.peer(1), now: 1) == [.penalise(F.peer(1), .invalidBlob)])
        // The same bytes again are not verified again.
        #expect(router.receive(.blob(bytes), from: F.peer(2), now: 2) == [])
        #expect(router.statistics.blobsRejected == 1)
        #expect(router.statistics.blobsForwarded == 0)
    }

    @Test func heartbeatGraftsAfterDisconnects() {
        var router = F.router(peerCount: 8) {
            $0.meshDegree = 4; $0.meshDegreeLow = 3
        }
        let before = router.meshPeers
        #expect(before.count == 4)
        for peer in before.sorted().prefix(2) { _ = router.peerDisconnected(peer, now: 10) }
        #expect(router.meshPeers.count == 2)
        #expect(router.heartbeat(now: 1000) == [])
        #expect(router.meshPeers.count == 4)
        #expect(router.meshPeers.isSubset(of: router.connectedPeers))
    }

    @Test func heartbeatLeavesAMeshBetweenLowAndHighAlone() {
        var router = F.router(peerCount: 8) {
            $0.meshDegree = 4; $0.meshDegreeLow = 3
        }
        _ = router.peerDisconnected(router.meshPeers.sorted()[0], now: 10)
        _ = router.heartbeat(now: 1000)
        #expect(router.meshPeers.count == 3)
    }

    @Test func heartbeatPrunesAboveHighDownToD() {
        var router = F.router(peerCount: 10) {
            $0.meshDegree = 3; $0.meshDegreeHigh = 5
        }
        for index in 1...10 { _ = router.graft(F.peer(index), now: 0) }
        #expect(router.meshPeers.count == 10)
        _ = router.heartbeat(now: 1000)
        #expect(router.meshPeers.count == 3)
    }

    @Test func meshChoiceFollowsTheSeed() {
        func meshAfterRepair(seed: UInt64) -> Set<PeerID> {
            var router = F.router(peerCount: 30, seed: seed) { $0.meshDegree = 6 }
            for peer in router.meshPeers { _ = router.peerDisconnected(peer, now: 0) }
            _ = router.heartbeat(now: 1000)
            return router.meshPeers
        }
        #expect(meshAfterRepair(seed: 1) == meshAfterRepair(seed: 1))
        #expect(meshAfterRepair(seed: 1) != meshAfterRepair(seed: 2))
    }

    @Test func seenCacheIsBoundedAndEvictsTheOldest() {
        var router = F.router(peerCount: 1) { $0.seenCacheEntries = 4 }
        let blobs = (40..<46).map { F.blob(tag: UInt64($0)) }
        for blob in blobs { #expect(!router.publish(blob, now: 0).isEmpty) }
        #expect(router.statistics.seenCacheSize == 4)
        #expect(router.statistics.seenCacheEvictions == 2)
        #expect(router.publish(blobs[5], now: 1).isEmpty)
        // The oldest was forgotten, so it counts as new again.
        #expect(!router.publish(blobs[0], now: 1).isEmpty)
    }

    @Test func pendingVerificationsAreBoundedAndExpire() {
        var router = F.router(peerCount: 1) {
            $0.maxPendingVerifications = 2; $0.verificationTimeoutMilliseconds = 5000
        }
        for tag in 50..<54 { _ = router.receive(.blob(F.blob(tag: UInt64(tag)).encoding), from: F.peer(1), now: 0) }
        #expect(router.statistics.pendingVerifications == 2)
        #expect(router.statistics.pendingVerificationsFull == 2)
        _ = router.heartbeat(now: 5000)
        #expect(router.statistics.pendingVerifications == 0)
        #expect(router.statistics.verificationsExpired == 2)
    }

    @Test func perPeerKnownIDsAreBounded() {
        var router = F.router(peerCount: 1) {
            $0.peerKnownIDsEntries = 8; $0.meshDegree = 1
        }
        let blobs = (60..<70).map { F.blob(tag: UInt64($0)) }
        _ = router.receive(.idontwant(blobs.map(\.id)), from: F.peer(1), now: 0)
        #expect(router.peers[F.peer(1)]!.knownIDs.count == 8)
        // The two oldest were forgotten, so they are pushed; the rest are suppressed.
        #expect(router.publish(blobs[0], now: 1).blobRecipients == [F.peer(1)])
        #expect(router.publish(blobs[9], now: 1).isEmpty)
    }

    @Test func evidenceIsFloodedToEveryPeerOnce() {
        var router = F.router(peerCount: 5) { $0.meshDegree = 2 }
        let evidence: [UInt8] = Array("two blobs, one slot".utf8)
        let first = router.receive(.evidence(evidence), from: F.peer(3), now: 0)
        #expect(Set(first.sent.map(\.peer)) == router.connectedPeers.subtracting([F.peer(3)]))
        #expect(first.sent.allSatisfy { $0.lane == .evidence && $0.message == .evidence(evidence) })
        #expect(router.receive(.evidence(evidence), from: F.peer(1), now: 1) == [])
        #expect(router.statistics.duplicateEvidence == 1)
        let published = router.publishEvidence(Array("other".utf8), now: 2)
        #expect(Set(published.sent.map(\.peer)) == router.connectedPeers)
        #expect(published.sent.allSatisfy { $0.lane == .evidence })
    }

    @Test func evidenceBytesNeverMarkABlobSeen() {
        var router = F.router(peerCount: 2)
        let blob = F.blob(tag: 71)
        _ = router.receive(.evidence(blob.encoding), from: F.peer(1), now: 0)
        #expect(router.receive(.blob(blob.encoding), from: F.peer(1), now: 1).verifications == [blob.id])
    }

    @Test func wantIsServedAndOtherMessagesAreIgnored() {
        var router = F.router(peerCount: 1)
        let id = F.blob(tag: 72).id
        #expect(router.receive(.want([id, id]), from: F.peer(1), now: 0) == [.serve([id], to: F.peer(1))])
        #expect(router.receive(.ping(1), from: F.peer(1), now: 0) == [])
        #expect(router.receive(.have([]), from: F.peer(1), now: 0) == [.penalise(F.peer(1), .malformed)])
        #expect(router.receive(.have([id]), from: F.peer(9), now: 0) == [])
        #expect(router.statistics.messagesFromUnknownPeers == 1)
    }
}
