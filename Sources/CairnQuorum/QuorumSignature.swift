import CairnCore

/// A block signature (`quorum/sig`): the author, a member of `epoch`, signs (`block`, `voteSet`) for `height`.
///
/// It counts only if the signer is a member of that epoch and the height lies in it (`QuorumState`). Two of them by
/// one author for the same (epoch, height) with a different block or vote set are equivocation evidence (kind 2).
public struct QuorumSignature: Sendable, Hashable {
    /// The only signature version.
    public static let formatVersion: UInt8 = 1
    /// The encoded size.
    public static let encodedBytes = 113
    /// The vote-set id that stands for the empty vote set, which needs no blob.
    public static let emptyVoteSet = BlobID.zero

    /// The network's genesis hash.
    public let genesis: GenesisHash
    /// The epoch the signer signs as a member of.
    public let epoch: UInt64
    /// The height, from 1.
    public let height: UInt64
    /// The block hash, from the application.
    public let block: BlockHash
    /// The id of the `quorum/voteset` blob this height commits, or `emptyVoteSet`.
    public let voteSet: BlobID

    /// A signature over (`block`, `voteSet`) at (`epoch`, `height`).
    /// - Throws: `QuorumPayloadError.zeroHeight` for height 0.
    public init(genesis: GenesisHash, epoch: UInt64, height: UInt64, block: BlockHash, voteSet: BlobID)
        throws(QuorumPayloadError)
    {
        guard height > 0 else { throw .zeroHeight }
        self.genesis = genesis
        self.epoch = epoch
        self.height = height
        self.block = block
        self.voteSet = voteSet
    }

    /// Decodes a payload.
    /// - Throws: `QuorumPayloadError` naming the first problem.
    public init(decoding bytes: [UInt8]) throws(QuorumPayloadError) {
        var reader = QuorumPayloadReader(bytes)
        genesis = try reader.header(version: Self.formatVersion)
        epoch = try reader.uint64("epoch")
        height = try reader.uint64("height")
        guard height > 0 else { throw .zeroHeight }
        block = try reader.read(BlockHash.self, "block hash")
        voteSet = try reader.read(BlobID.self, "vote set id")
        try reader.expectEnd()
    }

    /// What a decision agrees on: the block and the vote set.
    public var value: QuorumValue { QuorumValue(block: block, voteSet: voteSet) }

    /// The canonical encoding (Docs/QUORUM.md, "Signature").
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedBytes)
        writer.writeQuorumHeader(genesis: genesis, version: Self.formatVersion)
        writer.write(epoch)
        writer.write(height)
        writer.write(block)
        writer.write(voteSet)
        return writer.bytes
    }
}

/// What members sign and a decision fixes: a block hash and a vote-set id. Ordered by block, then vote set.
public struct QuorumValue: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The block hash.
    public let block: BlockHash
    /// The vote-set id (`QuorumSignature.emptyVoteSet` for none).
    public let voteSet: BlobID

    /// A value of a block and a vote set.
    public init(block: BlockHash, voteSet: BlobID) {
        self.block = block
        self.voteSet = voteSet
    }

    public static func < (lhs: QuorumValue, rhs: QuorumValue) -> Bool {
        (lhs.block, lhs.voteSet) < (rhs.block, rhs.voteSet)
    }

    public var description: String { "block \(block.hex.prefix(16)) votes \(voteSet.hex.prefix(16))" }
}
