import CairnCore

/// A block announcement (`quorum/block`) by the proposer mode (demos and tests): the block's bytes and the vote set
/// it proposes for (`epoch`, `height`). Members that run the proposer mode sign (`blockHash`, `voteSet`).
/// Announcements are informative; only signatures decide.
public struct QuorumBlock: Sendable, Hashable {
    /// The only block version.
    public static let formatVersion: UInt8 = 1
    /// The largest block data, in bytes.
    public static let maxDataBytes = 65_536
    /// The domain-separation prefix of `blockHash`: ASCII `cairn/quorum/block/v1` and a zero byte.
    public static let hashDomain: [UInt8] = Array("cairn/quorum/block/v1".utf8) + [0]

    /// The network's genesis hash.
    public let genesis: GenesisHash
    /// The epoch the proposer proposes in.
    public let epoch: UInt64
    /// The height, from 1.
    public let height: UInt64
    /// The proposed vote set (or `QuorumSignature.emptyVoteSet`).
    public let voteSet: BlobID
    /// The block's bytes.
    public let data: [UInt8]

    /// An announcement.
    /// - Throws: `QuorumPayloadError.zeroHeight` for height 0, `.tooLarge` for data over `maxDataBytes`.
    public init(genesis: GenesisHash, epoch: UInt64, height: UInt64, voteSet: BlobID, data: [UInt8])
        throws(QuorumPayloadError)
    {
        guard height > 0 else { throw .zeroHeight }
        guard data.count <= Self.maxDataBytes else {
            throw .tooLarge(field: "block data", size: data.count, limit: Self.maxDataBytes)
        }
        self.genesis = genesis
        self.epoch = epoch
        self.height = height
        self.voteSet = voteSet
        self.data = data
    }

    /// Decodes a payload.
    /// - Throws: `QuorumPayloadError` naming the first problem.
    public init(decoding bytes: [UInt8]) throws(QuorumPayloadError) {
        var reader = QuorumPayloadReader(bytes)
        genesis = try reader.header(version: Self.formatVersion)
        epoch = try reader.uint64("epoch")
        height = try reader.uint64("height")
        guard height > 0 else { throw .zeroHeight }
        voteSet = try reader.read(BlobID.self, "vote set id")
        let length = Int(try reader.uint32("data length"))
        guard length <= Self.maxDataBytes else {
            throw .tooLarge(field: "block data", size: length, limit: Self.maxDataBytes)
        }
        data = try reader.bytes(length, "block data")
        try reader.expectEnd()
    }

    /// BLAKE2b-256 of `hashDomain` and the data: the hash members sign.
    public var blockHash: BlockHash { BlockHash(unchecked: Blake2b.hash256(parts: [Self.hashDomain, data])) }

    /// The canonical encoding (Docs/QUORUM.md, "Block").
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: 85 + data.count)
        writer.writeQuorumHeader(genesis: genesis, version: Self.formatVersion)
        writer.write(epoch)
        writer.write(height)
        writer.write(voteSet)
        writer.write(UInt32(data.count))
        writer.write(bytes: data)
        return writer.bytes
    }
}
