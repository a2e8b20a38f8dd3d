import CairnCore

/// Where a quorum network's stake comes from: coins per public key, and their sum.
///
/// Static in v1 (`StakeTable`, from the genesis file). Every rule that weighs stake reads it through this protocol,
/// so a later source (stake that moves with the chain) changes no rule.
public protocol StakeSource: Sendable {
    /// The coins `key` holds; 0 for a key outside the table.
    func stake(of key: PublicKey) -> UInt64
    /// The sum of all stake: the base of every "more than half of all stake".
    var totalStake: UInt64 { get }
}

/// The static stake table of a genesis file: public key → coins, every entry at least 1 coin.
public struct StakeTable: StakeSource, Hashable {
    /// The entries in ascending key order.
    public let entries: [(key: PublicKey, coins: UInt64)]
    /// The sum of all entries; `init` refuses tables whose sum exceeds `UInt64.max`.
    public let totalStake: UInt64
    private let coins: [PublicKey: UInt64]

    /// Builds a table from distinct keys with positive stake whose sum fits in 64 bits; `Genesis` checks the input.
    init(checked table: [PublicKey: UInt64]) {
        coins = table
        entries = table.sorted { $0.key < $1.key }.map { (key: $0.key, coins: $0.value) }
        totalStake = table.values.reduce(0, +)
    }

    /// The coins `key` holds; 0 for a key outside the table.
    public func stake(of key: PublicKey) -> UInt64 { coins[key] ?? 0 }

    /// Whether `key` is in the table.
    public func contains(_ key: PublicKey) -> Bool { coins[key] != nil }

    /// The keys in ascending order.
    public var keys: [PublicKey] { entries.map(\.key) }

    public static func == (lhs: StakeTable, rhs: StakeTable) -> Bool { lhs.coins == rhs.coins }
    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.coins)
        }
    }
}
