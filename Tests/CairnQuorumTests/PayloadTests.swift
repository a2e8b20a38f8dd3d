import CairnCore
import CairnProtocol
import CairnQuorum
import Testing

@Suite struct PayloadTests {
    static let genesis = demoGenesis()
    static let rules = QuorumRules(genesis: genesis)
    static var hash: GenesisHash { genesis.hash }
    static let ids = ReferenceVectors.slipIDs.map { BlobID(hex: $0)! }
    static let candidacyIDs = ReferenceVectors.candidacyIDs.map { BlobID(hex: $0)! }
    static let pair = QuorumVoteSet.SignaturePair(
        BlobID(hex: ReferenceVectors.pair[1])!,
        BlobID(hex: ReferenceVectors.pair[0])!
    )

    /// One valid payload per channel, with its reference encoding.
    static func samples() -> [(channel: ChannelName, payload: QuorumPayload, vector: String)] {
        [
            (QuorumChannel.candidacy, .candidacy(QuorumCandidacy(genesis: hash)), ReferenceVectors.candidacy),
            (
                QuorumChannel.vote,
                .vote(
                    try! QuorumVoteSlip(
                        genesis: hash,
                        candidates: [testKey(4).publicKey, testKey(1).publicKey, testKey(4).publicKey],
                        recall: .init(epoch: 0, drops: [testKey(2).publicKey])
                    )
                ),
                ReferenceVectors.voteSlip
            ),
            (
                QuorumChannel.voteSet,
                .voteSet(
                    try! QuorumVoteSet(
                        genesis: hash,
                        slips: ids.reversed(),
                        candidacies: candidacyIDs,
                        equivocations: [pair]
                    )
                ),
                ReferenceVectors.voteSet
            ),
            (
                QuorumChannel.signature,
                .signature(
                    try! QuorumSignature(
                        genesis: hash,
                        epoch: 0,
                        height: 4,
                        block: BlockHash(hex: ReferenceVectors.blockA)!,
                        voteSet: .zero
                    )
                ),
                ReferenceVectors.signatureA
            ),
            (
                QuorumChannel.block,
                .block(
                    try! QuorumBlock(genesis: hash, epoch: 0, height: 1, voteSet: .zero, data: Array("height 1".utf8))
                ),
                ReferenceVectors.blockPayload
            ),
        ]
    }

    @Test func encodingsMatchTheReferenceVectors() throws {
        for sample in Self.samples() {
            #expect(Hex.encode(sample.payload.encoding) == sample.vector, "\(sample.channel)")
            let decoded = try QuorumPayload(channel: sample.channel, payload: [UInt8](hex: sample.vector))
            #expect(decoded == sample.payload)
            #expect(decoded.channel == sample.channel)
            #expect(Self.rules.check(channel: sample.channel, payload: decoded.encoding) == nil)
        }
        let block = try QuorumBlock(decoding: [UInt8](hex: ReferenceVectors.blockPayload))
        #expect(block.blockHash.hex == ReferenceVectors.blockHash)
    }

    @Test func checkRefusesAnotherGenesis() {
        let other = GenesisHash(unchecked: digest("another network"))
        let payloads: [(ChannelName, [UInt8])] = [
            (QuorumChannel.candidacy, QuorumCandidacy(genesis: other).encoding),
            (QuorumChannel.vote, try! QuorumVoteSlip(genesis: other, candidates: [testKey(1).publicKey]).encoding),
            (QuorumChannel.voteSet, try! QuorumVoteSet(genesis: other, slips: []).encoding),
            (
                QuorumChannel.signature,
                try! QuorumSignature(genesis: other, epoch: 0, height: 1, block: block(1), voteSet: .zero).encoding
            ),
        ]
        for (channel, payload) in payloads {
            #expect(Self.rules.check(channel: channel, payload: payload) == .otherGenesis(other))
        }
    }

    @Test func checkRefusesMoreCandidatesOrDropsThanSeats() {
        let four = (1...4).map { testKey(UInt8($0)).publicKey }
        let slip = try! QuorumVoteSlip(genesis: Self.hash, candidates: four)
        #expect(
            Self.rules.check(channel: QuorumChannel.vote, payload: slip.encoding)
                == .countOutOfRange(field: "candidates", count: 4, allowed: 1...3)
        )
        let drops = try! QuorumVoteSlip(
            genesis: Self.hash,
            candidates: [four[0]],
            recall: .init(epoch: 1, drops: four)
        )
        #expect(
            Self.rules.check(channel: QuorumChannel.vote, payload: drops.encoding)
                == .countOutOfRange(field: "drops", count: 4, allowed: 0...3)
        )
    }

    @Test func checkRefusesUnknownQuorumChannels() throws {
        let channel = try ChannelName("quorum/other")
        #expect(Self.rules.check(channel: channel, payload: []) == .unknownChannel("quorum/other"))
    }

    @Test func constructorsRefuseWhatDecodingRefuses() {
        #expect(throws: QuorumPayloadError.zeroHeight) {
            try QuorumSignature(genesis: Self.hash, epoch: 0, height: 0, block: block(0), voteSet: .zero)
        }
        #expect(throws: QuorumPayloadError.countOutOfRange(field: "candidates", count: 0, allowed: 1...100)) {
            try QuorumVoteSlip(genesis: Self.hash, candidates: [])
        }
        #expect(throws: QuorumPayloadError.tooLarge(field: "block data", size: 65_537, limit: 65_536)) {
            try QuorumBlock(
                genesis: Self.hash,
                epoch: 0,
                height: 1,
                voteSet: .zero,
                data: [UInt8](repeating: 0, count: 65_537)
            )
        }
    }

    @Test func registrationOwnsTheQuorumPrefix() {
        var channelRules = ChannelRules()
        Self.rules.register(in: &channelRules)
        let key = testKey(1)
        let good = try! SignedBlob.sign(
            key: key,
            channel: QuorumChannel.candidacy,
            seq: 1,
            prev: .zero,
            timestamp: 0,
            payload: QuorumCandidacy(genesis: Self.hash).encoding
        )
        let bad = try! SignedBlob.sign(
            key: key,
            channel: QuorumChannel.signature,
            seq: 1,
            prev: .zero,
            timestamp: 0,
            payload: [1, 2, 3]
        )
        let elsewhere = try! SignedBlob.sign(
            key: key,
            channel: try! ChannelName("main"),
            seq: 1,
            prev: .zero,
            timestamp: 0,
            payload: [1, 2, 3]
        )
        #expect(channelRules.owner(of: QuorumChannel.vote) == QuorumRules.owner)
        #expect(channelRules.refusal(of: good) == nil)
        #expect(channelRules.refusal(of: bad)?.owner == QuorumRules.owner)
        #expect(
            channelRules.refusal(of: bad)?.reason == QuorumPayloadError.truncated(field: "genesis hash").description
        )
        #expect(channelRules.refusal(of: elsewhere) == nil)
    }

    // MARK: Garbage

    /// Decoding `bytes` on `channel` either throws a typed error or yields a payload whose encoding is exactly
    /// `bytes` (one valid encoding of everything).
    static func decodesCanonicallyOrThrows(_ channel: ChannelName, _ bytes: [UInt8]) -> Bool {
        do {
            return try QuorumPayload(channel: channel, payload: bytes).encoding == bytes
        } catch {
            return Self.rules.check(channel: channel, payload: bytes) == error
        }
    }

    @Test func everyTruncationIsATypedError() {
        for sample in Self.samples() {
            let bytes = sample.payload.encoding
            for length in 0..<bytes.count {
                #expect(throws: QuorumPayloadError.self) {
                    try QuorumPayload(channel: sample.channel, payload: Array(bytes[..<length]))
                }
            }
            #expect(
                throws: QuorumPayloadError.trailingBytes(count: 1),
                "\(sample.channel)"
            ) { try QuorumPayload(channel: sample.channel, payload: bytes + [0]) }
        }
    }

    @Test func everySingleByteMutationIsCanonicalOrATypedError() {
        var decodedMutations = 0
        for sample in Self.samples() {
            let bytes = sample.payload.encoding
            for index in bytes.indices {
                for flip: UInt8 in [0x01, 0x80, 0xff] {
                    var mutated = bytes
                    mutated[index] ^= flip
                    #expect(Self.decodesCanonicallyOrThrows(sample.channel, mutated), "\(sample.channel) byte \(index)")
                    if (try? QuorumPayload(channel: sample.channel, payload: mutated)) != nil { decodedMutations += 1 }
                }
            }
        }
        // Mutations inside hashes and keys still decode (to another payload); the rest must not.
        #expect(decodedMutations > 0)
    }

    @Test(arguments: 0..<8)
    func randomBytesAreCanonicalOrATypedError(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for channel in QuorumChannel.all {
            for _ in 0..<200 {
                let length = Int.random(in: 0...300, using: &random)
                var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                // Half the cases start with a real header, so decoding gets past it.
                if Bool.random(using: &random), bytes.count >= 33 {
                    bytes.replaceSubrange(0..<33, with: Self.hash.bytes + [1])
                }
                #expect(Self.decodesCanonicallyOrThrows(channel, bytes))
            }
        }
    }

    @Test func listsOutOfOrderOrRepeatedAreRefused() {
        let key = testKey(1).publicKey
        var slip = Self.hash.bytes + [1, 2] + key.bytes + key.bytes + [0]
        #expect(throws: QuorumPayloadError.notAscending(field: "candidates", index: 1)) {
            try QuorumVoteSlip(decoding: slip)
        }
        slip = Self.hash.bytes + [1, 1] + key.bytes + [2]
        #expect(throws: QuorumPayloadError.invalidFlag(field: "recall flag", value: 2)) {
            try QuorumVoteSlip(decoding: slip)
        }
        let (a, b) = (Self.ids[0], Self.ids[1])
        var set = Self.hash.bytes + [1] + [0, 0, 0, 2] + b.bytes + a.bytes + [0, 0, 0, 0] + [0, 0, 0, 0]
        #expect(throws: QuorumPayloadError.notAscending(field: "slips", index: 1)) {
            try QuorumVoteSet(decoding: set)
        }
        set = Self.hash.bytes + [1] + [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 1] + b.bytes + a.bytes
        #expect(throws: QuorumPayloadError.notAscending(field: "equivocations", index: 0)) {
            try QuorumVoteSet(decoding: set)
        }
        set = Self.hash.bytes + [1] + [0xff, 0xff, 0xff, 0xff]
        #expect(
            throws: QuorumPayloadError.countOutOfRange(field: "slips", count: 0xffff_ffff, allowed: 0...10_000)
        ) { try QuorumVoteSet(decoding: set) }
        #expect(throws: QuorumPayloadError.unsupportedVersion(2)) {
            try QuorumCandidacy(decoding: Self.hash.bytes + [2])
        }
    }
}
