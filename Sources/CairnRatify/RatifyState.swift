import CairnCore
import CairnQuorum

/// The ratification tally as a pure function of the stored blob set: which roots are ratified, by whose stake.
///
/// Fold committed blobs in with `apply`, in any order, with duplicates: two states holding the same set answer every
/// query the same way. A root is ratified while the stake of holders whose counting vote on it is `yes` exceeds the
/// threshold (half of all stake): per holder and root the vote with the highest seq on the holder's `ratify/vote`
/// channel counts; a holder with two votes at one seq (a forked vote channel) counts nothing; holders below the
/// genesis's `min_vote_stake`, and keys outside the stake table, count nothing. The rules are in Docs/RATIFY.md.
public struct RatifyState: Sendable {
    struct StoredVote: Sendable {
        let seq: UInt64
        let blob: BlobID
        let vote: RatifyVote
    }

    /// The network's genesis.
    public let genesis: Genesis
    let stake: any StakeSource

    var seen: Set<BlobID> = []
    /// Per holder, its stored votes.
    var votes: [PublicKey: [StoredVote]] = [:]
    /// Per holder, the seqs at which it has stored a vote (to find forks).
    var voteSeqs: [PublicKey: [UInt64: BlobID]] = [:]
    /// Holders whose vote channel forked.
    var forked: Set<PublicKey> = []
    /// Proposals by root, in blob-id order.
    var proposals: [TreeRoot: [StoredProposal]] = [:]
    /// Manifest chunks by blob id.
    var parts: [BlobID: [UInt8]] = [:]

    /// A stored proposal.
    public struct StoredProposal: Sendable, Hashable {
        /// The proposing blob.
        public let blob: BlobID
        /// Who proposed.
        public let author: PublicKey
        /// What it proposes.
        public let proposal: RatifyProposal
    }

    /// An empty tally of `genesis`'s network.
    /// - Parameters:
    ///   - genesis: the network's genesis (stake table, `min_vote_stake`).
    ///   - stake: where stake comes from; the genesis's table unless given.
    public init(genesis: Genesis, stake: (any StakeSource)? = nil) {
        self.genesis = genesis
        self.stake = stake ?? genesis.stakeTable
    }

    /// Folds in one committed blob; blobs outside the ratification channels, of another genesis, malformed, or
    /// already folded change nothing.
    /// - Returns: whether the blob changed anything.
    @discardableResult
    public mutating func apply(_ blob: SignedBlob) -> Bool {
        guard RatifyChannel.all.contains(blob.channel), seen.insert(blob.id).inserted,
            let payload = try? RatifyPayload(channel: blob.channel, payload: Array(blob.payload)),
            payload.genesis == genesis.hash
        else { return false }
        switch payload {
        case .vote(let vote):
            if let other = voteSeqs[blob.author]?[blob.seq], other != blob.id { forked.insert(blob.author) }
            voteSeqs[blob.author, default: [:]][blob.seq] = blob.id
            votes[blob.author, default: []].append(StoredVote(seq: blob.seq, blob: blob.id, vote: vote))
        case .proposal(let proposal):
            var list = proposals[proposal.root, default: []]
            list.append(StoredProposal(blob: blob.id, author: blob.author, proposal: proposal))
            list.sort { $0.blob < $1.blob }
            proposals[proposal.root] = list
        case .manifestPart(let part):
            parts[blob.id] = part.chunk
        }
        return true
    }

    // MARK: Queries

    /// All stake: the sum of the stake table.
    public var totalStake: UInt64 { stake.totalStake }

    /// The stake behind `key`'s votes: its stake when at least `min_vote_stake`, else 0.
    func votingStake(of key: PublicKey) -> UInt64 {
        let coins = stake.stake(of: key)
        return coins > 0 && coins >= genesis.minVoteStake ? coins : 0
    }

    /// Every root proposed or voted on, in byte order.
    public var roots: [TreeRoot] {
        var roots = Set(proposals.keys)
        for list in votes.values { for stored in list { roots.insert(stored.vote.root) } }
        return roots.sorted()
    }

    /// The tally of `root`.
    public func tally(_ root: TreeRoot) -> RatifyTally {
        var yes: UInt64 = 0
        var no: UInt64 = 0
        var yesVoters: [PublicKey] = []
        var noVoters: [PublicKey] = []
        for (holder, list) in votes where !forked.contains(holder) {
            let coins = votingStake(of: holder)
            guard coins > 0, let latest = list.filter({ $0.vote.root == root }).max(by: { $0.seq < $1.seq })
            else { continue }
            if latest.vote.yes {
                yes += coins
                yesVoters.append(holder)
            } else {
                no += coins
                noVoters.append(holder)
            }
        }
        return RatifyTally(
            root: root,
            yesStake: yes,
            noStake: no,
            totalStake: totalStake,
            yesVoters: yesVoters.sorted(),
            noVoters: noVoters.sorted()
        )
    }

    /// The roots ratified now, in byte order.
    public var ratified: [TreeRoot] { roots.filter { tally($0).ratified } }

    /// The proposals of `root`, by blob id.
    public func proposals(of root: TreeRoot) -> [StoredProposal] { proposals[root] ?? [] }

    /// The manifest a proposal carries, once every part is stored: its chunks concatenated in the listed order.
    public func manifest(of proposal: RatifyProposal) -> [UInt8]? {
        var bytes: [UInt8] = []
        for id in proposal.parts {
            guard let chunk = parts[id] else { return nil }
            bytes += chunk
        }
        return bytes
    }
}

/// One root's tally.
public struct RatifyTally: Sendable, Hashable {
    /// The root.
    public let root: TreeRoot
    /// The stake of holders whose counting vote is yes.
    public let yesStake: UInt64
    /// The stake of holders whose counting vote is no.
    public let noStake: UInt64
    /// All stake.
    public let totalStake: UInt64
    /// Who voted yes, in key order.
    public let yesVoters: [PublicKey]
    /// Who voted no, in key order.
    public let noVoters: [PublicKey]

    /// Whether yes stake exceeds half of all stake (2 · yes > all, without overflow: yes never exceeds all).
    public var ratified: Bool { yesStake > totalStake - yesStake }
}

extension RatifyState {
    /// Whether every part of `proposal` is stored and the manifest they carry hashes to its root.
    public func manifestIsValid(_ proposal: RatifyProposal) -> Bool {
        guard let bytes = manifest(of: proposal) else { return false }
        return Self.manifestRoot(bytes) == proposal.root
    }

    /// The manifest of the first proposal of `root` (by blob id) whose manifest is complete and hashes to the root.
    public func validManifest(of root: TreeRoot) -> [UInt8]? {
        for stored in proposals(of: root) where manifestIsValid(stored.proposal) {
            return manifest(of: stored.proposal)
        }
        return nil
    }

    /// The root a manifest's bytes hash to, `nil` when they are not a manifest.
    static func manifestRoot(_ bytes: [UInt8]) -> TreeRoot? {
        (try? TreeManifest.decode(bytes))?.root
    }
}
