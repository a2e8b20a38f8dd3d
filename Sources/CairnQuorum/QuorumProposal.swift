import CairnCore

/// A block announced on `quorum/block` (proposer mode): which block and vote set its author asks members to sign.
/// Announcements are informative; only signatures decide.
public struct QuorumProposal: Sendable, Hashable {
    /// The announcing blob.
    public let blob: BlobID
    /// Who announced it.
    public let author: PublicKey
    /// The hash of the block's data, what members sign.
    public let block: BlockHash
    /// The vote set the block names.
    public let voteSet: BlobID

    /// A proposal as stored.
    public init(blob: BlobID, author: PublicKey, block: BlockHash, voteSet: BlobID) {
        self.blob = blob
        self.author = author
        self.block = block
        self.voteSet = voteSet
    }

    /// The value members sign for it.
    public var value: QuorumValue { QuorumValue(block: block, voteSet: voteSet) }
}
