import CairnCore
import Testing

@testable import CairnProtocol

@Suite("Handshake")
struct HandshakeTests {
    @Test func handshakeEstablishesMatchingSessions() throws {
        let transcript = fixedTranscript()
        let initiator = transcript.initiatorSession
        let responder = transcript.responderSession
        #expect(transcript.message1.count == Handshake.message1Bytes)
        #expect(transcript.message2.count == Handshake.message2Bytes)
        #expect(transcript.message3.count == Handshake.message3Bytes)
        #expect(initiator.remoteKey == Fixture.responderKey.publicKey)
        #expect(responder.remoteKey == Fixture.initiatorKey.publicKey)
        #expect(initiator.sendKey == responder.receiveKey)
        #expect(initiator.receiveKey == responder.sendKey)
        #expect(initiator.sendKey != initiator.receiveKey)
        #expect(initiator.handshakeHash == responder.handshakeHash)
        #expect(initiator.role == .initiator && responder.role == .responder)
    }

    @Test func remoteKeyIsExposedOnceAuthenticated() {
        var initiator = Fixture.initiator()
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        let message2 = responder.receive(initiator.start(now: 0).sent, now: 0).sent
        #expect(initiator.remoteKey == nil && responder.remoteKey == nil)
        let message3 = initiator.receive(message2, now: 0).sent
        #expect(initiator.remoteKey == Fixture.responderKey.publicKey)
        _ = responder.receive(message3, now: 0)
        #expect(responder.remoteKey == Fixture.initiatorKey.publicKey)
        #expect(initiator.isFinished && responder.isFinished)
    }

    @Test(arguments: [1, 7, 64, 200])
    func handshakeSurvivesArbitrarySplits(maxPiece: Int) {
        var generator = SeededGenerator(seed: UInt64(maxPiece))
        var initiator = Fixture.initiator()
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        var toResponder = initiator.start(now: 0).sent
        var sessions: [Session] = []
        for _ in 0..<3 {
            var toInitiator: [UInt8] = []
            for piece in randomSplits(toResponder, maxPiece: maxPiece, using: &generator) {
                let actions = responder.receive(piece, now: 1)
                #expect(actions.failure == nil)
                toInitiator += actions.sent
                if let session = actions.session { sessions.append(session) }
            }
            toResponder = []
            for piece in randomSplits(toInitiator, maxPiece: maxPiece, using: &generator) {
                let actions = initiator.receive(piece, now: 1)
                #expect(actions.failure == nil)
                toResponder += actions.sent
                if let session = actions.session { sessions.append(session) }
            }
        }
        #expect(sessions.count == 2)
        #expect(sessions.first?.handshakeHash == sessions.last?.handshakeHash)
    }

    @Test func bytesCoalescedAfterMessage3GoToTheChannel() throws {
        var initiator = Fixture.initiator()
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        let message2 = responder.receive(initiator.start(now: 0).sent, now: 0).sent
        let actions = initiator.receive(message2, now: 0)
        var initiatorChannel = SecureChannel(session: try #require(actions.session))
        let record = try initiatorChannel.seal([1, 2, 3])
        let final = responder.receive(actions.sent + record, now: 0)
        #expect(final.unconsumed == record)
        var responderChannel = SecureChannel(session: try #require(final.session))
        #expect(responderChannel.receive(record).delivered == [[1, 2, 3]])
    }

    @Test func wrongNetworkFailsAtMessage1() {
        var initiator = Fixture.initiator(network: NetworkKey(networkName: "other-mesh"))
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        let actions = responder.receive(initiator.start(now: 0).sent, now: 0)
        #expect(actions == [.fail(.badNetworkTag(message: 1))])
        #expect(responder.isFinished)
    }

    @Test func responderClaimingAnotherNodesKeyFails() {
        var initiator = Fixture.initiator()
        var responder = Fixture.responder()
        responder.presentedKey = Fixture.strangerKey.publicKey
        _ = responder.start(now: 0)
        let message2 = responder.receive(initiator.start(now: 0).sent, now: 0).sent
        let actions = initiator.receive(message2, now: 0)
        #expect(actions == [.fail(.badSignature(remote: Fixture.strangerKey.publicKey))])
        #expect(initiator.remoteKey == nil)
    }

    @Test func initiatorClaimingAnotherNodesKeyFails() {
        var initiator = Fixture.initiator()
        initiator.presentedKey = Fixture.strangerKey.publicKey
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        let message2 = responder.receive(initiator.start(now: 0).sent, now: 0).sent
        let message3 = initiator.receive(message2, now: 0).sent
        let actions = responder.receive(message3, now: 0)
        #expect(actions == [.fail(.badSignature(remote: Fixture.strangerKey.publicKey))])
        #expect(responder.remoteKey == nil)
    }

    @Test func unexpectedResponderKeyFails() {
        var initiator = Fixture.initiator(expectedRemoteKey: Fixture.strangerKey.publicKey)
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        let message2 = responder.receive(initiator.start(now: 0).sent, now: 0).sent
        #expect(
            initiator.receive(message2, now: 0) == [
                .fail(
                    .unexpectedRemoteKey(
                        expected: Fixture.strangerKey.publicKey,
                        actual: Fixture.responderKey.publicKey
                    )
                )
            ]
        )
    }

    @Test func connectionToSelfIsRefused() {
        var initiator = Fixture.initiator(key: Fixture.responderKey)
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        let message2 = responder.receive(initiator.start(now: 0).sent, now: 0).sent
        #expect(initiator.receive(message2, now: 0) == [.fail(.connectionToSelf)])
    }

    @Test(arguments: [1, 2, 3])
    func flippedByteInAnyPositionFails(message: Int) {
        let transcript = fixedTranscript()
        let original = [transcript.message1, transcript.message2, transcript.message3][message - 1]
        for position in original.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var corrupted = original
                corrupted[position] ^= mask
                var initiator = Fixture.initiator()
                var responder = Fixture.responder()
                _ = responder.start(now: 0)
                _ = initiator.start(now: 0)
                let actions: [Handshake.Action]
                switch message {
                case 1:
                    actions = responder.receive(corrupted, now: 0)
                case 2:
                    actions = initiator.receive(corrupted, now: 0)
                default:
                    _ = responder.receive(transcript.message1, now: 0)
                    actions = responder.receive(corrupted, now: 0)
                }
                #expect(actions.count == 1, "message \(message) byte \(position)")
                #expect(actions.failure != nil, "message \(message) byte \(position)")
            }
        }
    }

    @Test func replayedMessage2FailsInAFreshInitiator() {
        let recorded = fixedTranscript()
        var initiator = Fixture.initiator(ephemeralSecret: sequentialBytes(from: 0xa0))
        _ = initiator.start(now: 0)
        #expect(initiator.receive(recorded.message2, now: 0) == [.fail(.badNetworkTag(message: 2))])
    }

    @Test func replayedMessage3FailsInAFreshResponder() {
        let recorded = fixedTranscript()
        var responder = Fixture.responder(ephemeralSecret: sequentialBytes(from: 0xc0))
        _ = responder.start(now: 0)
        let answer = responder.receive(recorded.message1, now: 0)
        #expect(answer.sent.count == Handshake.message2Bytes)
        #expect(responder.receive(recorded.message3, now: 0) == [.fail(.decryptionFailed(message: 3))])
    }

    @Test func handshakeTimesOut() {
        var initiator = Fixture.initiator()
        _ = initiator.start(now: 1_000)
        #expect(initiator.deadline == 1_000 + Handshake.defaultTimeoutMilliseconds)
        #expect(initiator.handleTimeout(now: 10_999) == [])
        #expect(initiator.handleTimeout(now: 11_000) == [.fail(.timedOut(deadline: 11_000, now: 11_000))])
        #expect(initiator.handleTimeout(now: 12_000) == [])
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        #expect(
            responder.receive([1], now: Handshake.defaultTimeoutMilliseconds) == [
                .fail(
                    .timedOut(deadline: Handshake.defaultTimeoutMilliseconds, now: Handshake.defaultTimeoutMilliseconds)
                )
            ]
        )
    }

    @Test func bytesBeyondTheExpectedMessageFail() {
        var initiator = Fixture.initiator()
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        #expect(
            responder.receive(initiator.start(now: 0).sent + [0, 0], now: 0) == [.fail(.unexpectedBytes(count: 2))]
        )
    }

    @Test func receiveBeforeStartFails() {
        var responder = Fixture.responder()
        #expect(responder.receive([1, 2, 3], now: 0) == [.fail(.notStarted)])
        #expect(responder.receive([1, 2, 3], now: 0) == [])
    }

    @Test func unsupportedVersionFails() {
        var message1 = fixedTranscript().message1
        message1[0] = 2
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        #expect(responder.receive(message1, now: 0) == [.fail(.unsupportedVersion(2))])
    }

    @Test func lowOrderEphemeralFails() {
        let zeroPoint = [UInt8](repeating: 0, count: 32)
        let message1 = Handshake.StateMachine.message1(networkKey: Fixture.network, ephemeral: zeroPoint)
        var responder = Fixture.responder()
        _ = responder.start(now: 0)
        #expect(responder.receive(message1, now: 0) == [.fail(.weakRemoteKey(message: 1))])
    }

    @Test func ephemeralSecretMustBe32Bytes() {
        #expect(throws: HandshakeError.invalidEphemeralSecret(length: 31)) {
            try EphemeralKey(secret: [UInt8](repeating: 1, count: 31))
        }
    }

    @Test func seededEphemeralsAreReproducible() {
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        #expect(EphemeralKey(using: &first).publicKey == EphemeralKey(using: &second).publicKey)
        #expect(EphemeralKey.generate().publicKey != EphemeralKey.generate().publicKey)
    }
}
