import CairnCore
import CairnProtocol
import CairnQuorum
import Testing

@Suite struct EquivocationTests {
    static let genesis = demoGenesis()
    static let rules = QuorumRules(genesis: genesis)

    /// Member 2's two signatures for height 4 of epoch 0 (the reference vector's blobs).
    static let a = try! SignedBlob.decode([UInt8](hex: ReferenceVectors.signatureBlobA))
    static let b = try! SignedBlob.decode([UInt8](hex: ReferenceVectors.signatureBlobB))

    @Test func doubleSignIsEvidenceMatchingTheVector() throws {
        let evidence = try Self.rules.equivocation(Self.b, Self.a)
        #expect(evidence.kind == QuorumRules.equivocationKind)
        #expect(Hex.encode(evidence.encoding) == ReferenceVectors.evidence)
        #expect(evidence.id.hex == ReferenceVectors.evidenceID)
        #expect(try Self.rules.equivocation(Self.a, Self.b) == evidence)
        let decoded = try Evidence.decode([UInt8](hex: ReferenceVectors.evidence))
        #expect(Self.rules.judge(decoded) == nil)
    }

    @Test func registeredJudgeAcceptsKindTwo() throws {
        var judges = EvidenceJudges()
        #expect(!judges.judges(QuorumRules.equivocationKind))
        Self.rules.register(in: &judges)
        #expect(judges.kinds.map(\.name) == ["channel-fork", QuorumRules.equivocationName])
        #expect(judges.accepts(try Self.rules.equivocation(Self.a, Self.b)))
        let notConflicting = try Evidence.judged(
            kind: QuorumRules.equivocationKind,
            Self.a,
            Self.sign(seq: 2, height: 5)
        )
        #expect(!judges.accepts(notConflicting))
    }

    /// A signature by `key` on its `quorum/sig` channel.
    static func sign(
        key: SigningKey = testKey(2),
        genesis: GenesisHash = genesis.hash,
        seq: UInt64,
        epoch: UInt64 = 0,
        height: UInt64 = 4,
        block: BlockHash = block(4, "b"),
        voteSet: BlobID = .zero,
        channel: ChannelName = QuorumChannel.signature,
        timestamp: UInt64 = 1_700_000_005_000
    ) -> SignedBlob {
        let payload = try! QuorumSignature(
            genesis: genesis,
            epoch: epoch,
            height: height,
            block: block,
            voteSet: voteSet
        )
        return try! SignedBlob.sign(
            key: key,
            channel: channel,
            seq: seq,
            prev: seq == 1 ? .zero : BlobID(unchecked: digest("prev \(seq)")),
            timestamp: timestamp,
            payload: payload.encoding
        )
    }

    static let otherGenesis = GenesisHash(unchecked: digest("other network"))

    /// Pairs that are not evidence, each with the refusal it must get.
    static let notEvidence: [(name: String, first: SignedBlob, second: SignedBlob, refusal: EquivocationRefusal)] = [
        ("the same blob twice", a, a, .sameBlob),
        ("different heights", a, sign(seq: 2, height: 5), .differentHeights(4, 5)),
        ("different epochs", a, sign(seq: 2, epoch: 1), .differentEpochs(0, 1)),
        ("the same block and vote set", a, sign(seq: 3, block: BlockHash(hex: ReferenceVectors.blockA)!), .sameValue),
        ("different authors", a, sign(key: testKey(3), seq: 1), .differentAuthors),
        (
            "another genesis's signatures",
            sign(genesis: otherGenesis, seq: 1, block: block(4)),
            sign(genesis: otherGenesis, seq: 2),
            .otherGenesis(otherGenesis)
        ),
        (
            "a key outside the stake table",
            sign(key: testKey(9), seq: 1, block: block(4)),
            sign(key: testKey(9), seq: 2),
            .outsideStakeTable(testKey(9).publicKey)
        ),
        (
            "a blob off quorum/sig",
            a,
            sign(seq: 2, channel: try! ChannelName("quorum/vote")),
            .notSignatureChannel("quorum/vote")
        ),
    ]

    @Test(arguments: notEvidence)
    func notEvidenceIsRefusedWithItsReason(
        _ testCase: (name: String, first: SignedBlob, second: SignedBlob, refusal: EquivocationRefusal)
    ) {
        #expect(throws: testCase.refusal, "\(testCase.name)") {
            try Self.rules.equivocation(testCase.first, testCase.second)
        }
        if testCase.first.id != testCase.second.id, testCase.first.author == testCase.second.author {
            let evidence = try! Evidence.judged(kind: QuorumRules.equivocationKind, testCase.first, testCase.second)
            #expect(Self.rules.judge(evidence) == testCase.refusal, "\(testCase.name)")
        }
    }

    @Test func malformedSignaturePayloadIsRefused() throws {
        let garbage = try SignedBlob.sign(
            key: testKey(2),
            channel: QuorumChannel.signature,
            seq: 9,
            prev: BlobID(unchecked: digest("p")),
            timestamp: 0,
            payload: [1, 2, 3]
        )
        #expect(throws: EquivocationRefusal.malformedSignature(.truncated(field: "genesis hash"))) {
            try Self.rules.equivocation(Self.a, garbage)
        }
    }

    @Test func channelForkEvidenceIsNotKindTwo() throws {
        let fork = try Evidence.channelFork(Self.a, Self.sign(seq: 1))
        #expect(Self.rules.judge(fork) == .wrongKind(1))
    }

    @Test func forgedSignatureNeverDecodes() {
        var bytes = [UInt8](hex: ReferenceVectors.evidence)
        bytes[bytes.count - 1] ^= 0x01
        #expect(throws: CoreError.badSignature) { try Evidence.decode(bytes) }
    }
}
