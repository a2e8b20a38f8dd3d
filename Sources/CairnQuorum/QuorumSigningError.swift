import CairnCore

/// Why the node refused to sign a block.
public struct QuorumSigningError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Reason: Sendable, Equatable {
        case notLive
        case noSigner
        case notMember(key: PublicKey, epoch: UInt64)
        case notNextHeight(height: UInt64, next: UInt64)
        case voteSetNotHeld(BlobID)
        case doubleSign(epoch: UInt64, height: UInt64, signed: [QuorumValue])
        case protection(SigningProtectionError)
    }

    private let reason: Reason

    /// The plug-in is still replaying the store: its view of the quorum is not current yet.
    public static let notLive = Self(reason: .notLive)
    /// This plug-in was loaded without a signing key.
    public static let noSigner = Self(reason: .noSigner)
    /// The key is not a member of the running epoch.
    public static func notMember(key: PublicKey, epoch: UInt64) -> Self {
        Self(reason: .notMember(key: key, epoch: epoch))
    }
    /// Heights are signed in order: only the first undecided one.
    public static func notNextHeight(height: UInt64, next: UInt64) -> Self {
        Self(reason: .notNextHeight(height: height, next: next))
    }
    /// The vote set, or something it lists, is not stored here.
    public static func voteSetNotHeld(_ id: BlobID) -> Self { Self(reason: .voteSetNotHeld(id)) }
    /// Slashing protection: another value was signed for this (epoch, height).
    public static func doubleSign(epoch: UInt64, height: UInt64, signed: [QuorumValue]) -> Self {
        Self(reason: .doubleSign(epoch: epoch, height: height, signed: signed))
    }
    /// The signature could not be recorded, so it was not made.
    public static func protection(_ error: SigningProtectionError) -> Self { Self(reason: .protection(error)) }

    /// A short machine-readable code, as the API's `error` field.
    public var code: String {
        switch reason {
        case .notLive: "not_ready"
        case .noSigner: "no_signer"
        case .notMember: "not_member"
        case .notNextHeight: "not_next_height"
        case .voteSetNotHeld: "vote_set_not_held"
        case .doubleSign: "double_sign_refused"
        case .protection: "protection_failed"
        }
    }

    /// Whether the refusal is the node's fault (an I/O failure) rather than the request's.
    public var isInternal: Bool {
        if case .protection = reason { return true }
        return false
    }

    public var description: String {
        switch reason {
        case .notLive: "the quorum plug-in is still replaying the store; retry in a moment"
        case .noSigner: "this node's quorum plug-in has no signing key"
        case .notMember(let key, let epoch): "this node's key \(key.hex) is not a member of epoch \(epoch)"
        case .notNextHeight(let height, let next):
            "heights are signed in order: the quorum works on height \(next), not \(height)"
        case .voteSetNotHeld(let id): "this node does not hold vote set \(id.hex) or a blob it lists"
        case .doubleSign(let epoch, let height, let signed):
            "refusing to double-sign: this node already signed \(signed.map(\.description).joined(separator: ", ")) "
                + "for epoch \(epoch) height \(height) (slashing protection; --unsafe-allow-double-sign overrides)"
        case .protection(let error): "cannot record the signature, so it was not made: \(error)"
        }
    }
}
