import CairnCore
import Testing

@testable import CairnProtocol

@Suite("SecureChannel")
struct SecureChannelTests {
    static func channels(maxPlaintextBytes: Int = SecureChannel.defaultMaxPlaintextBytes) -> (
        initiator: SecureChannel, responder: SecureChannel
    ) {
        let transcript = fixedTranscript()
        return (
            SecureChannel(session: transcript.initiatorSession, maxPlaintextBytes: maxPlaintextBytes),
            SecureChannel(session: transcript.responderSession, maxPlaintextBytes: maxPlaintextBytes)
        )
    }

    @Test func simulationCipherFramesPlaintextAndNeverInteroperatesWithTheRealOne() throws {
        let transcript = fixedTranscript()
        var plain = SecureChannel(session: transcript.initiatorSession, cipher: .plaintextForSimulation)
        var plainPeer = SecureChannel(session: transcript.responderSession, cipher: .plaintextForSimulation)
        var real = SecureChannel(session: transcript.responderSession)
        let record = try plain.seal([1, 2, 3])
        #expect(record == [0, 0, 0, 19, 1, 2, 3] + [UInt8](repeating: 0, count: 16))
        #expect(plainPeer.receive(record).delivered == [[1, 2, 3]])
        #expect(real.receive(record).failure == .authenticationFailed(counter: 0))
    }

    @Test(arguments: [1, 5, 100, 5_000])
    func recordsRoundTripBothWaysWithArbitrarySplits(maxPiece: Int) throws {
        var generator = SeededGenerator(seed: 42 &+ UInt64(maxPiece))
        var (initiator, responder) = Self.channels()
        for direction in 0..<2 {
            var plaintexts: [[UInt8]] = []
            var stream: [UInt8] = []
            for _ in 0..<30 {
                let size = Int.random(in: 0...3_000, using: &generator)
                let plaintext = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
                plaintexts.append(plaintext)
                stream += direction == 0 ? try initiator.seal(plaintext) : try responder.seal(plaintext)
            }
            var received: [[UInt8]] = []
            for piece in randomSplits(stream, maxPiece: maxPiece, using: &generator) {
                let actions = direction == 0 ? responder.receive(piece) : initiator.receive(piece)
                #expect(actions.failure == nil)
                received += actions.delivered
            }
            #expect(received == plaintexts)
        }
        #expect(initiator.sendCounter == 30 && initiator.receiveCounter == 30)
        #expect(responder.bufferedBytes == 0 && initiator.bufferedBytes == 0)
    }

    @Test func flippedByteInAnyRecordPositionFails() throws {
        var (sender, _) = Self.channels(maxPlaintextBytes: 256)
        let record = try sender.seal(Array("a record with some plaintext".utf8))
        let followers = try (0..<3).flatMap { _ in try sender.seal([UInt8](repeating: 7, count: 200)) }
        for position in record.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var (_, receiver) = Self.channels(maxPlaintextBytes: 256)
                var corrupted = record
                corrupted[position] ^= mask
                let actions = receiver.receive(corrupted + followers)
                #expect(actions.delivered.isEmpty, "byte \(position)")
                #expect(actions.failure != nil, "byte \(position)")
                #expect(receiver.failure != nil)
            }
        }
    }

    @Test func oversizeLengthFailsBeforeBuffering() {
        var (_, receiver) = Self.channels(maxPlaintextBytes: 1_024)
        let actions = receiver.receive([0x00, 0x00, 0x04, 0x11, 0xaa, 0xbb])
        #expect(actions == [.fail(.frameTooLarge(size: 0x0411, limit: 1_040))])
        #expect(receiver.bufferedBytes == 0)
        #expect(receiver.receive([0x00]) == [])
        var (_, defaultReceiver) = Self.channels()
        #expect(
            defaultReceiver.receive([0xff, 0xff, 0xff, 0xff]) == [
                .fail(.frameTooLarge(size: 0xffff_ffff, limit: SecureChannel.defaultMaxPlaintextBytes + 16))
            ]
        )
    }

    @Test func lengthBelowTagSizeFails() {
        var (_, receiver) = Self.channels()
        #expect(receiver.receive([0, 0, 0, 15]) == [.fail(.frameTooSmall(size: 15))])
    }

    @Test func oversizePlaintextIsRefused() {
        var (sender, _) = Self.channels(maxPlaintextBytes: 10)
        #expect(throws: ChannelError.plaintextTooLarge(size: 11, limit: 10)) {
            try sender.seal([UInt8](repeating: 0, count: 11))
        }
        #expect(sender.sendCounter == 0)
    }

    @Test func replayedRecordFails() throws {
        var (sender, receiver) = Self.channels()
        let record = try sender.seal([9, 9, 9])
        #expect(receiver.receive(record).delivered == [[9, 9, 9]])
        #expect(receiver.receive(record) == [.fail(.authenticationFailed(counter: 1))])
    }

    @Test func recordsSentTheWrongWayFail() throws {
        var (initiator, _) = Self.channels()
        let record = try initiator.seal([1])
        #expect(initiator.receive(record) == [.fail(.authenticationFailed(counter: 0))])
    }

    @Test func equalPlaintextsNeverShareACiphertext() throws {
        var (sender, _) = Self.channels()
        let first = try sender.seal([1, 2, 3])
        let second = try sender.seal([1, 2, 3])
        #expect(first != second)
        #expect(first.prefix(4) == [0, 0, 0, 19])
    }

    @Test func recordsBeforeACorruptOneAreDelivered() throws {
        var (sender, receiver) = Self.channels()
        let good = try sender.seal([5])
        var bad = try sender.seal([6])
        bad[bad.count - 1] ^= 1
        #expect(receiver.receive(good + bad) == [.deliver([5]), .fail(.authenticationFailed(counter: 1))])
    }

    @Test func noncesEncodeTheCounterBigEndian() {
        #expect(TransportCrypto.nonce(counter: 0x0102_0304_0506_0708) == [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    }
}
