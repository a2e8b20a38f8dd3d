import CairnCore

/// A vote set (`quorum/voteset`), published by a height's proposer and committed when members sign it with a block:
/// the vote slips, candidacies and equivocation evidence that elections may use.
///
/// Elections read only committed vote sets, so nothing published late rewrites a past election. An honest proposer
/// lists every valid slip (at least each holder's latest), candidacy and equivocation it has held for
/// `vote_commit_heights` decided heights.
public struct QuorumVoteSet: Sendable, Hashable {
    /// The only vote-set version.
    public static let formatVersion: UInt8 = 1
    /// The most slip ids a vote set lists (one per stake holder).
    public static let maxSlips = Genesis.maxStakeHolders
    /// The most candidacy ids a vote set lists.
    public static let maxCandidacies = Genesis.maxStakeHolders
    /// The most equivocations a vote set lists.
    public static let maxEquivocations = 1000

    /// An equivocation as the two `quorum/sig` blobs that prove it; `low` < `high`.
    public struct SignaturePair: Sendable, Hashable, Comparable {
        /// The smaller blob id.
        public let low: BlobID
        /// The larger blob id.
        public let high: BlobID

        /// The pair of two different ids, in either order.
        public init(_ a: BlobID, _ b: BlobID) {
            (low, high) = a < b ? (a, b) : (b, a)
        }

        public static func < (lhs: SignaturePair, rhs: SignaturePair) -> Bool {
            (lhs.low, lhs.high) < (rhs.low, rhs.high)
        }
    }

    /// The network's genesis hash.
    public let genesis: GenesisHash
    /// Vote slip blob ids, ascending.
    public let slips: [BlobID]
    /// Candidacy blob ids, ascending.
    public let candidacies: [BlobID]
    /// Equivocations, ascending.
    public let equivocations: [SignaturePair]

    /// A vote set of the given ids (sorted, duplicates removed).
    /// - Throws: `QuorumPayloadError.countOutOfRange` when a list is over its limit, or a pair is one id twice.
    public init(
        genesis: GenesisHash,
        slips: [BlobID],
        candidacies: [BlobID] = [],
        equivocations: [SignaturePair] = []
    ) throws(QuorumPayloadError) {
        self.genesis = genesis
        self.slips = Array(Set(slips)).sorted()
        self.candidacies = Array(Set(candidacies)).sorted()
        self.equivocations = Array(Set(equivocations)).sorted()
        try QuorumPayloadReader.check(count: self.slips.count, "slips", allowed: 0...Self.maxSlips)
        try QuorumPayloadReader.check(count: self.candidacies.count, "candidacies", allowed: 0...Self.maxCandidacies)
        try QuorumPayloadReader.check(
            count: self.equivocations.count,
            "equivocations",
            allowed: 0...Self.maxEquivocations
        )
        if let index = self.equivocations.firstIndex(where: { $0.low == $0.high }) {
            throw .notAscending(field: "equivocations", index: index)
        }
    }

    /// Decodes a payload.
    /// - Throws: `QuorumPayloadError` naming the first problem.
    public init(decoding bytes: [UInt8]) throws(QuorumPayloadError) {
        var reader = QuorumPayloadReader(bytes)
        genesis = try reader.header(version: Self.formatVersion)
        let slipCount = Int(try reader.uint32("slip count"))
        try QuorumPayloadReader.check(count: slipCount, "slips", allowed: 0...Self.maxSlips)
        slips = try reader.ascending(BlobID.self, count: slipCount, "slips")
        let candidacyCount = Int(try reader.uint32("candidacy count"))
        try QuorumPayloadReader.check(count: candidacyCount, "candidacies", allowed: 0...Self.maxCandidacies)
        candidacies = try reader.ascending(BlobID.self, count: candidacyCount, "candidacies")
        let pairCount = Int(try reader.uint32("equivocation count"))
        try QuorumPayloadReader.check(count: pairCount, "equivocations", allowed: 0...Self.maxEquivocations)
        var pairs: [SignaturePair] = []
        for index in 0..<pairCount {
            let low = try reader.read(BlobID.self, "equivocations")
            let high = try reader.read(BlobID.self, "equivocations")
            let pair = SignaturePair(low, high)
            guard low < high, pairs.last.map({ $0 < pair }) ?? true else {
                throw .notAscending(field: "equivocations", index: index)
            }
            pairs.append(pair)
        }
        equivocations = pairs
        try reader.expectEnd()
    }

    /// The canonical encoding (Docs/QUORUM.md, "Vote set").
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: 45 + 32 * (slips.count + candidacies.count + 2 * equivocations.count))
        writer.writeQuorumHeader(genesis: genesis, version: Self.formatVersion)
        writer.write(UInt32(slips.count))
        for id in slips { writer.write(id) }
        writer.write(UInt32(candidacies.count))
        for id in candidacies { writer.write(id) }
        writer.write(UInt32(equivocations.count))
        for pair in equivocations {
            writer.write(pair.low)
            writer.write(pair.high)
        }
        return writer.bytes
    }
}
