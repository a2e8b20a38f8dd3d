import CairnCore
import CairnQuorum
import Foundation

/// A deterministic key whose 32-byte seed repeats `byte`.
func testKey(_ byte: UInt8) -> SigningKey {
    try! SigningKey(seed: [UInt8](repeating: byte, count: 32))
}

extension [UInt8] {
    /// Decodes hex that the test itself wrote.
    init(hex: String) { self = Hex.decode(hex)! }
}

/// BLAKE2b-256 of a label: a stand-in block hash or blob id.
func digest(_ label: String) -> [UInt8] { Blake2b.hash256(Array(label.utf8)) }

/// The block hash the tests' honest members sign at `height` (`variant` makes a conflicting one).
func block(_ height: UInt64, _ variant: String = "") -> BlockHash {
    BlockHash(unchecked: digest("block \(height)\(variant)"))
}

/// The repository's root, for files such as `Config/genesis.toml`.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The demo genesis of `Config/genesis.toml`, whose keys are seeds 1…5.
func demoGenesis() -> Genesis {
    try! Genesis(contentsOfFile: repositoryRoot.appendingPathComponent("Config/genesis.toml").path)
}

/// A genesis for rule tests: holders 1…7 (stake 100, 100, 100, 60, 50, 30, 5: 445 in all, so more than half is
/// 223 or more), a quorum of 3 starting with 1, 2, 3, a lag of 1, commit window 2, epochs of 5 heights.
func ruleGenesis(
    quorumSize: Int = 3,
    voteLag: UInt64 = 1,
    epochLength: UInt64 = 5,
    initial: [UInt8] = [1, 2, 3]
) -> Genesis {
    let coins: [UInt64] = [100, 100, 100, 60, 50, 30, 5]
    return try! Genesis(
        network: "rules",
        stake: coins.enumerated().map { (key: testKey(UInt8($0.offset + 1)).publicKey, coins: $0.element) },
        quorumSize: quorumSize,
        minVoteStake: 10,
        voteLagHeights: voteLag,
        voteCommitHeights: 2,
        epochLengthHeights: epochLength,
        stallAlertMilliseconds: 1000,
        initialQuorum: initial.map { testKey($0).publicKey }
    )
}

/// Publishes quorum blobs the way honest (and dishonest) keys would: each author's channels chained by seq and prev.
struct QuorumWorld {
    let genesis: Genesis
    private(set) var blobs: [SignedBlob] = []
    private var heads: [String: (seq: UInt64, id: BlobID)] = [:]
    private var clock: UInt64 = 1_700_000_000_000

    init(genesis: Genesis) { self.genesis = genesis }

    /// Appends a blob with `payload` to `key`'s `channel`; `after` forks the channel after that blob instead
    /// (`.zero` for a second seq 1), and `record: false` keeps it out of `blobs` (withheld).
    @discardableResult
    mutating func publish(
        _ key: SigningKey,
        _ channel: ChannelName,
        _ payload: [UInt8],
        after: SignedBlob?? = nil,
        record: Bool = true
    ) -> SignedBlob {
        clock += 1000
        let slot = "\(key.publicKey.hex)/\(channel)"
        let seq: UInt64
        let prev: BlobID
        switch after {
        case .some(.some(let parent)): (seq, prev) = (parent.seq + 1, parent.id)
        case .some(.none): (seq, prev) = (1, .zero)
        case .none: (seq, prev) = ((heads[slot]?.seq ?? 0) + 1, heads[slot]?.id ?? .zero)
        }
        let blob = try! SignedBlob.sign(
            key: key,
            channel: channel,
            seq: seq,
            prev: prev,
            timestamp: clock,
            payload: payload
        )
        if after == nil || seq > (heads[slot]?.seq ?? 0) { heads[slot] = (seq, blob.id) }
        if record { blobs.append(blob) }
        return blob
    }

    @discardableResult
    mutating func candidacy(_ key: SigningKey) -> SignedBlob {
        publish(key, QuorumChannel.candidacy, QuorumCandidacy(genesis: genesis.hash).encoding)
    }

    @discardableResult
    mutating func vote(_ key: SigningKey, for candidates: [SigningKey], recall: QuorumVoteSlip.Recall? = nil)
        -> SignedBlob
    {
        let slip = try! QuorumVoteSlip(genesis: genesis.hash, candidates: candidates.map(\.publicKey), recall: recall)
        return publish(key, QuorumChannel.vote, slip.encoding)
    }

    @discardableResult
    mutating func voteSet(
        _ key: SigningKey,
        slips: [SignedBlob],
        candidacies: [SignedBlob] = [],
        equivocations: [QuorumVoteSet.SignaturePair] = []
    ) -> SignedBlob {
        let set = try! QuorumVoteSet(
            genesis: genesis.hash,
            slips: slips.map(\.id),
            candidacies: candidacies.map(\.id),
            equivocations: equivocations
        )
        return publish(key, QuorumChannel.voteSet, set.encoding)
    }

    @discardableResult
    mutating func sign(
        _ key: SigningKey,
        epoch: UInt64,
        height: UInt64,
        block: BlockHash? = nil,
        voteSet: BlobID = QuorumSignature.emptyVoteSet,
        after: SignedBlob?? = nil,
        record: Bool = true
    ) -> SignedBlob {
        let signature = try! QuorumSignature(
            genesis: genesis.hash,
            epoch: epoch,
            height: height,
            block: block ?? CairnQuorumTests.block(height),
            voteSet: voteSet
        )
        return publish(key, QuorumChannel.signature, signature.encoding, after: after, record: record)
    }

    /// Every key in `members` signs (`epoch`, `height`) with the honest block.
    mutating func decide(_ members: [SigningKey], epoch: UInt64, height: UInt64, voteSet: BlobID = .zero) {
        for member in members { sign(member, epoch: epoch, height: height, voteSet: voteSet) }
    }
}
