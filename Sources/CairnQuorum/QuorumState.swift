import CairnCore

/// The quorum's state as a pure function of the stored blob set: epochs, members, decisions and double signs.
///
/// Fold committed blobs in with `apply`, in any order, with duplicates: two states holding the same set answer
/// every query the same way (alerts aside, see `QuorumAlert`). The host feeds it in commit order at runtime and
/// replays the store into it at start. No I/O, no clock. The rules are in Docs/QUORUM.md.
public struct QuorumState: Sendable {
    struct StoredSlip: Sendable {
        let author: PublicKey
        let seq: UInt64
        let slip: QuorumVoteSlip
    }

    /// The network's genesis.
    public let genesis: Genesis
    /// The stateless rules of the genesis.
    public let rules: QuorumRules
    let stake: any StakeSource

    // The folded set.
    var seen: Set<BlobID> = []
    var candidacies: [BlobID: PublicKey] = [:]
    var slips: [BlobID: StoredSlip] = [:]
    /// Epoch → recalling holder → the members its slips for that epoch drop.
    var recalls: [UInt64: [PublicKey: Set<PublicKey>]] = [:]
    var voteSets: [BlobID: QuorumVoteSet] = [:]
    var chains: [PublicKey: QuorumSignatureChain] = [:]
    /// Which signer each `quorum/sig` blob belongs to, to resolve committed evidence pairs.
    var signers: [BlobID: PublicKey] = [:]
    /// Blocks announced on `quorum/block`, per slot (informative: only signatures decide).
    var proposals: [QuorumSlot: [QuorumProposal]] = [:]

    // This node's observations (arrival order): they only feed alerts.
    var firstEquivocation: [PublicKey: QuorumEquivocation] = [:]
    var heldSince: [BlobID: (author: PublicKey, height: UInt64)] = [:]

    // Derived from the set by `recompute`.
    /// Every epoch so far, in order; the last one runs (or has stalled).
    public internal(set) var epochs: [QuorumEpoch]
    /// The decided heights, 1 … `lastDecidedHeight`, in order.
    public internal(set) var decisions: [QuorumDecision] = []

    /// An empty state of `genesis`'s network: epoch 0, the initial quorum, from height 1.
    /// - Parameters:
    ///   - genesis: the network's genesis.
    ///   - stake: where stake comes from; the genesis's static table unless given.
    public init(genesis: Genesis, stake: (any StakeSource)? = nil) {
        self.genesis = genesis
        self.rules = QuorumRules(genesis: genesis)
        self.stake = stake ?? genesis.stakeTable
        epochs = [
            QuorumEpoch(number: 0, start: 1, members: genesis.initialQuorum, end: nil, endReason: nil)
        ]
        recompute()
    }

    // MARK: Folding

    /// Folds in one committed blob; blobs outside the quorum's channels, of another genesis, or already folded
    /// change nothing.
    /// - Returns: the alerts the blob raised.
    @discardableResult
    public mutating func apply(_ blob: SignedBlob) -> [QuorumAlert] {
        apply(contentsOf: CollectionOfOne(blob))
    }

    /// Folds in many committed blobs (a replay at start, a batch) and recomputes once.
    /// - Returns: the alerts they raised together.
    @discardableResult
    public mutating func apply(contentsOf blobs: some Sequence<SignedBlob>) -> [QuorumAlert] {
        var alerts: [QuorumAlert] = []
        for blob in blobs { fold(blob, alerts: &alerts) }
        let before = (epochs, decisions)
        recompute()
        alerts += changes(from: before)
        alerts += censorship()
        return alerts
    }

    /// Folds in both blobs of recorded evidence (of any kind).
    /// - Returns: the alerts they raised.
    @discardableResult
    public mutating func apply(_ evidence: Evidence) -> [QuorumAlert] {
        apply(contentsOf: [evidence.first, evidence.second])
    }

    private mutating func fold(_ blob: SignedBlob, alerts: inout [QuorumAlert]) {
        guard QuorumChannel.all.contains(blob.channel), seen.insert(blob.id).inserted else { return }
        let payload = try? QuorumPayload(channel: blob.channel, payload: Array(blob.payload))
        let ours = payload.map { $0.genesis == genesis.hash } ?? false
        switch payload {
        case .candidacy where ours:
            candidacies[blob.id] = blob.author
            if stake.stake(of: blob.author) > 0 { heldSince[blob.id] = (blob.author, lastDecidedHeight) }
        case .vote(let slip) where ours:
            slips[blob.id] = StoredSlip(author: blob.author, seq: blob.seq, slip: slip)
            if let recall = slip.recall {
                recalls[recall.epoch, default: [:]][blob.author, default: []].formUnion(recall.drops)
            }
            if votingStake(of: blob.author) > 0 { heldSince[blob.id] = (blob.author, lastDecidedHeight) }
        case .voteSet(let voteSet) where ours:
            voteSets[blob.id] = voteSet
        case .signature(let signature) where ours:
            foldSignature(blob, signature, alerts: &alerts)
        case .block(let block) where ours:
            proposals[QuorumSlot(epoch: block.epoch, height: block.height), default: []].append(
                QuorumProposal(blob: blob.id, author: blob.author, block: block.blockHash, voteSet: block.voteSet)
            )
        default:
            // Not a well-formed payload of this genesis (the check would have refused it): a signature blob still
            // holds its place in its signer's chain, and counts for nothing.
            if blob.channel == QuorumChannel.signature { foldSignature(blob, nil, alerts: &alerts) }
        }
    }

    private mutating func foldSignature(_ blob: SignedBlob, _ signature: QuorumSignature?, alerts: inout [QuorumAlert])
    {
        signers[blob.id] = blob.author
        guard let other = chains[blob.author, default: QuorumSignatureChain()].add(blob, signature: signature),
            let signature, firstEquivocation[blob.author] == nil, genesis.stakeTable.contains(blob.author)
        else { return }
        let found = QuorumEquivocation(
            author: blob.author,
            epoch: signature.epoch,
            height: signature.height,
            other,
            blob
        )
        firstEquivocation[blob.author] = found
        alerts.append(.equivocation(found))
    }

    // MARK: Queries

    /// The running epoch (the last one).
    public var currentEpoch: QuorumEpoch { epochs[epochs.count - 1] }

    /// The running epoch's members.
    public var members: [PublicKey] { currentEpoch.members }

    /// The highest decided height; 0 when none is.
    public var lastDecidedHeight: UInt64 { UInt64(decisions.count) }

    /// The height the quorum works on: the first undecided one.
    public var nextHeight: UInt64 { lastDecidedHeight + 1 }

    /// The decision at `height`, if decided.
    public func decision(at height: UInt64) -> QuorumDecision? {
        guard height >= 1, height <= lastDecidedHeight else { return nil }
        return decisions[Int(height - 1)]
    }

    /// The epoch that holds `height`: the one that decided it, or the running one for heights after the last
    /// decided.
    public func epoch(at height: UInt64) -> QuorumEpoch? {
        guard height >= 1 else { return nil }
        return epochs.last { $0.start <= height && ($0.end.map { height < $0 } ?? true) }
    }

    /// The member whose turn it is to propose `height` in the running epoch: members in key order, by height.
    public func proposer(at height: UInt64) -> PublicKey? {
        let epoch = currentEpoch
        guard !epoch.members.isEmpty, height >= epoch.start else { return nil }
        return epoch.members[Int((height - epoch.start) % UInt64(epoch.members.count))]
    }

    /// The first double sign found per signer (stake-table keys only), in key order.
    public var equivocations: [QuorumEquivocation] {
        firstEquivocation.values.sorted { $0.author < $1.author }
    }

    /// The keys with a double sign in the stored set, whatever order it arrived in.
    public var equivocators: [PublicKey] {
        chains.filter { !$0.value.conflictEpochs.isEmpty && genesis.stakeTable.contains($0.key) }.keys.sorted()
    }

    /// Every stored signature for (`epoch`, `height`): signer, value, and whether it counts (signer a member of
    /// that epoch, chain complete, not after an offence).
    public mutating func signatures(epoch: UInt64, height: UInt64) -> [(
        signer: PublicKey, value: QuorumValue, counts: Bool
    )] {
        let slot = QuorumSlot(epoch: epoch, height: height)
        let members = Set(epochs.first { $0.number == epoch }?.members ?? [])
        var result: [(signer: PublicKey, value: QuorumValue, counts: Bool)] = []
        for signer in chains.keys.sorted() {
            guard let values = chains[signer]?.valuesBySlot[slot] else { continue }
            let counted = chains[signer]!.counted()[slot] ?? []
            for value in values.keys.sorted() {
                result.append((signer, value, members.contains(signer) && counted.contains(value)))
            }
        }
        return result
    }

    /// The stake behind `key`'s vote slips: its stake when at least `min_vote_stake`, else 0.
    func votingStake(of key: PublicKey) -> UInt64 {
        let coins = stake.stake(of: key)
        return coins > 0 && coins >= genesis.minVoteStake ? coins : 0
    }
}
