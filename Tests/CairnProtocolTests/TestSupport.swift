import CairnCore
import Foundation
import Testing

@testable import CairnProtocol

/// 32 consecutive bytes starting at `start`.
func sequentialBytes(from start: UInt8, count: Int = 32) -> [UInt8] {
    (0..<count).map { start &+ UInt8(truncatingIfNeeded: $0) }
}

/// Fixed inputs shared by the tests and the published test vectors.
enum Fixture {
    static let networkName = "cairn-test"
    static let network = NetworkKey(networkName: networkName)
    static let initiatorSeed = sequentialBytes(from: 0x00)
    static let responderSeed = sequentialBytes(from: 0x20)
    static let initiatorEphemeralSecret = sequentialBytes(from: 0x40)
    static let responderEphemeralSecret = sequentialBytes(from: 0x60)
    static let initiatorKey = try! SigningKey(seed: initiatorSeed)
    static let responderKey = try! SigningKey(seed: responderSeed)
    static let strangerKey = try! SigningKey(seed: sequentialBytes(from: 0x80))
    static let startTime: UInt64 = 1_000

    static func ephemeral(_ secret: [UInt8]) -> EphemeralKey { try! EphemeralKey(secret: secret) }

    static func initiator(
        key: SigningKey = initiatorKey,
        network: NetworkKey = network,
        ephemeralSecret: [UInt8] = initiatorEphemeralSecret,
        expectedRemoteKey: PublicKey? = nil
    ) -> Handshake.StateMachine {
        Handshake.StateMachine(
            role: .initiator,
            configuration: .init(networkKey: network, localKey: key, expectedRemoteKey: expectedRemoteKey),
            ephemeral: ephemeral(ephemeralSecret)
        )
    }

    static func responder(
        key: SigningKey = responderKey,
        network: NetworkKey = network,
        ephemeralSecret: [UInt8] = responderEphemeralSecret
    ) -> Handshake.StateMachine {
        Handshake.StateMachine(
            role: .responder,
            configuration: .init(networkKey: network, localKey: key),
            ephemeral: ephemeral(ephemeralSecret)
        )
    }
}

/// The three messages and both sessions of one completed handshake.
struct Transcript {
    var message1: [UInt8]
    var message2: [UInt8]
    var message3: [UInt8]
    var initiatorSession: Session
    var responderSession: Session
}

extension Array where Element == Handshake.Action {
    /// The concatenated bytes of every `.send`.
    var sent: [UInt8] {
        flatMap { action -> [UInt8] in
            if case .send(let bytes) = action { return bytes }
            return []
        }
    }

    /// The session of an `.established`, if any.
    var session: Session? {
        for case .established(let session, _) in self { return session }
        return nil
    }

    /// The unconsumed bytes of an `.established`, if any.
    var unconsumed: [UInt8]? {
        for case .established(_, let rest) in self { return rest }
        return nil
    }

    /// The error of a `.fail`, if any.
    var failure: HandshakeError? {
        for case .fail(let error) in self { return error }
        return nil
    }
}

extension Array where Element == SecureChannel.Action {
    /// The plaintexts delivered, in order.
    var delivered: [[UInt8]] {
        compactMap { action in
            if case .deliver(let bytes) = action { return bytes }
            return nil
        }
    }

    /// The error of a `.fail`, if any.
    var failure: ChannelError? {
        for case .fail(let error) in self { return error }
        return nil
    }
}

/// Runs a whole handshake between two machines wired in memory, each message delivered in one piece.
func runHandshake(
    initiator: inout Handshake.StateMachine,
    responder: inout Handshake.StateMachine,
    now: UInt64 = Fixture.startTime
) -> Transcript? {
    _ = responder.start(now: now)
    let message1 = initiator.start(now: now).sent
    let message2Actions = responder.receive(message1, now: now)
    let message2 = message2Actions.sent
    let message3Actions = initiator.receive(message2, now: now)
    let message3 = message3Actions.sent
    let finalActions = responder.receive(message3, now: now)
    guard let initiatorSession = message3Actions.session, let responderSession = finalActions.session else {
        return nil
    }
    return Transcript(
        message1: message1,
        message2: message2,
        message3: message3,
        initiatorSession: initiatorSession,
        responderSession: responderSession
    )
}

/// The transcript of the published test-vector handshake.
func fixedTranscript() -> Transcript {
    var initiator = Fixture.initiator()
    var responder = Fixture.responder()
    return runHandshake(initiator: &initiator, responder: &responder)!
}

/// A small deterministic generator for reproducible splits and fuzz inputs: the package's own SplitMix64.
typealias SeededGenerator = SeededRandom

/// Cuts `bytes` into pieces of random lengths (including empty pieces).
func randomSplits(_ bytes: [UInt8], maxPiece: Int, using generator: inout SeededGenerator) -> [[UInt8]] {
    var pieces: [[UInt8]] = []
    var index = 0
    while index < bytes.count {
        let length = Int.random(in: 0...maxPiece, using: &generator)
        let end = Swift.min(bytes.count, index + length)
        pieces.append(Array(bytes[index..<end]))
        index = end
    }
    return pieces
}

/// The `name: hex` lines between the test-vector markers of Docs/PROTOCOL.md.
func documentedVectors() throws -> [String: String] {
    let testFile = URL(fileURLWithPath: #filePath)
    let doc = testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Docs/PROTOCOL.md")
    let text = try String(contentsOf: doc, encoding: .utf8)
    var vectors: [String: String] = [:]
    var inside = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.contains("<!-- test-vectors:begin -->") {
            inside = true
        } else if line.contains("<!-- test-vectors:end -->") {
            inside = false
        } else if inside, let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, !name.hasPrefix("`") { vectors[name] = value }
        }
    }
    return vectors
}
