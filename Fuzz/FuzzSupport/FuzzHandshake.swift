import CairnCore
import CairnProtocol

/// The handshake of Docs/PROTOCOL.md §4's test vectors (network `cairn-test`, the vectors' static and ephemeral
/// keys), run once: the genuine messages and both sessions that the handshake and record targets compare against.
public struct FuzzHandshake: Sendable {
    /// The initiator's static key (seed `00 01 … 1f`).
    public static let initiatorKey = try! SigningKey(seed: Array(0x00...0x1F))
    /// The responder's static key (seed `20 21 … 3f`).
    public static let responderKey = try! SigningKey(seed: Array(0x20...0x3F))

    /// The genuine run.
    public static let genuine = FuzzHandshake()

    /// Message 1, initiator → responder.
    public let message1: [UInt8]
    /// Message 2, responder → initiator.
    public let message2: [UInt8]
    /// Message 3, initiator → responder.
    public let message3: [UInt8]
    /// The initiator's session.
    public let initiatorSession: Session
    /// The responder's session.
    public let responderSession: Session
    /// An initiator that sent message 1 (a value: each input starts from a copy, saving two key derivations).
    public let startedInitiator: Handshake.StateMachine
    /// A responder waiting for message 1.
    public let startedResponder: Handshake.StateMachine
    /// A responder that took the genuine message 1 and sent message 2, waiting for message 3.
    public let responderAfterMessage1: Handshake.StateMachine

    /// A fresh initiator, not started.
    public static func initiator() -> Handshake.StateMachine {
        Handshake.StateMachine(
            role: .initiator,
            configuration: configuration(initiatorKey),
            ephemeral: try! EphemeralKey(secret: Array(0x40...0x5F))
        )
    }

    /// A fresh responder, not started.
    public static func responder() -> Handshake.StateMachine {
        Handshake.StateMachine(
            role: .responder,
            configuration: configuration(responderKey),
            ephemeral: try! EphemeralKey(secret: Array(0x60...0x7F))
        )
    }

    private static func configuration(_ key: SigningKey) -> Handshake.Configuration {
        Handshake.Configuration(networkKey: NetworkKey(networkName: "cairn-test"), localKey: key)
    }

    private init() {
        var initiator = Self.initiator()
        var responder = Self.responder()
        _ = responder.start(now: 0)
        startedResponder = responder
        let message1 = Self.sent(initiator.start(now: 0))
        startedInitiator = initiator
        let message2 = Self.sent(responder.receive(message1, now: 0))
        responderAfterMessage1 = responder
        let initiatorActions = initiator.receive(message2, now: 0)
        let message3 = Self.sent(initiatorActions)
        let responderActions = responder.receive(message3, now: 0)
        self.message1 = message1
        self.message2 = message2
        self.message3 = message3
        initiatorSession = Self.session(initiatorActions)!
        responderSession = Self.session(responderActions)!
    }

    /// The bytes of the `.send` among `actions`, empty when there is none.
    public static func sent(_ actions: [Handshake.Action]) -> [UInt8] {
        for case .send(let bytes) in actions { return bytes }
        return []
    }

    /// The session of the `.established` among `actions`.
    public static func session(_ actions: [Handshake.Action]) -> Session? {
        for case .established(let session, _) in actions { return session }
        return nil
    }
}
