import CairnCore

/// How a node takes part in the quorum with its own key: what it has signed (slashing protection), whether it may
/// sign twice (tests and demos playing a faulty member), and whether it proposes and signs blocks by itself.
public struct QuorumSigner: Sendable {
    /// The node's public key: the blobs it publishes carry it.
    public let key: PublicKey
    /// What the key has signed; a signature is recorded here before it is published.
    public internal(set) var protection: SigningProtection
    /// Sign a second value for one (epoch, height) when asked (`--unsafe-allow-double-sign`): never in production.
    public let allowsDoubleSign: Bool
    /// Proposer mode: when it is this member's turn, announce a block and vote set; sign the proposer's block of the
    /// next height once it holds everything it lists.
    public let proposes: Bool
    /// Proposer mode announces a height no sooner than this after the previous height was decided.
    public let proposeIntervalMilliseconds: UInt64
    /// The default pace of proposer mode: one height a second.
    public static let defaultProposeIntervalMilliseconds: UInt64 = 1000

    /// A signer for `key`.
    /// - Parameters:
    ///   - key: the node's public key.
    ///   - protection: the record of what it signed (in memory unless backed by a file).
    ///   - allowsDoubleSign: skip the protection's refusal; for tests and demos only.
    ///   - proposes: run proposer mode.
    ///   - proposeIntervalMilliseconds: proposer mode's pace.
    public init(
        key: PublicKey,
        protection: SigningProtection = SigningProtection(),
        allowsDoubleSign: Bool = false,
        proposes: Bool = false,
        proposeIntervalMilliseconds: UInt64 = defaultProposeIntervalMilliseconds
    ) {
        self.key = key
        self.protection = protection
        self.allowsDoubleSign = allowsDoubleSign
        self.proposes = proposes
        self.proposeIntervalMilliseconds = proposeIntervalMilliseconds
    }
}
