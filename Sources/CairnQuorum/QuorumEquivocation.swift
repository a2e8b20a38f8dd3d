import CairnCore

/// A double sign found in the stored set: two `quorum/sig` blobs by one stake holder for one (epoch, height) with
/// a different block hash or vote set.
public struct QuorumEquivocation: Sendable, Hashable {
    /// The signer.
    public let author: PublicKey
    /// The epoch both signatures name.
    public let epoch: UInt64
    /// The height both signatures name.
    public let height: UInt64
    /// The blob with the smaller id.
    public let first: SignedBlob
    /// The blob with the larger id.
    public let second: SignedBlob

    init(author: PublicKey, epoch: UInt64, height: UInt64, _ a: SignedBlob, _ b: SignedBlob) {
        self.author = author
        self.epoch = epoch
        self.height = height
        (first, second) = a.id < b.id ? (a, b) : (b, a)
    }

    /// The id of its kind-2 evidence.
    public var evidenceID: EvidenceID { Evidence.id(kind: QuorumRules.equivocationKind, first.id, second.id) }

    /// The pair as a vote set lists it.
    public var pair: QuorumVoteSet.SignaturePair { QuorumVoteSet.SignaturePair(first.id, second.id) }

    /// The kind-2 evidence, ready to record and flood.
    public var evidence: Evidence {
        do {
            return try Evidence.judged(kind: QuorumRules.equivocationKind, first, second)
        } catch {
            // Two different blobs by one author, which is all `judged` checks for kind 2.
            preconditionFailure("a found equivocation failed to build evidence: \(error)")
        }
    }
}
