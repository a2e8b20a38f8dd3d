import CairnCore

/// A quorum network's constitution, read from its genesis file (`Config/genesis.toml`): who holds stake, how large
/// the quorum is, how elections lag and epochs run, and who sits in epoch 0.
///
/// Its `hash` names the network: it starts every quorum payload (so nothing replays across networks) and goes into
/// the network key. Two genesis values with the same parameters have the same encoding and hash, whatever order or
/// hex case their file used.
public struct Genesis: Sendable, Hashable {
    /// The only genesis encoding version.
    public static let formatVersion: UInt8 = 1
    /// The domain-separation prefix of `hash`: ASCII `cairn/quorum/genesis/v1` and a zero byte.
    public static let hashDomain: [UInt8] = Array("cairn/quorum/genesis/v1".utf8) + [0]
    /// The longest network name, in UTF-8 bytes.
    public static let maxNetworkBytes = 64
    /// The most entries a stake table may have (a vote set lists at most one slip per holder).
    public static let maxStakeHolders = 10_000
    /// The largest quorum.
    public static let maxQuorumSize = 100
    /// The allowed `vote_lag_heights` and `vote_commit_heights`.
    public static let heightParameterRange: ClosedRange<UInt64> = 1...1_000_000
    /// The allowed `epoch_length_heights`.
    public static let epochLengthRange: ClosedRange<UInt64> = 1...1_000_000_000
    /// The allowed `stall_alert_ms` (up to a week).
    public static let stallAlertRange: ClosedRange<UInt64> = 1...604_800_000

    /// The default `min_vote_stake`, in coins.
    public static let defaultMinVoteStake: UInt64 = 10
    /// The default `vote_lag_heights`.
    public static let defaultVoteLagHeights: UInt64 = 2
    /// The default `vote_commit_heights`.
    public static let defaultVoteCommitHeights: UInt64 = 4
    /// The default `epoch_length_heights`.
    public static let defaultEpochLengthHeights: UInt64 = 1000
    /// The default `stall_alert_ms`.
    public static let defaultStallAlertMilliseconds: UInt64 = 30_000

    /// The network name (with the hash, it selects the mesh's network key).
    public let network: String
    /// Coins per public key.
    public let stakeTable: StakeTable
    /// The most members an epoch has.
    public let quorumSize: Int
    /// The least stake whose vote slips count, in coins.
    public let minVoteStake: UInt64
    /// An election for the epoch starting at height S uses the vote set of the last decided height ≤ S − this.
    public let voteLagHeights: UInt64
    /// An honest proposer's vote set leaves out no valid slip it has held for this many decided heights.
    public let voteCommitHeights: UInt64
    /// An epoch ends after this many decided heights.
    public let epochLengthHeights: UInt64
    /// A `stalled` alert is raised when no height is decided for this long, in milliseconds.
    public let stallAlertMilliseconds: UInt64
    /// Epoch 0's members (from height 1), in ascending key order.
    public let initialQuorum: [PublicKey]
    /// The canonical encoding (Docs/QUORUM.md, "Genesis").
    public let encoding: [UInt8]
    /// BLAKE2b-256 of `hashDomain` and `encoding`.
    public let hash: GenesisHash

    /// Checks and builds a genesis. Keys in errors are the genesis file's.
    /// - Parameters:
    ///   - network: 1 to 64 bytes of UTF-8.
    ///   - stake: the stake table; keys distinct, each at least 1 coin, the sum at most 2⁶⁴ − 1.
    ///   - quorumSize: 1 … `maxQuorumSize`, and at most the number of stake holders.
    ///   - initialQuorum: 1 … `quorumSize` distinct keys of the stake table.
    /// - Throws: `GenesisError.invalidValue` naming the offending key.
    public init(
        network: String,
        stake: [(key: PublicKey, coins: UInt64)],
        quorumSize: Int,
        minVoteStake: UInt64 = defaultMinVoteStake,
        voteLagHeights: UInt64 = defaultVoteLagHeights,
        voteCommitHeights: UInt64 = defaultVoteCommitHeights,
        epochLengthHeights: UInt64 = defaultEpochLengthHeights,
        stallAlertMilliseconds: UInt64 = defaultStallAlertMilliseconds,
        initialQuorum: [PublicKey]
    ) throws(GenesisError) {
        guard !network.isEmpty, network.utf8.count <= Self.maxNetworkBytes else {
            throw .invalidValue(key: "network", value: "\"\(network)\"", reason: "1 to \(Self.maxNetworkBytes) bytes")
        }
        guard !stake.isEmpty else { throw .invalidValue(key: "stake", value: "{}", reason: "no stake holders") }
        guard stake.count <= Self.maxStakeHolders else {
            throw .invalidValue(
                key: "stake",
                value: "\(stake.count) entries",
                reason: "at most \(Self.maxStakeHolders) holders"
            )
        }
        var table: [PublicKey: UInt64] = [:]
        var total: UInt64 = 0
        for entry in stake {
            let key = "stake.\(entry.key.hex)"
            guard entry.coins > 0 else { throw .invalidValue(key: key, value: "0", reason: "stake must be at least 1") }
            guard table.updateValue(entry.coins, forKey: entry.key) == nil else {
                throw .invalidValue(key: key, value: entry.key.hex, reason: "the key appears twice")
            }
            let (sum, overflow) = total.addingReportingOverflow(entry.coins)
            guard !overflow else {
                throw .invalidValue(key: key, value: "\(entry.coins)", reason: "the total stake exceeds 2^64 - 1")
            }
            total = sum
        }
        let largest = min(Self.maxQuorumSize, table.count)
        guard (1...largest).contains(quorumSize) else {
            throw .invalidValue(
                key: "quorum_size",
                value: "\(quorumSize)",
                reason: "must be in 1...\(largest) (at most \(Self.maxQuorumSize) and the number of stake holders)"
            )
        }
        for (name, value) in [("vote_lag_heights", voteLagHeights), ("vote_commit_heights", voteCommitHeights)] {
            guard Self.heightParameterRange.contains(value) else {
                throw .invalidValue(key: name, value: "\(value)", reason: Self.describe(Self.heightParameterRange))
            }
        }
        guard Self.epochLengthRange.contains(epochLengthHeights) else {
            throw .invalidValue(
                key: "epoch_length_heights",
                value: "\(epochLengthHeights)",
                reason: Self.describe(Self.epochLengthRange)
            )
        }
        guard Self.stallAlertRange.contains(stallAlertMilliseconds) else {
            throw .invalidValue(
                key: "stall_alert_ms",
                value: "\(stallAlertMilliseconds)",
                reason: Self.describe(Self.stallAlertRange)
            )
        }
        guard (1...quorumSize).contains(initialQuorum.count) else {
            throw .invalidValue(
                key: "initial_quorum",
                value: "\(initialQuorum.count) keys",
                reason: "1 to quorum_size (\(quorumSize)) keys"
            )
        }
        var seen: Set<PublicKey> = []
        for (index, member) in initialQuorum.enumerated() {
            let key = "initial_quorum[\(index)]"
            guard table[member] != nil else {
                throw .invalidValue(key: key, value: member.hex, reason: "not in the stake table")
            }
            guard seen.insert(member).inserted else {
                throw .invalidValue(key: key, value: member.hex, reason: "the key appears twice")
            }
        }
        self.network = network
        self.stakeTable = StakeTable(checked: table)
        self.quorumSize = quorumSize
        self.minVoteStake = minVoteStake
        self.voteLagHeights = voteLagHeights
        self.voteCommitHeights = voteCommitHeights
        self.epochLengthHeights = epochLengthHeights
        self.stallAlertMilliseconds = stallAlertMilliseconds
        self.initialQuorum = initialQuorum.sorted()
        let encoding = Self.encode(
            network: network,
            stakeTable: stakeTable,
            quorumSize: quorumSize,
            parameters: [minVoteStake, voteLagHeights, voteCommitHeights, epochLengthHeights, stallAlertMilliseconds],
            initialQuorum: self.initialQuorum
        )
        self.encoding = encoding
        self.hash = GenesisHash(unchecked: Blake2b.hash256(parts: [Self.hashDomain, encoding]))
    }

    public static func == (lhs: Genesis, rhs: Genesis) -> Bool { lhs.encoding == rhs.encoding }
    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    private static func encode(
        network: String,
        stakeTable: StakeTable,
        quorumSize: Int,
        parameters: [UInt64],
        initialQuorum: [PublicKey]
    ) -> [UInt8] {
        let networkBytes = Array(network.utf8)
        var writer = ByteWriter(capacity: 48 + networkBytes.count + 40 * stakeTable.entries.count)
        writer.write(formatVersion)
        writer.write(UInt8(networkBytes.count))
        writer.write(bytes: networkBytes)
        writer.write(UInt16(quorumSize))
        for parameter in parameters { writer.write(parameter) }
        writer.write(UInt32(stakeTable.entries.count))
        for entry in stakeTable.entries {
            writer.write(entry.key)
            writer.write(entry.coins)
        }
        writer.write(UInt16(initialQuorum.count))
        for member in initialQuorum { writer.write(member) }
        return writer.bytes
    }

    private static func describe(_ range: ClosedRange<UInt64>) -> String {
        "must be in \(range.lowerBound)...\(range.upperBound)"
    }
}
