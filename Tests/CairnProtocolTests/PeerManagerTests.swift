import CairnCore
import Testing

@testable import CairnProtocol

/// Helpers for the peer manager tests.
enum PeerFixture {
    static let start: UInt64 = 1_000_000

    /// A node key made of one repeated byte; smaller bytes make smaller keys.
    static func key(_ byte: UInt8) -> PublicKey { PublicKey(unchecked: [UInt8](repeating: byte, count: 32)) }

    static func address(_ index: Int, port: UInt16 = 7700) -> PeerAddress {
        try! PeerAddress(host: "10.0.\(index / 256).\(index % 256)", port: port)
    }

    static func configuration(_ change: (inout PeerConfiguration) -> Void = { _ in }) -> PeerConfiguration {
        var configuration = PeerConfiguration()
        change(&configuration)
        return configuration
    }

    static func machine(
        key: UInt8 = 0x80,
        seed: UInt64 = 7,
        _ change: (inout PeerConfiguration) -> Void = { _ in }
    ) -> PeerManager.StateMachine {
        PeerManager.StateMachine(configuration: configuration(change), localKey: self.key(key), seed: seed)
    }
}

extension Array where Element == PeerManager.Action {
    var dials: [PeerAddress] {
        compactMap { if case .dial(let address) = $0 { address } else { nil } }
    }

    var closes: [PeerManager.ConnectionID: GoodbyeReason] {
        var closes: [PeerManager.ConnectionID: GoodbyeReason] = [:]
        for case .close(let id, let reason) in self { closes[id] = reason }
        return closes
    }

    var remembered: [PeerAddress] {
        compactMap { if case .rememberAddress(let address) = $0 { address } else { nil } }
    }

    var forgotten: [PeerAddress] {
        compactMap { if case .forgetAddress(let address) = $0 { address } else { nil } }
    }

    var sentPeers: [PeerManager.ConnectionID: [PeerAddress]] {
        var sent: [PeerManager.ConnectionID: [PeerAddress]] = [:]
        for case .send(.peers(let addresses), let id) in self { sent[id] = addresses }
        return sent
    }
}

extension PeerManager.StateMachine {
    /// Dials that succeed at once and authenticate as `key(for:)`; returns the actions of the last step.
    @discardableResult
    mutating func connect(
        _ addresses: [PeerAddress],
        firstID: PeerManager.ConnectionID,
        key: (PeerAddress) -> PublicKey,
        now: UInt64
    ) -> [PeerManager.Action] {
        var actions: [PeerManager.Action] = []
        for (offset, address) in addresses.enumerated() {
            let id = firstID + PeerManager.ConnectionID(offset)
            actions += dialSucceeded(id, address: address, now: now)
            actions += handshakeCompleted(id, remote: key(address), now: now)
        }
        return actions
    }
}

@Suite("PeerManager")
struct PeerManagerTests {
    typealias Fixture = PeerFixture

    // MARK: Outbound target and backoff

    @Test func startDialsBootstrapAddressesUpToTheOutboundTarget() {
        var machine = Fixture.machine()
        let bootstrap = (1...12).map { Fixture.address($0) }
        let actions = machine.start(bootstrap: bootstrap, knownAddresses: [], bans: [], now: Fixture.start)
        let dials = actions.dials
        #expect(dials.count == 8)
        #expect(Set(dials).count == 8)
        #expect(Set(dials).isSubset(of: Set(bootstrap)))
        #expect(machine.outboundCount == 8)

        machine.connect(
            dials,
            firstID: 1,
            key: { Fixture.key(UInt8($0.host.split(separator: ".").last!)!) },
            now: Fixture.start
        )
        #expect(machine.peers.count == 8)
        #expect(machine.peers.allSatisfy { $0.direction == .outbound })
        #expect(machine.tick(now: Fixture.start + 1_000).dials.isEmpty)
    }

    @Test func startWithFewerAddressesThanTheTargetDialsThemAll() {
        var machine = Fixture.machine()
        let actions = machine.start(
            bootstrap: [Fixture.address(1)],
            knownAddresses: [Fixture.address(2), Fixture.address(3), Fixture.address(1)],
            bans: [],
            now: Fixture.start
        )
        #expect(Set(actions.dials) == [Fixture.address(1), Fixture.address(2), Fixture.address(3)])
        #expect(machine.tick(now: Fixture.start + 1).dials.isEmpty)
    }

    @Test func dialBackoffDoublesPerFailureAndCaps() {
        var machine = Fixture.machine()
        let address = Fixture.address(1)
        var now = Fixture.start
        #expect(machine.start(bootstrap: [address], knownAddresses: [], bans: [], now: now).dials == [address])
        let expectedWaits: [UInt64] = [
            1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000, 60_000,
        ]
        for wait in expectedWaits {
            #expect(machine.dialFailed(address: address, now: now).dials.isEmpty)
            #expect(machine.tick(now: now + wait - 1).dials.isEmpty)
            now += wait
            #expect(machine.tick(now: now).dials == [address])
        }
        // A bootstrap address is never forgotten; a success resets its backoff.
        #expect(machine.knownAddresses == [address])
        _ = machine.dialSucceeded(1, address: address, now: now)
        _ = machine.handshakeCompleted(1, remote: Fixture.key(1), now: now)
        _ = machine.connectionClosed(1, now: now)
        #expect(machine.tick(now: now + 999).dials.isEmpty)
        #expect(machine.tick(now: now + 1_000).dials == [address])
        #expect(machine.dialFailed(address: address, now: now + 1_000).isEmpty)
        #expect(machine.tick(now: now + 2_000).dials == [address])
    }

    @Test(arguments: [(0, 0), (1, 1_000), (2, 2_000), (6, 32_000), (7, 60_000), (64, 60_000), (10_000, 60_000)])
    func backoffFormula(failures: Int, wait: UInt64) {
        #expect(PeerManager.StateMachine.dialBackoff(failures: failures, range: 1_000...60_000) == wait)
    }

    @Test func aLearnedAddressIsForgottenAfterRepeatedFailures() {
        var machine = Fixture.machine { $0.forgetAfterDialFailures = 3 }
        let address = Fixture.address(1)
        var now = Fixture.start
        _ = machine.start(bootstrap: [], knownAddresses: [address], bans: [], now: now)
        #expect(machine.dialFailed(address: address, now: now).forgotten.isEmpty)
        now += 1_000
        #expect(machine.tick(now: now).dials == [address])
        #expect(machine.dialFailed(address: address, now: now).forgotten.isEmpty)
        now += 2_000
        #expect(machine.tick(now: now).dials == [address])
        #expect(machine.dialFailed(address: address, now: now).forgotten == [address])
        #expect(machine.knownAddresses.isEmpty)
    }

    @Test func aDialThatConnectsButNeverCompletesItsHandshakeBacksOff() {
        var machine = Fixture.machine()
        let address = Fixture.address(1)
        _ = machine.start(bootstrap: [address], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.dialSucceeded(1, address: address, now: Fixture.start)
        #expect(machine.connectionClosed(1, now: Fixture.start).dials.isEmpty)
        #expect(machine.tick(now: Fixture.start + 999).dials.isEmpty)
        #expect(machine.tick(now: Fixture.start + 1_000).dials == [address])
    }

    @Test func closedConnectionsAreReplacedToStayAtTheTarget() {
        var machine = Fixture.machine { $0.outboundTarget = 2 }
        let addresses = (1...4).map { Fixture.address($0) }
        let dials = machine.start(bootstrap: addresses, knownAddresses: [], bans: [], now: Fixture.start).dials
        machine.connect(
            dials,
            firstID: 1,
            key: { Fixture.key(UInt8($0.host.split(separator: ".").last!)!) },
            now: Fixture.start
        )
        let actions = machine.connectionClosed(1, now: Fixture.start + 10)
        #expect(actions.contains(.peerDown(Fixture.key(UInt8(dials[0].host.split(separator: ".").last!)!), 1)))
        #expect(actions.dials.count == 1)
        #expect(actions.dials[0] != dials[0] && actions.dials[0] != dials[1])
        #expect(machine.outboundCount == 2)
    }

    // MARK: Inbound cap, self and duplicate connections

    @Test func inboundConnectionsBeyondTheCapAreClosedAtOnce() {
        var machine = Fixture.machine { $0.inboundCap = 2 }
        _ = machine.start(bootstrap: [], knownAddresses: [], bans: [], now: Fixture.start)
        #expect(machine.inboundAccepted(1, now: Fixture.start).isEmpty)
        #expect(machine.inboundAccepted(2, now: Fixture.start).isEmpty)
        #expect(machine.inboundAccepted(3, now: Fixture.start) == [.close(3, .tooManyPeers)])
        #expect(machine.connectionClosed(3, now: Fixture.start).isEmpty)
        #expect(machine.inboundConnectionCount == 2)
        _ = machine.connectionClosed(1, now: Fixture.start)
        #expect(machine.inboundAccepted(4, now: Fixture.start).isEmpty)
        #expect(machine.inboundConnectionCount == 2)
    }

    @Test func aConnectionToOurselvesIsRefusedAndItsAddressNeverDialledAgain() {
        var machine = Fixture.machine(key: 0x80)
        let own = Fixture.address(9)
        var now = Fixture.start
        #expect(machine.start(bootstrap: [], knownAddresses: [own], bans: [], now: now).dials == [own])
        _ = machine.dialSucceeded(1, address: own, now: now)
        let actions = machine.handshakeCompleted(1, remote: Fixture.key(0x80), now: now)
        #expect(actions.closes == [1: .duplicateConnection])
        #expect(actions.forgotten == [own])
        #expect(!actions.contains { if case .peerUp = $0 { true } else { false } })
        _ = machine.connectionClosed(1, now: now)
        #expect(machine.receivedPeers([own], from: 1, now: now).isEmpty)
        now += 3_600_000
        #expect(machine.tick(now: now).dials.isEmpty)

        // The accepting side of a self-connection refuses it too.
        #expect(machine.inboundAccepted(2, now: now).isEmpty)
        #expect(machine.handshakeCompleted(2, remote: Fixture.key(0x80), now: now).closes == [2: .duplicateConnection])
    }

    @Test func aDeclaredLocalAddressIsNeverDialled() {
        var machine = Fixture.machine()
        let own = Fixture.address(9)
        #expect(machine.addLocalAddress(own).isEmpty)
        #expect(machine.start(bootstrap: [own], knownAddresses: [own], bans: [], now: Fixture.start).dials.isEmpty)
    }

    /// Two nodes dial each other at once; whatever order the handshakes complete in, both keep the connection
    /// the smaller key initiated.
    @Test(arguments: [(true, true), (true, false), (false, true), (false, false)])
    func simultaneousDialsKeepTheSameConnectionOnBothSides(smallFirst: Bool, largeFirst: Bool) {
        let small = Fixture.key(0x10)
        let large = Fixture.key(0xf0)
        var a = PeerManager.StateMachine(configuration: .init(), localKey: small, seed: 1)
        var b = PeerManager.StateMachine(configuration: .init(), localKey: large, seed: 2)
        let addressA = Fixture.address(1)
        let addressB = Fixture.address(2)
        #expect(a.start(bootstrap: [addressB], knownAddresses: [], bans: [], now: Fixture.start).dials == [addressB])
        #expect(b.start(bootstrap: [addressA], knownAddresses: [], bans: [], now: Fixture.start).dials == [addressA])
        // TCP connection X: a → b (a's id 1, b's id 101). Connection Y: b → a (b's id 2, a's id 102).
        _ = a.dialSucceeded(1, address: addressB, now: Fixture.start)
        _ = b.inboundAccepted(101, now: Fixture.start)
        _ = b.dialSucceeded(2, address: addressA, now: Fixture.start)
        _ = a.inboundAccepted(102, now: Fixture.start)

        var aActions: [PeerManager.Action] = []
        for id: PeerManager.ConnectionID in smallFirst ? [1, 102] : [102, 1] {
            aActions += a.handshakeCompleted(id, remote: large, now: Fixture.start)
        }
        var bActions: [PeerManager.Action] = []
        for id: PeerManager.ConnectionID in largeFirst ? [2, 101] : [101, 2] {
            bActions += b.handshakeCompleted(id, remote: small, now: Fixture.start)
        }
        #expect(aActions.closes == [102: .duplicateConnection])
        #expect(bActions.closes == [2: .duplicateConnection])
        #expect(a.peers.map(\.connection) == [1])
        #expect(b.peers.map(\.connection) == [101])
        #expect(a.peers.first?.direction == .outbound)
        #expect(b.peers.first?.direction == .inbound)
        // Every peerUp is matched by a peerDown for a connection that is dropped.
        let aUps = aActions.filter { if case .peerUp = $0 { true } else { false } }.count
        let aDowns = aActions.filter { if case .peerDown = $0 { true } else { false } }.count
        #expect(aUps - aDowns == 1)

        // Closing the loser does not make either side dial the other again while connected.
        #expect(a.connectionClosed(102, now: Fixture.start).dials.isEmpty)
        #expect(b.connectionClosed(2, now: Fixture.start).dials.isEmpty)
        #expect(a.tick(now: Fixture.start + 60_000).dials.isEmpty)
        #expect(b.tick(now: Fixture.start + 60_000).dials.isEmpty)
    }

    @Test func aSecondInboundConnectionFromAConnectedKeyIsRefused() {
        var machine = Fixture.machine()
        _ = machine.start(bootstrap: [], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.inboundAccepted(1, now: Fixture.start)
        #expect(
            machine.handshakeCompleted(1, remote: Fixture.key(3), now: Fixture.start).contains(
                .peerUp(Fixture.key(3), 1, .inbound)
            )
        )
        _ = machine.inboundAccepted(2, now: Fixture.start)
        #expect(
            machine.handshakeCompleted(2, remote: Fixture.key(3), now: Fixture.start).closes == [
                2: .duplicateConnection
            ]
        )
        #expect(machine.peers.map(\.connection) == [1])
    }

    // MARK: Addresses and peer exchange

    @Test func advertisedListenPortMakesTheRemembereredAddress() {
        var machine = Fixture.machine()
        _ = machine.start(bootstrap: [], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.inboundAccepted(1, now: Fixture.start)
        _ = machine.handshakeCompleted(1, remote: Fixture.key(3), now: Fixture.start)
        let address = try! PeerAddress(host: "192.0.2.7", port: 7711)
        #expect(machine.advertised(listenPort: 0, observedHost: "192.0.2.7", on: 1, now: Fixture.start).isEmpty)
        #expect(
            machine.advertised(listenPort: 7711, observedHost: "192.0.2.7", on: 1, now: Fixture.start).remembered == [
                address
            ]
        )
        #expect(machine.peers.first?.address == address)
        #expect(machine.knownAddresses == [address])
        // Connected already: not dialled.
        #expect(machine.tick(now: Fixture.start + 1).dials.isEmpty)
    }

    @Test func peerExchangeLearnsAddressesWithinTheBound() {
        var machine = Fixture.machine {
            $0.maxKnownAddresses = 5; $0.outboundTarget = 1
        }
        let seedAddress = Fixture.address(1)
        _ = machine.start(bootstrap: [seedAddress], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.dialSucceeded(1, address: seedAddress, now: Fixture.start)
        _ = machine.handshakeCompleted(1, remote: Fixture.key(1), now: Fixture.start)
        let offered = (10..<74).map { Fixture.address($0) }
        let actions = machine.receivedPeers(offered, from: 1, now: Fixture.start)
        #expect(actions.remembered == Array(offered.prefix(5)))
        #expect(machine.knownAddresses.count == 6)  // five learned and the bootstrap address

        // When full, a new address replaces only one that has failed.
        _ = machine.receivedPeers([Fixture.address(200)], from: 1, now: Fixture.start)
        #expect(!machine.knownAddresses.contains(Fixture.address(200)))
        _ = machine.connectionClosed(1, now: Fixture.start)
        let failing = machine.pendingDials.first!
        _ = machine.dialFailed(address: failing, now: Fixture.start)
        _ = machine.dialSucceeded(2, address: machine.pendingDials.first!, now: Fixture.start)
        _ = machine.handshakeCompleted(2, remote: Fixture.key(2), now: Fixture.start)
        let replaced = machine.receivedPeers([Fixture.address(200)], from: 2, now: Fixture.start)
        #expect(replaced.forgotten == [failing])
        #expect(replaced.remembered == [Fixture.address(200)])
        #expect(machine.knownAddresses.count == 6)
    }

    @Test func aNodeThatKnowsOnePeerFillsItsOutboundTargetFromPeerExchange() {
        var machine = Fixture.machine()
        let seedAddress = Fixture.address(1)
        #expect(
            machine.start(bootstrap: [seedAddress], knownAddresses: [], bans: [], now: Fixture.start).dials == [
                seedAddress
            ]
        )
        _ = machine.dialSucceeded(1, address: seedAddress, now: Fixture.start)
        _ = machine.handshakeCompleted(1, remote: Fixture.key(1), now: Fixture.start)
        let learned = (2...20).map { Fixture.address($0) }
        let dials = machine.receivedPeers(learned, from: 1, now: Fixture.start).dials
        #expect(dials.count == 7)
        #expect(Set(dials).isSubset(of: Set(learned)))
        machine.connect(
            dials,
            firstID: 2,
            key: { Fixture.key(UInt8($0.host.split(separator: ".").last!)!) },
            now: Fixture.start
        )
        #expect(machine.peers.filter { $0.direction == .outbound }.count == 8)
    }

    @Test func peersAreSentASampleOfKnownAddressesPeriodically() {
        var machine = Fixture.machine {
            $0.maxAddressesPerExchange = 4; $0.outboundTarget = 2
        }
        let known = (1...10).map { Fixture.address($0) }
        let dials = machine.start(bootstrap: [], knownAddresses: known, bans: [], now: Fixture.start).dials
        let connected = machine.connect(
            dials,
            firstID: 1,
            key: { Fixture.key(UInt8($0.host.split(separator: ".").last!)!) },
            now: Fixture.start
        )
        #expect(connected.sentPeers[2]?.count == 4)
        #expect(machine.tick(now: Fixture.start + 29_999).sentPeers.isEmpty)
        let sent = machine.tick(now: Fixture.start + 30_000).sentPeers
        #expect(Set(sent.keys) == [1, 2])
        for (id, addresses) in sent {
            #expect(addresses.count == 4)
            #expect(Set(addresses).count == 4)
            #expect(!addresses.contains(dials[Int(id) - 1]))  // never the recipient's own address
        }
        #expect(machine.tick(now: Fixture.start + 31_000).sentPeers.isEmpty)
    }

    @Test func anInboundPeerGetsItsFirstSampleOnceItAdvertisedWithoutItsOwnAddress() {
        var machine = Fixture.machine { $0.outboundTarget = 0 }
        let known = (1...5).map { Fixture.address($0) }
        _ = machine.start(bootstrap: [], knownAddresses: known, bans: [], now: Fixture.start)
        _ = machine.inboundAccepted(1, now: Fixture.start)
        #expect(machine.handshakeCompleted(1, remote: Fixture.key(3), now: Fixture.start).sentPeers.isEmpty)
        let sent = machine.advertised(listenPort: 7700, observedHost: "10.0.0.3", on: 1, now: Fixture.start + 5)
            .sentPeers
        #expect(Set(sent[1] ?? []) == Set(known).subtracting([Fixture.address(3)]))
        #expect(machine.tick(now: Fixture.start + 29_999).sentPeers.isEmpty)
        #expect(machine.tick(now: Fixture.start + 30_005).sentPeers.keys.sorted() == [1])

        // A peer that never advertises gets its first sample at the next tick.
        _ = machine.inboundAccepted(2, now: Fixture.start)
        _ = machine.handshakeCompleted(2, remote: Fixture.key(4), now: Fixture.start)
        #expect(machine.tick(now: Fixture.start + 30_006).sentPeers.keys.sorted() == [2])
    }

    // MARK: Scores and bans

    @Test func offencesLowerTheScoreAndDisconnectAtTheThreshold() {
        var machine = Fixture.machine()
        _ = machine.start(bootstrap: [], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.inboundAccepted(1, now: Fixture.start)
        _ = machine.handshakeCompleted(1, remote: Fixture.key(3), now: Fixture.start)
        #expect(machine.offence(.spam, on: 1, now: Fixture.start).isEmpty)
        #expect(machine.peers.first?.score == -5)
        let actions = machine.offence(.handshakeFailure, on: 1, now: Fixture.start)
        #expect(actions == [.peerDown(Fixture.key(3), 1), .close(1, .protocolViolation)])
        #expect(!machine.isBanned(Fixture.key(3), now: Fixture.start))
        #expect(machine.peers.isEmpty)
        #expect(machine.offence(.spam, on: 1, now: Fixture.start).isEmpty)
        #expect(machine.connectionClosed(1, now: Fixture.start).isEmpty)  // peerDown already sent
    }

    @Test(arguments: [PeerManager.Offence.malformedFrame, .oversizedFrame])
    func severeOffencesBanAtOnce(offence: PeerManager.Offence) {
        var machine = Fixture.machine()
        let key = Fixture.key(3)
        _ = machine.start(bootstrap: [], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.inboundAccepted(1, now: Fixture.start)
        _ = machine.handshakeCompleted(1, remote: key, now: Fixture.start)
        let until = Fixture.start + 3_600_000
        #expect(
            machine.offence(offence, on: 1, now: Fixture.start)
                == [.ban(key, untilMilliseconds: until), .peerDown(key, 1), .close(1, offence.goodbyeReason)]
        )
        #expect(machine.isBanned(key, now: Fixture.start))
        _ = machine.connectionClosed(1, now: Fixture.start)

        // Reconnecting while banned is refused; after the ban, unbanned and accepted.
        _ = machine.inboundAccepted(2, now: Fixture.start + 10)
        #expect(machine.handshakeCompleted(2, remote: key, now: Fixture.start + 10) == [.close(2, .banned)])
        _ = machine.connectionClosed(2, now: Fixture.start + 10)
        #expect(machine.tick(now: until - 1).isEmpty)
        #expect(machine.tick(now: until) == [.unban(key)])
        #expect(!machine.isBanned(key, now: until))
        _ = machine.inboundAccepted(3, now: until)
        #expect(machine.handshakeCompleted(3, remote: key, now: until).contains(.peerUp(key, 3, .inbound)))
    }

    @Test func aBadScoreSurvivesReconnectingAndLeadsToABan() {
        var machine = Fixture.machine()
        let key = Fixture.key(3)
        _ = machine.start(bootstrap: [], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.inboundAccepted(1, now: Fixture.start)
        _ = machine.handshakeCompleted(1, remote: key, now: Fixture.start)
        // -25 then -50: -75, at or below the disconnect threshold but above the ban threshold.
        #expect(machine.offence(.protocolViolation, on: 1, now: Fixture.start).closes.isEmpty)
        #expect(machine.offence(.handshakeFailure, on: 1, now: Fixture.start).closes == [1: .protocolViolation])
        _ = machine.connectionClosed(1, now: Fixture.start)
        _ = machine.tick(now: Fixture.start + 1_000)  // -75 → -67.5
        _ = machine.inboundAccepted(2, now: Fixture.start + 1_000)
        _ = machine.handshakeCompleted(2, remote: key, now: Fixture.start + 1_000)
        #expect(abs(machine.peers[0].score - -67.5) < 1e-9)
        // A fresh peer would only be disconnected by -50; this one reaches -117.5 and is banned.
        let actions = machine.offence(.handshakeFailure, on: 2, now: Fixture.start + 1_000)
        #expect(actions.contains(.ban(key, untilMilliseconds: Fixture.start + 1_000 + 3_600_000)))
        #expect(actions.closes == [2: .protocolViolation])
    }

    @Test func eachOffenceClassHasItsOwnGoodbyeReason() {
        let reasons = PeerManager.Offence.allCases.filter { $0 != .handshakeFailure }.map(\.goodbyeReason)
        #expect(Set(reasons).count == reasons.count)
        #expect(!reasons.contains(.banned))
        #expect(PeerManager.Offence.malformedFrame.goodbyeReason.description == "malformed")
        #expect(PeerManager.Offence.spam.goodbyeReason == GoodbyeReason(rawValue: 9))
    }

    @Test func anOffenceBeforeTheHandshakeClosesWithoutABan() {
        var machine = Fixture.machine()
        _ = machine.start(bootstrap: [], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.inboundAccepted(1, now: Fixture.start)
        #expect(machine.offence(.malformedFrame, on: 1, now: Fixture.start) == [.close(1, .malformed)])
        #expect(machine.handshakeCompleted(1, remote: Fixture.key(3), now: Fixture.start).isEmpty)
        #expect(machine.bannedKeys.isEmpty)
    }

    @Test func scoresDecayTowardZeroEachTick() {
        var machine = Fixture.machine()
        _ = machine.start(bootstrap: [], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.inboundAccepted(1, now: Fixture.start)
        _ = machine.handshakeCompleted(1, remote: Fixture.key(3), now: Fixture.start)
        for _ in 0..<8 { _ = machine.offence(.spam, on: 1, now: Fixture.start) }
        #expect(machine.peers[0].score == -40)
        _ = machine.tick(now: Fixture.start + 1_000)
        #expect(abs(machine.peers[0].score - -36) < 1e-9)
        _ = machine.tick(now: Fixture.start + 2_000)
        #expect(abs(machine.peers[0].score - -32.4) < 1e-9)
        for step in 3...100 { _ = machine.tick(now: Fixture.start + UInt64(step) * 1_000) }
        #expect(machine.peers[0].score == 0)
    }

    @Test func persistedBansAreRestoredAtStartAndExpiredOnesLifted() {
        var machine = Fixture.machine()
        let banned = Fixture.key(3)
        let expired = Fixture.key(4)
        let until = Fixture.start + 5_000
        let actions = machine.start(
            bootstrap: [],
            knownAddresses: [],
            bans: [(banned, until), (expired, Fixture.start)],
            now: Fixture.start
        )
        #expect(actions == [.unban(expired)])
        #expect(machine.isBanned(banned, now: Fixture.start))
        #expect(!machine.isBanned(expired, now: Fixture.start))
        #expect(machine.bannedKeys.map(\.key) == [banned])
        _ = machine.inboundAccepted(1, now: Fixture.start)
        #expect(machine.handshakeCompleted(1, remote: banned, now: Fixture.start) == [.close(1, .banned)])
        #expect(machine.tick(now: until) == [.unban(banned)])
    }

    @Test func anAddressOfABannedKeyIsNotDialled() {
        var machine = Fixture.machine { $0.outboundTarget = 1 }
        let address = Fixture.address(1)
        let key = Fixture.key(1)
        _ = machine.start(bootstrap: [address], knownAddresses: [], bans: [], now: Fixture.start)
        _ = machine.dialSucceeded(1, address: address, now: Fixture.start)
        _ = machine.handshakeCompleted(1, remote: key, now: Fixture.start)
        _ = machine.offence(.malformedFrame, on: 1, now: Fixture.start)
        _ = machine.connectionClosed(1, now: Fixture.start)
        #expect(machine.tick(now: Fixture.start + 3_599_999).dials.isEmpty)
        #expect(machine.tick(now: Fixture.start + 3_600_000).dials == [address])
    }

    @Test func bansAreBounded() {
        var machine = Fixture.machine { $0.maxBans = 2 }
        let actions = machine.start(
            bootstrap: [],
            knownAddresses: [],
            bans: [
                (Fixture.key(1), Fixture.start + 10), (Fixture.key(2), Fixture.start + 5),
                (Fixture.key(3), Fixture.start + 20),
            ],
            now: Fixture.start
        )
        #expect(actions.contains(.unban(Fixture.key(2))))
        #expect(machine.bannedKeys.map(\.key) == [Fixture.key(1), Fixture.key(3)])
    }

    // MARK: Whole-machine properties

    @Test func theSameSeedGivesTheSameActions() {
        func run(seed: UInt64) -> [PeerManager.Action] {
            var machine = Fixture.machine(seed: seed)
            var actions = machine.start(
                bootstrap: (1...40).map { Fixture.address($0) },
                knownAddresses: [],
                bans: [],
                now: 0
            )
            actions += machine.connect(
                actions.dials,
                firstID: 1,
                key: { Fixture.key(UInt8($0.host.split(separator: ".").last!)!) },
                now: 0
            )
            actions += machine.tick(now: 30_000)
            return actions
        }
        #expect(run(seed: 5) == run(seed: 5))
        #expect(run(seed: 5) != run(seed: 6))
    }

    /// Random events: the machine never has more outbound connections and dials than its target, never dials an
    /// address it is already dialling or connected to, and keeps at most one up connection per key.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func randomEventsNeverBreakTheInvariants(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var machine = Fixture.machine(seed: seed) {
            $0.outboundTarget = 4; $0.inboundCap = 3; $0.maxKnownAddresses = 16
        }
        var now: UInt64 = 0
        var pending: [PeerAddress] = []
        var open: [PeerManager.ConnectionID: PeerAddress?] = [:]
        var nextID: PeerManager.ConnectionID = 1
        var actions = machine.start(
            bootstrap: (1...3).map { Fixture.address($0) },
            knownAddresses: [],
            bans: [],
            now: now
        )
        for _ in 0..<3_000 {
            for case .dial(let address) in actions {
                #expect(!pending.contains(address))
                #expect(!open.values.contains(address))
                pending.append(address)
            }
            #expect(machine.outboundCount <= 4)
            #expect(Set(machine.peers.map(\.key)).count == machine.peers.count)
            #expect(machine.inboundConnectionCount <= 3)
            now += UInt64.random(in: 0...500, using: &random)
            switch Int.random(in: 0..<8, using: &random) {
            case 0 where !pending.isEmpty:
                let address = pending.remove(at: Int.random(in: 0..<pending.count, using: &random))
                actions = machine.dialFailed(address: address, now: now)
            case 1 where !pending.isEmpty:
                let address = pending.remove(at: Int.random(in: 0..<pending.count, using: &random))
                open[nextID] = address
                actions = machine.dialSucceeded(nextID, address: address, now: now)
                nextID += 1
            case 2:
                open[nextID] = .some(nil)
                actions = machine.inboundAccepted(nextID, now: now)
                nextID += 1
            case 3 where !open.isEmpty:
                let id = open.keys.sorted()[Int.random(in: 0..<open.count, using: &random)]
                actions = machine.handshakeCompleted(
                    id,
                    remote: Fixture.key(UInt8.random(in: 1...12, using: &random)),
                    now: now
                )
            case 4 where !open.isEmpty:
                let id = open.keys.sorted()[Int.random(in: 0..<open.count, using: &random)]
                open.removeValue(forKey: id)
                actions = machine.connectionClosed(id, now: now)
            case 5 where !open.isEmpty:
                let id = open.keys.sorted()[Int.random(in: 0..<open.count, using: &random)]
                let offered = (0..<Int.random(in: 0...8, using: &random)).map { _ in
                    Fixture.address(Int.random(in: 1...40, using: &random))
                }
                actions = machine.receivedPeers(offered, from: id, now: now)
            case 6 where !open.isEmpty:
                let id = open.keys.sorted()[Int.random(in: 0..<open.count, using: &random)]
                actions = machine.offence(PeerManager.Offence.allCases.randomElement(using: &random)!, on: id, now: now)
            default:
                actions = machine.tick(now: now)
            }
            #expect(machine.knownAddresses.count <= 16 + 3)
        }
    }
}
