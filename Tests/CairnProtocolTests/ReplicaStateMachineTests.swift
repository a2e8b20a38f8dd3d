import CairnCore
import Testing

@testable import CairnProtocol

@Suite("Replica state machine")
struct ReplicaStateMachineTests {
    typealias Fixture = ReplicaFixture

    static let start = ReplicaFixture.start
    static let listenPort: UInt16 = 7702

    /// Every driver effect answered by the node except `held`.
    static func answers(except held: ReplicaEffect...) -> Set<ReplicaEffect> {
        Set(ReplicaEffect.allCases).subtracting(held)
    }

    /// A started replica (key 2) with no peers, listening on `listenPort`; `change` adjusts its configuration.
    static func startedNode(
        answers: Set<ReplicaEffect> = Set(ReplicaEffect.allCases),
        evidenceJudges: EvidenceJudges = EvidenceJudges(),
        channelRules: ChannelRules = ChannelRules(),
        _ change: (inout Replica.Configuration) -> Void = { _ in }
    ) -> ReplicaNode {
        var node = ReplicaNode(
            Fixture.replica(key: 2, seed: 7, evidenceJudges: evidenceJudges, channelRules: channelRules, change),
            answers: answers
        )
        node.perform(
            node.replica.start(
                listenPort: listenPort,
                localAddresses: [],
                bootstrap: [],
                knownAddresses: [],
                bans: [],
                now: start
            ),
            now: start
        )
        return node
    }

    /// A hostile peer with key `index` that connected to `node`, sent `hello` and read the replica's.
    static func greetedPeer(_ index: UInt8, to node: inout ReplicaNode, now: UInt64 = start) throws -> HostilePeer {
        var (peer, _) = try HostilePeer.connect(
            to: &node,
            key: Fixture.nodeKey(index),
            from: Fixture.address(Int(index), port: 40_000),
            now: now
        )
        try peer.send(.hello(listenPort: 0), to: &node, now: now)
        #expect(try peer.read(from: &node, now: now) == [.hello(listenPort: listenPort)])
        return peer
    }

    /// A replica that holds `.verifyEvidence` for the test, with two greeted peers.
    static func nodeWithTwoPeers(
        evidenceJudges: EvidenceJudges = EvidenceJudges()
    ) throws -> (ReplicaNode, HostilePeer, HostilePeer) {
        var node = startedNode(answers: answers(except: .verifyEvidence), evidenceJudges: evidenceJudges)
        let sender = try greetedPeer(11, to: &node)
        let other = try greetedPeer(12, to: &node)
        return (node, sender, other)
    }

    /// The one `.verifyEvidence` the node holds.
    static func heldEvidence(_ node: ReplicaNode) throws -> (bytes: [UInt8], digest: [UInt8], from: PeerID) {
        let held = node.held.compactMap { action -> ([UInt8], [UInt8], PeerID)? in
            if case .verifyEvidence(let bytes, let digest, let from) = action { return (bytes, digest, from) }
            return nil
        }
        #expect(held.count == 1)
        return try #require(held.first)
    }

    // MARK: Handshake and hello

    @Test func twoReplicasHandshakeAndSeeEachOtherAsPeers() throws {
        let pair = try ReplicaPair(seed: 1)
        let aPeers = pair.a.replica.peers
        let bPeers = pair.b.replica.peers
        #expect(aPeers.map(\.key) == [ReplicaPair.bKey])
        #expect(aPeers.first?.direction == .outbound)
        #expect(aPeers.first?.connection == pair.aConnection)
        #expect(bPeers.map(\.key) == [ReplicaPair.aKey])
        #expect(bPeers.first?.direction == .inbound)
        #expect(bPeers.first?.connection == pair.bConnection)
        #expect(
            pair.a.log.notices.contains(.peerUp(ReplicaPair.bKey, direction: .outbound, address: ReplicaPair.bAddress))
        )
        #expect(
            pair.b.log.notices.contains(.peerUp(ReplicaPair.aKey, direction: .inbound, address: ReplicaPair.aObserved))
        )
        // B read A's hello: it remembers A's dialable address, the observed host with the advertised port.
        #expect(pair.b.log.persisted.contains(.remember(ReplicaPair.aAddress)))
        #expect(pair.a.log.offences.isEmpty && pair.b.log.offences.isEmpty)
        #expect(pair.a.log.closedConnections.isEmpty && pair.b.log.closedConnections.isEmpty)
    }

    @Test(arguments: [PeerManager.Direction.inbound, .outbound])
    func helloIsTheFirstRecordEvenWhenEvidenceIsQueuedFirst(direction: PeerManager.Direction) throws {
        var node = ReplicaNode(
            Fixture.replica(key: 2, seed: 7),
            answers: Self.answers(except: .readStoredEvidence)
        )
        let peerAddress = Fixture.address(11)
        let started = node.perform(
            node.replica.start(
                listenPort: Self.listenPort,
                localAddresses: [],
                bootstrap: direction == .outbound ? [peerAddress] : [],
                knownAddresses: [Fixture.address(99)],
                bans: [],
                now: Self.start
            ),
            now: Self.start
        )
        var peer: HostilePeer
        let actions: [Replica.Action]
        switch direction {
        case .outbound:
            let dial = try #require(started.dials.first { $0.address == peerAddress })
            (peer, actions) = try HostilePeer.answer(
                dial: dial.id,
                of: &node,
                key: Fixture.nodeKey(11),
                now: Self.start
            )
        case .inbound:
            (peer, actions) = try HostilePeer.connect(
                to: &node,
                key: Fixture.nodeKey(11),
                from: peerAddress,
                now: Self.start
            )
        }
        #expect(actions.notices.contains(.peerUp(peer.publicKey, direction: direction, address: peerAddress)))
        let maxBytes = node.replica.configuration.sendBudget.totalBytes / 2
        #expect(node.held == [.readStoredEvidence(for: peer.connection, limit: 256, maxBytes: maxBytes)])

        // The store answers at once, before the driver's first flush: the evidence is queued ahead of hello.
        let evidence = Fixture.channelFork()
        node.perform(
            node.replica.storedEvidenceRead([evidence.encoding], for: peer.connection, now: Self.start),
            now: Self.start
        )
        let messages = try peer.read(from: &node, now: Self.start)
        #expect(messages.first == .hello(listenPort: Self.listenPort))
        #expect(messages.dropFirst().first == .evidence(evidence.encoding))
        #expect(messages.filter { $0.type == .hello }.count == 1)
    }

    @Test func aFirstMessageOtherThanHelloIsAProtocolViolation() throws {
        var node = Self.startedNode()
        var (peer, _) = try HostilePeer.connect(
            to: &node,
            key: Fixture.nodeKey(11),
            from: Fixture.address(11, port: 40_000),
            now: Self.start
        )
        #expect(try peer.read(from: &node, now: Self.start) == [.hello(listenPort: Self.listenPort)])

        let actions = try peer.send(.ping(7), to: &node, now: Self.start)
        #expect(actions.offences(on: peer.connection) == [.protocolViolation])
        #expect(actions.closedConnections == [peer.connection])
        #expect(try #require(actions.farewell(of: peer.connection)).isEmpty == false)
        #expect(actions.notices.contains(.peerDown(peer.publicKey)))
        // The farewell says why, and the ping is not answered.
        #expect(try peer.read(from: &node, now: Self.start) == [.goodbye(.protocolViolation)])
        #expect(node.replica.connectionCount == 0)
        #expect(node.replica.peers.isEmpty)
    }

    // MARK: Records the replica does not understand

    @Test func anEmptyRecordCarriesNothingAndCostsNothing() throws {
        var node = Self.startedNode()
        var (peer, _) = try HostilePeer.connect(
            to: &node,
            key: Fixture.nodeKey(11),
            from: Fixture.address(11, port: 40_000),
            now: Self.start
        )
        let blob = Fixture.blob(tag: 5)
        var actions = try peer.sendRecord([], to: &node, now: Self.start)
        actions += try peer.send(.hello(listenPort: 0), to: &node, now: Self.start)
        actions += try peer.sendRecord([], to: &node, now: Self.start)
        actions += try peer.send(.blob(blob.encoding), to: &node, now: Self.start)
        #expect(actions.offences.isEmpty)
        #expect(actions.closedConnections.isEmpty)
        #expect(actions.verifiedIDs == [blob.id])
        #expect(node.replica.peers.map(\.key) == [peer.publicKey])
        #expect(node.replica.peers.first?.score == 0)
    }

    @Test func messagesOfUnknownTypeOrVersionAreSkippedWithoutPenalty() throws {
        var node = Self.startedNode()
        var peer = try Self.greetedPeer(11, to: &node)
        var actions = try peer.sendRecord([WireMessage.version, 0x7F], to: &node, now: Self.start)
        actions += try peer.sendRecord([WireMessage.version, 0x7F, 1, 2, 3], to: &node, now: Self.start)
        actions += try peer.sendRecord(
            [2, WireMessage.MessageType.ping.rawValue, 0, 0, 0, 0, 0, 0, 0, 1],
            to: &node,
            now: Self.start
        )
        #expect(node.replica.statistics.unknownMessagesSkipped == 3)
        #expect(actions.offences.isEmpty)
        #expect(actions.closedConnections.isEmpty)
        // Nothing was answered (the unknown-version ping is not a ping), and the connection carries on.
        #expect(try peer.read(from: &node, now: Self.start).isEmpty)
        let blob = Fixture.blob(tag: 6)
        #expect(try peer.send(.blob(blob.encoding), to: &node, now: Self.start).verifiedIDs == [blob.id])
        #expect(node.replica.connectionCount == 1)
        #expect(node.replica.peers.first?.score == 0)
    }

    // MARK: Liveness

    @Test func aSilentPeerIsPingedAndStaysWhileItAnswers() throws {
        var node = Self.startedNode()
        var peer = try Self.greetedPeer(11, to: &node)
        let interval = node.replica.configuration.pingIntervalMilliseconds
        let timeout = node.replica.configuration.pingTimeoutMilliseconds

        node.tick(now: Self.start + interval - 1)
        #expect(try peer.read(from: &node, now: Self.start + interval - 1).isEmpty)
        #expect(node.replica.statistics.pingsSent == 0)

        node.tick(now: Self.start + interval)
        let messages = try peer.read(from: &node, now: Self.start + interval)
        let nonce = try #require(messages.compactMap { if case .ping(let nonce) = $0 { nonce } else { nil } }.first)
        #expect(messages == [.ping(nonce)])
        #expect(node.replica.statistics.pingsSent == 1)

        let answered = Self.start + interval + 500
        #expect(try peer.send(.pong(nonce), to: &node, now: answered).isEmpty)
        let later = node.tick(now: Self.start + timeout)
        #expect(later.closedConnections.isEmpty)
        #expect(node.replica.connectionCount == 1)
        #expect(node.replica.statistics.deadConnections == 0)
        // Still silent: pinged again, a ping per silence.
        #expect(try peer.read(from: &node, now: Self.start + timeout).map(\.type) == [.ping])
        #expect(node.replica.statistics.pingsSent == 2)
    }

    /// A ping travels ahead of the blobs already queued for the peer, so a busy peer is not timed out by the wait.
    @Test func aPingOvertakesQueuedBlobs() throws {
        var node = Self.startedNode()
        var peer = try Self.greetedPeer(11, to: &node)
        let interval = node.replica.configuration.pingIntervalMilliseconds
        let big = (0..<40).map { tag in
            try! SignedBlob.sign(
                key: Fixture.author,
                channel: Fixture.channel,
                seq: 1,
                prev: .zero,
                timestamp: UInt64(tag),
                payload: [UInt8](repeating: UInt8(tag), count: 16 * 1024)
            )
        }
        // Far more than the high-water mark: most of it waits in the send queue.
        node.perform(node.replica.read(big.map(\.encoding), for: peer.publicKey, now: Self.start), now: Self.start)
        node.flush(now: Self.start)
        node.tick(now: Self.start + interval)
        // The first read takes what was in flight; the next flushes have room again.
        var messages: [WireMessage] = []
        for _ in 0..<4 { messages += try peer.read(from: &node, now: Self.start + interval) }
        let ping = try #require(messages.firstIndex { $0.type == .ping })
        let lastBlob = try #require(messages.lastIndex { $0.type == .blob })
        #expect(ping < lastBlob, "the ping waited behind every queued blob")
    }

    /// Bytes of a record still arriving count as life: a large record may take longer than the ping timeout.
    @Test func bytesOfAnUnfinishedRecordKeepThePeerAlive() throws {
        var node = Self.startedNode()
        var peer = try Self.greetedPeer(11, to: &node)
        let timeout = node.replica.configuration.pingTimeoutMilliseconds
        let record = try peer.channel.seal(try WireMessage.ping(9).encoded())
        node.receive(Array(record.prefix(5)), on: peer.connection, now: Self.start + timeout - 1)
        #expect(node.tick(now: Self.start + timeout).closedConnections.isEmpty)
        #expect(node.replica.statistics.deadConnections == 0)
    }

    @Test func aPeerSilentPastThePingTimeoutIsClosedAsDead() throws {
        var node = Self.startedNode()
        var peer = try Self.greetedPeer(11, to: &node)
        let interval = node.replica.configuration.pingIntervalMilliseconds
        let timeout = node.replica.configuration.pingTimeoutMilliseconds

        node.tick(now: Self.start + interval)
        #expect(try peer.read(from: &node, now: Self.start + interval).map(\.type) == [.ping])
        #expect(node.tick(now: Self.start + timeout - 1).closedConnections.isEmpty)

        let actions = node.tick(now: Self.start + timeout)
        #expect(actions.closedConnections == [peer.connection])
        #expect(actions.notices.contains(.peerDown(peer.publicKey)))
        #expect(node.replica.statistics.deadConnections == 1)
        #expect(node.replica.connectionCount == 0)
        #expect(try peer.read(from: &node, now: Self.start + timeout) == [.goodbye(.normal)])
    }

    // MARK: Evidence

    /// Kind 2 with nothing registered for it, and a channel fork in a later evidence format version.
    @Test(arguments: [false, true])
    func evidenceOfAKindOrVersionNothingJudgesIsDroppedWithoutCost(laterVersion: Bool) throws {
        var (node, sender, other) = try Self.nodeWithTwoPeers()
        var encoding = laterVersion ? Fixture.channelFork().encoding : Fixture.evidence(kind: 2).encoding
        if laterVersion { encoding[0] = 2 }
        let actions = try sender.send(.evidence(encoding), to: &node, now: Self.start)
        #expect(actions.evidenceVerifications.isEmpty)
        #expect(node.held.isEmpty)
        #expect(actions.storedIDs.isEmpty)
        #expect(actions.offences.isEmpty)
        #expect(node.replica.statistics.evidenceDropped == 1)
        #expect(try other.read(from: &node, now: Self.start).isEmpty)
        #expect(try sender.read(from: &node, now: Self.start).isEmpty)
        #expect(node.replica.connectionCount == 2)
        #expect(node.replica.peers.map(\.score) == [0, 0])
    }

    @Test func channelForkEvidenceIsVerifiedThenStoredAndFlooded() throws {
        var (node, sender, other) = try Self.nodeWithTwoPeers()
        let evidence = Fixture.channelFork()
        let received = try sender.send(.evidence(evidence.encoding), to: &node, now: Self.start)
        #expect(received.evidenceVerifications == [evidence.encoding])
        #expect(received.storedIDs.isEmpty)
        #expect(try other.read(from: &node, now: Self.start).isEmpty)

        let held = try Self.heldEvidence(node)
        #expect(held.from == sender.publicKey)
        #expect(held.digest == Blake2b.hash256(evidence.encoding))
        let verified = node.perform(
            node.replica.evidenceVerified(
                verifyEvidence(held.bytes),
                digest: held.digest,
                from: held.from,
                now: Self.start
            ),
            now: Self.start
        )
        #expect(verified.notices.contains(.evidenceAccepted(evidence)))
        #expect(Set(verified.storedIDs) == [evidence.first.id, evidence.second.id])
        #expect(verified.offences.isEmpty)
        #expect(try other.read(from: &node, now: Self.start) == [.evidence(evidence.encoding)])
        #expect(try sender.read(from: &node, now: Self.start).isEmpty)
    }

    @Test func evidenceWithABadSignatureIsPenalised() throws {
        var (node, sender, other) = try Self.nodeWithTwoPeers()
        let evidence = Fixture.forgedChannelFork()
        let received = try sender.send(.evidence(evidence.encoding), to: &node, now: Self.start)
        #expect(received.evidenceVerifications == [evidence.encoding])

        let held = try Self.heldEvidence(node)
        let result = verifyEvidence(held.bytes)
        #expect(result == .failure(.badSignature))
        let verdict = node.perform(
            node.replica.evidenceVerified(result, digest: held.digest, from: held.from, now: Self.start),
            now: Self.start
        )
        #expect(verdict.offences(on: sender.connection) == [.invalidSignature])
        #expect(verdict.closedConnections == [sender.connection])
        #expect(node.replica.isBanned(sender.publicKey, now: Self.start))
        #expect(verdict.storedIDs.isEmpty)
        #expect(!verdict.notices.contains(.evidenceAccepted(evidence)))
        #expect(try other.read(from: &node, now: Self.start).isEmpty)
    }

    @Test(arguments: [true, false])
    func aRegisteredJudgeDecidesItsKindOfEvidence(conflict: Bool) throws {
        var judges = EvidenceJudges()
        judges.register(Evidence.Kind(rawValue: 2), name: "test-double-sign") { _ in conflict }
        var (node, sender, other) = try Self.nodeWithTwoPeers(evidenceJudges: judges)
        let evidence = Fixture.evidence(kind: 2)
        let received = try sender.send(.evidence(evidence.encoding), to: &node, now: Self.start)
        #expect(received.evidenceVerifications == [evidence.encoding])

        let held = try Self.heldEvidence(node)
        let verified = node.perform(
            node.replica.evidenceVerified(
                verifyEvidence(held.bytes),
                digest: held.digest,
                from: held.from,
                now: Self.start
            ),
            now: Self.start
        )
        #expect(verified.offences.isEmpty)
        if conflict {
            #expect(verified.notices.contains(.evidenceAccepted(evidence)))
            #expect(Set(verified.storedIDs) == [evidence.first.id, evidence.second.id])
            #expect(try other.read(from: &node, now: Self.start) == [.evidence(evidence.encoding)])
        } else {
            #expect(!verified.notices.contains(.evidenceAccepted(evidence)))
            #expect(verified.storedIDs.isEmpty)
            #expect(node.replica.statistics.evidenceDropped == 1)
            #expect(try other.read(from: &node, now: Self.start).isEmpty)
        }
    }

    @Test func evidenceVerifiedAfterItsSenderLeftIsStillFlooded() throws {
        // Kind 2: the store does not recognise it, so only the mesh floods it (a store's report of a channel fork
        // on commit would hide the gap).
        var judges = EvidenceJudges()
        judges.register(Evidence.Kind(rawValue: 2), name: "test-double-sign") { _ in true }
        var (node, sender, other) = try Self.nodeWithTwoPeers(evidenceJudges: judges)
        let evidence = Fixture.evidence(kind: 2)
        try sender.send(.evidence(evidence.encoding), to: &node, now: Self.start)
        let held = try Self.heldEvidence(node)
        node.perform(node.replica.closed(sender.connection, now: Self.start), now: Self.start)

        let verified = node.perform(
            node.replica.evidenceVerified(
                verifyEvidence(held.bytes),
                digest: held.digest,
                from: held.from,
                now: Self.start
            ),
            now: Self.start
        )
        #expect(verified.notices.contains(.evidenceAccepted(evidence)))
        let forwarded = try other.read(from: &node, now: Self.start)
        #expect(forwarded.map(\.type) == [.evidence])
        #expect(forwarded.allSatisfy { $0 == .evidence(evidence.encoding) })
    }

    // MARK: Blobs

    @Test func aBlobThatFailsVerificationBansItsSender() throws {
        var node = Self.startedNode(answers: Self.answers(except: .verify))
        var peer = try Self.greetedPeer(11, to: &node)
        let forged = Fixture.forged(Fixture.blob(tag: 9))
        let received = try peer.send(.blob(forged.encoding), to: &node, now: Self.start)
        #expect(received.verifiedIDs == [forged.id])

        let now = Self.start + 5
        let actions = node.perform(
            node.replica.verified(.failure(.badSignature), id: forged.id, from: peer.publicKey, now: now),
            now: now
        )
        let until = now + node.replica.configuration.peers.banMilliseconds
        #expect(actions.offences(on: peer.connection) == [.invalidSignature])
        #expect(actions.persisted == [.ban(peer.publicKey, untilMilliseconds: until)])
        #expect(actions.notices.contains(.banned(peer.publicKey, untilMilliseconds: until)))
        #expect(actions.closedConnections == [peer.connection])
        #expect(try peer.read(from: &node, now: now) == [.goodbye(.invalidSignature)])
        #expect(node.replica.isBanned(peer.publicKey, now: now))
        #expect(node.replica.statistics.invalidBlobs == 1)
        #expect(node.replica.statistics.bans == 1)
        #expect(node.replica.connectionCount == 0)
        #expect(actions.storedIDs.isEmpty)
    }

    /// The check step of the accept pipeline: a verified blob whose channel's owner refuses its payload is neither
    /// stored nor forwarded, costs its sender nothing, and is not verified again; other channels are untouched.
    @Test func aBlobItsChannelsOwnerRefusesIsNeitherStoredNorForwarded() throws {
        var rules = ChannelRules()
        rules.register(prefix: "strict/", owner: "test-plugin") { blob in
            blob.payload.first == 1 ? nil : "payloads start with 1"
        }
        var node = Self.startedNode(channelRules: rules)
        var sender = try Self.greetedPeer(11, to: &node)
        var other = try Self.greetedPeer(12, to: &node)
        let channel = try ChannelName("strict/a")
        let refused = try SignedBlob.sign(
            key: Fixture.author,
            channel: channel,
            seq: 1,
            prev: .zero,
            timestamp: 1,
            payload: [2]
        )
        let accepted = try SignedBlob.sign(
            key: Fixture.author,
            channel: channel,
            seq: 2,
            prev: refused.id,
            timestamp: 2,
            payload: [1]
        )

        let actions = try sender.send(.blob(refused.encoding), to: &node, now: Self.start)
        #expect(actions.storedIDs.isEmpty)
        #expect(actions.offences.isEmpty)
        #expect(
            actions.notices.contains(.blobRefused(refused.id, owner: "test-plugin", reason: "payloads start with 1"))
        )
        #expect(try other.read(from: &node, now: Self.start).isEmpty)
        #expect(node.replica.statistics.refusedBlobs == 1)
        #expect(try sender.send(.blob(refused.encoding), to: &node, now: Self.start).verifiedIDs.isEmpty)

        let next = try sender.send(.blob(accepted.encoding), to: &node, now: Self.start)
        #expect(next.storedIDs == [accepted.id])
        #expect(try other.read(from: &node, now: Self.start).map(\.type) == [.blob])
    }

    @Test func aBlobPublishedOnOneReplicaReachesTheOther() throws {
        var pair = try ReplicaPair(seed: 5)
        let blob = Fixture.blob(tag: 11)
        let logged = pair.b.log.count
        pair.a.perform(pair.a.replica.published(blob, now: pair.now), now: pair.now)
        pair.settle()
        let bActions = Array(pair.b.log[logged...])
        #expect(bActions.contains(.verify(blob.encoding, id: blob.id, from: ReplicaPair.aKey)))
        #expect(bActions.storedIDs == [blob.id])
        #expect(pair.b.store[blob.id] == blob)
        // A is not sent its own blob back.
        #expect(pair.a.log.verifiedIDs.isEmpty)
    }

    @Test func aWantForABlobWhoseCommitIsInFlightIsServedFromMemory() throws {
        var node = Self.startedNode(answers: Self.answers(except: .store))
        var sender = try Self.greetedPeer(11, to: &node)
        let blob = Fixture.blob(tag: 21)
        let received = try sender.send(.blob(blob.encoding), to: &node, now: Self.start)
        #expect(received.storedIDs == [blob.id])
        #expect(node.held == [.store(blob)])

        // A peer that connects after the blob was verified asks for it while its commit is still in flight.
        var asker = try Self.greetedPeer(12, to: &node)
        let wanted = try asker.send(.want([blob.id]), to: &node, now: Self.start)
        #expect(!wanted.contains { if case .serve = $0 { true } else { false } })
        #expect(try asker.read(from: &node, now: Self.start) == [.blob(blob.encoding)])

        // Once committed, the store serves it.
        node.perform(node.replica.committed(blob.id, result: .success([]), now: Self.start), now: Self.start)
        let later = try asker.send(.want([blob.id]), to: &node, now: Self.start)
        #expect(later.contains(.serve([blob.id], to: asker.publicKey)))
    }

    /// A replica with its `.store`s held and two greeted peers (in its mesh), after `sender` pushed `blob` to it.
    static func nodeCommitting(_ blob: SignedBlob) throws -> (ReplicaNode, HostilePeer, HostilePeer) {
        var node = Self.startedNode(answers: Self.answers(except: .store))
        var sender = try Self.greetedPeer(11, to: &node)
        var other = try Self.greetedPeer(12, to: &node)
        let received = try sender.send(.blob(blob.encoding), to: &node, now: Self.start)
        #expect(received.storedIDs == [blob.id])
        // Verified, but not durable yet: nothing is passed on.
        #expect(try other.read(from: &node, now: Self.start).isEmpty)
        return (node, sender, other)
    }

    /// A relayed blob is passed on once its commit succeeded, not when it verified. Before, it was forwarded first.
    @Test func aRelayedBlobIsForwardedOnlyOnceCommitted() throws {
        let blob = Fixture.blob(tag: 31)
        var (node, _, other) = try Self.nodeCommitting(blob)
        node.perform(node.replica.committed(blob.id, result: .success([]), now: Self.start), now: Self.start)
        #expect(try other.read(from: &node, now: Self.start) == [.blob(blob.encoding)])
    }

    /// A blob whose commit failed is not passed on, and a later copy is verified and stored again.
    @Test func aBlobWhoseCommitFailedIsNotForwardedAndIsStoredAgain() throws {
        let blob = Fixture.blob(tag: 32)
        var (node, sender, other) = try Self.nodeCommitting(blob)
        let failed = node.replica.committed(blob.id, result: .failure(.init(detail: "disk full")), now: Self.start)
        #expect(failed == [.emit(.commitFailed(blob.id, detail: "disk full"))])
        node.perform(failed, now: Self.start)
        #expect(try other.read(from: &node, now: Self.start).isEmpty)
        let again = try sender.send(.blob(blob.encoding), to: &node, now: Self.start)
        #expect(again.storedIDs == [blob.id])
    }

    /// A blob the store's quota refused is not passed on, and a later copy is dropped as seen.
    @Test func aBlobTheQuotaRefusedIsNotForwarded() throws {
        let blob = Fixture.blob(tag: 33)
        var (node, sender, other) = try Self.nodeCommitting(blob)
        node.perform(node.replica.refusedByStore(blob.id, reason: "quota", now: Self.start), now: Self.start)
        #expect(try other.read(from: &node, now: Self.start).isEmpty)
        let again = try sender.send(.blob(blob.encoding), to: &node, now: Self.start)
        #expect(again.storedIDs.isEmpty)
        #expect(!again.contains { if case .verify = $0 { true } else { false } })
    }

    // MARK: Dialing

    /// A replica started at 0 with `address` as its only bootstrap peer, and the actions of its start (the dial).
    static func nodeDialling(_ address: PeerAddress) -> (ReplicaNode, [Replica.Action]) {
        var node = ReplicaNode(Fixture.replica(key: 2, seed: 7))
        let started = node.perform(
            node.replica.start(
                listenPort: listenPort,
                localAddresses: [],
                bootstrap: [address],
                knownAddresses: [],
                bans: [],
                now: 0
            ),
            now: 0
        )
        return (node, started)
    }

    /// A transport that ends before `dialed` (the read could not start) is a failed dial: the address backs off and
    /// is dialled again, its outbound slot not lost.
    @Test func aReplicaThatDialsItselfClosesWithoutPenaltyAndForgetsTheAddress() throws {
        // The node's only known address is its own (an operator listed it as a bootstrap, or a peer passed it on).
        let address = Fixture.address(11)
        var (node, started) = Self.nodeDialling(address)
        let dial = try #require(started.dials.first)
        let (inbound, acceptActions) = node.replica.accepted(from: Fixture.address(11, port: 50_001), now: 0)
        node.perform(acceptActions, now: 0)
        node.perform(node.replica.dialed(dial.id, now: 0), now: 0)
        for _ in 0..<10 {
            let toInbound = node.takeWrites(for: dial.id, now: 0)
            let toOutbound = node.takeWrites(for: inbound, now: 0)
            if !toInbound.isEmpty { node.receive(toInbound, on: inbound, now: 0) }
            if !toOutbound.isEmpty { node.receive(toOutbound, on: dial.id, now: 0) }
            if toInbound.isEmpty && toOutbound.isEmpty { break }
        }
        #expect(node.closed.contains(dial.id))
        node.perform(node.replica.closed(inbound, now: 0), now: 0)
        #expect(node.replica.connectionCount == 0)
        let notices = node.log.compactMap { if case .emit(let notice) = $0 { notice } else { nil } }
        #expect(!notices.contains { if case .offence = $0 { true } else { false } })
        #expect(node.replica.statistics.bans == 0)
        #expect(node.log.contains(.persist(.forget(address))))
        // Never dialled again, however long it waits.
        let later = node.replica.configuration.peers.dialBackoffMilliseconds.upperBound * 2
        #expect(node.tick(now: later).dials.isEmpty)
    }

    @Test func aConnectionClosedWhileDiallingIsAFailedDial() throws {
        let address = Fixture.address(11)
        var (node, started) = Self.nodeDialling(address)
        let dial = try #require(started.dials.first)
        node.perform(node.replica.closed(dial.id, now: 10), now: 10)
        #expect(node.replica.connectionCount == 0)
        let backoff = node.replica.configuration.peers.dialBackoffMilliseconds.lowerBound
        #expect(node.tick(now: 10 + backoff).dials.map(\.address) == [address])
    }

    @Test func aDialThatNeverConnectsIsGivenUpAtTheDialTimeout() throws {
        let address = Fixture.address(11)
        var (node, started) = Self.nodeDialling(address)
        let dial = try #require(started.dials.first)
        #expect(started.dials.count == 1 && dial.address == address)
        #expect(node.replica.connectionCount == 1)

        let timeout = node.replica.configuration.dialTimeoutMilliseconds
        #expect(node.tick(now: timeout - 1).closedConnections.isEmpty)
        let actions = node.tick(now: timeout)
        #expect(actions.closedConnections == [dial.id])
        #expect(actions.farewell(of: dial.id) == [])
        #expect(node.replica.connectionCount == 0)
        // The address backs off before it is dialled again, under a new id; a late connect is ignored.
        #expect(actions.dials.isEmpty)
        #expect(node.replica.dialed(dial.id, now: timeout + 1).isEmpty)
        let backoff = node.replica.configuration.peers.dialBackoffMilliseconds.lowerBound
        #expect(node.tick(now: timeout + backoff - 1).dials.isEmpty)
        let redials = node.tick(now: timeout + backoff).dials
        #expect(redials.map(\.address) == [address])
        #expect(redials.first?.id != dial.id)
        #expect(node.replica.connectionCount == 1)
    }

    // MARK: Determinism

    @Test func theSameSeedAndEventsGiveTheSameActions() throws {
        func run(seed: UInt64) throws -> [[Replica.Action]] {
            var pair = try ReplicaPair(seed: seed)
            pair.a.perform(pair.a.replica.published(Fixture.blob(tag: 3), now: pair.now), now: pair.now)
            pair.settle()
            // Past the ping interval: both sides ping (nonces drawn from the seed) and answer.
            pair.now += pair.a.replica.configuration.pingIntervalMilliseconds
            pair.tick()
            pair.settle()
            return [pair.a.log, pair.b.log]
        }
        let first = try run(seed: 42)
        #expect(first[0].count > 10 && first[1].count > 10)
        #expect(try run(seed: 42) == first)
        #expect(try run(seed: 43) != first)
    }
}
