import CairnCore
import CairnProtocol

/// What one side of a handshake did, checked as its actions arrive: at most one outcome and nothing after it, and a
/// session only equal to the genuine one, with the genuine remote key.
public struct FuzzHandshakeOutcome {
    private let genuineSession: Session
    private let genuineRemoteKey: PublicKey
    /// `true` once the side established.
    public private(set) var established = false
    private var finished = false

    /// Expects `session` with `remoteKey`, or no session at all.
    public init(genuineSession: Session, remoteKey: PublicKey) {
        self.genuineSession = genuineSession
        self.genuineRemoteKey = remoteKey
    }

    /// Checks `actions` of a machine whose authenticated remote key is now `remoteKey`.
    /// - Returns: the bytes of its `.send`s, for the caller's checks.
    public mutating func observe(_ actions: [Handshake.Action], remoteKey: PublicKey?) -> [[UInt8]] {
        var sent: [[UInt8]] = []
        for action in actions {
            fuzzCheck(!finished, "an action followed the outcome")
            switch action {
            case .send(let bytes):
                sent.append(bytes)
            case .established(let session, _):
                finished = true
                established = true
                fuzzCheck(session == genuineSession, "established a session other than the genuine one")
                fuzzCheck(remoteKey == genuineRemoteKey, "authenticated another key")
            case .fail:
                finished = true
            }
        }
        return sent
    }

    /// With the genuine messages, flipped (one byte changed) or not: never established when flipped, always when not.
    public func check(flipped: Bool) {
        fuzzCheck(established != flipped, flipped ? "a flipped byte established" : "the genuine handshake failed")
    }
}
