import CairnCore

/// A vote slip (`quorum/vote`) by a stake holder: approval for 1 … `quorum_size` candidates (each gets the holder's
/// full stake), and optionally the recall of an epoch with the members that recall drops.
public struct QuorumVoteSlip: Sendable, Hashable {
    /// The only slip version.
    public static let formatVersion: UInt8 = 1

    /// A request to end an epoch early.
    public struct Recall: Sendable, Hashable {
        /// The epoch to end.
        public let epoch: UInt64
        /// Members of that epoch the holder wants kept out of the next election, ascending.
        public let drops: [PublicKey]

        /// A recall of `epoch` dropping `drops` (sorted, duplicates removed).
        public init(epoch: UInt64, drops: [PublicKey] = []) {
            self.epoch = epoch
            self.drops = Array(Set(drops)).sorted()
        }
    }

    /// The network's genesis hash.
    public let genesis: GenesisHash
    /// The approved candidates, ascending.
    public let candidates: [PublicKey]
    /// The recall, if any.
    public let recall: Recall?

    /// A slip approving `candidates` (sorted, duplicates removed).
    /// - Throws: `QuorumPayloadError.countOutOfRange` for no candidate or more than `Genesis.maxQuorumSize`, or
    ///   more drops than that.
    public init(genesis: GenesisHash, candidates: [PublicKey], recall: Recall? = nil) throws(QuorumPayloadError) {
        self.genesis = genesis
        self.candidates = Array(Set(candidates)).sorted()
        self.recall = recall
        try QuorumPayloadReader.check(count: self.candidates.count, "candidates", allowed: Self.candidateCount)
        if let recall { try QuorumPayloadReader.check(count: recall.drops.count, "drops", allowed: Self.dropCount) }
    }

    /// Decodes a payload.
    /// - Throws: `QuorumPayloadError` naming the first problem.
    public init(decoding bytes: [UInt8]) throws(QuorumPayloadError) {
        var reader = QuorumPayloadReader(bytes)
        genesis = try reader.header(version: Self.formatVersion)
        let count = Int(try reader.uint8("candidate count"))
        try QuorumPayloadReader.check(count: count, "candidates", allowed: Self.candidateCount)
        candidates = try reader.ascending(PublicKey.self, count: count, "candidates")
        let flag = try reader.uint8("recall flag")
        switch flag {
        case 0:
            recall = nil
        case 1:
            let epoch = try reader.uint64("recall epoch")
            let dropCount = Int(try reader.uint8("drop count"))
            try QuorumPayloadReader.check(count: dropCount, "drops", allowed: Self.dropCount)
            recall = Recall(epoch: epoch, drops: try reader.ascending(PublicKey.self, count: dropCount, "drops"))
        default:
            throw .invalidFlag(field: "recall flag", value: flag)
        }
        try reader.expectEnd()
    }

    /// The canonical encoding (Docs/QUORUM.md, "Vote slip").
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: 35 + 32 * candidates.count + 9 + 32 * (recall?.drops.count ?? 0))
        writer.writeQuorumHeader(genesis: genesis, version: Self.formatVersion)
        writer.write(UInt8(candidates.count))
        for candidate in candidates { writer.write(candidate) }
        if let recall {
            writer.write(UInt8(1))
            writer.write(recall.epoch)
            writer.write(UInt8(recall.drops.count))
            for drop in recall.drops { writer.write(drop) }
        } else {
            writer.write(UInt8(0))
        }
        return writer.bytes
    }

    static let candidateCount = 1...Genesis.maxQuorumSize
    static let dropCount = 0...Genesis.maxQuorumSize
}
