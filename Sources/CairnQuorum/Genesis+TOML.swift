import CairnCore
import Foundation
import TOMLKit

extension Genesis {
    /// Parses a genesis file (format in `Config/genesis.toml` and Docs/QUORUM.md).
    /// - Parameter text: the TOML text.
    /// - Throws: `GenesisError` naming the first bad key: unknown keys, bad hex, zero stake, a duplicate key, a
    ///   `quorum_size` out of range, initial members outside the stake table, missing keys and wrong types.
    public init(toml text: String) throws(GenesisError) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch {
            throw .syntax(line: 0, column: 0, message: String(describing: error))
        }
        var root = GenesisTableReader(table)
        let network = try root.string("network")
        let quorumSize = try root.integer("quorum_size", default: nil)
        let minVoteStake = try root.integer("min_vote_stake", default: Self.defaultMinVoteStake)
        let voteLag = try root.integer("vote_lag_heights", default: Self.defaultVoteLagHeights)
        let voteCommit = try root.integer("vote_commit_heights", default: Self.defaultVoteCommitHeights)
        let epochLength = try root.integer("epoch_length_heights", default: Self.defaultEpochLengthHeights)
        let stallAlert = try root.integer("stall_alert_ms", default: Self.defaultStallAlertMilliseconds)
        let initial = try root.keys("initial_quorum")
        let stake = try root.stake("stake")
        try root.finish()
        try self.init(
            network: network,
            stake: stake,
            quorumSize: Int(clamping: quorumSize),
            minVoteStake: minVoteStake,
            voteLagHeights: voteLag,
            voteCommitHeights: voteCommit,
            epochLengthHeights: epochLength,
            stallAlertMilliseconds: stallAlert,
            initialQuorum: initial
        )
    }

    /// Reads and parses a genesis file.
    /// - Throws: `GenesisError`.
    public init(contentsOfFile path: String) throws(GenesisError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        try self.init(toml: text)
    }
}

/// Reads typed values out of the genesis document, remembering which keys it read so the rest can be refused.
private struct GenesisTableReader {
    let table: TOMLTable
    private var used: Set<String> = []

    init(_ table: TOMLTable) { self.table = table }

    func finish() throws(GenesisError) {
        if let unknown = table.keys.filter({ !used.contains($0) }).sorted().first {
            throw .unknownKey(unknown)
        }
    }

    mutating func string(_ name: String) throws(GenesisError) -> String {
        let value = try lookup(name)
        guard let text = value.string else { throw .wrongType(key: name, expected: "a string") }
        return text
    }

    mutating func integer(_ name: String, default fallback: UInt64?) throws(GenesisError) -> UInt64 {
        guard let value = table[name] else {
            used.insert(name)
            guard let fallback else { throw .missingKey(name) }
            return fallback
        }
        used.insert(name)
        guard let number = value.int else { throw .wrongType(key: name, expected: "an integer") }
        guard number >= 0 else { throw .invalidValue(key: name, value: "\(number)", reason: "must not be negative") }
        return UInt64(number)
    }

    /// An array of public keys as hex strings.
    mutating func keys(_ name: String) throws(GenesisError) -> [PublicKey] {
        let value = try lookup(name)
        guard let array = value.array else { throw .wrongType(key: name, expected: "an array of hex public keys") }
        var keys: [PublicKey] = []
        for index in 0..<array.count {
            let key = "\(name)[\(index)]"
            guard let text = array[index].string else { throw .wrongType(key: key, expected: "a hex public key") }
            keys.append(try Self.publicKey(text, key: key))
        }
        return keys
    }

    /// The stake table: a TOML table of hex public key → coins.
    mutating func stake(_ name: String) throws(GenesisError) -> [(key: PublicKey, coins: UInt64)] {
        let value = try lookup(name)
        guard let section = value.table else {
            throw .wrongType(key: name, expected: "a table of hex public key = coins")
        }
        var entries: [(key: PublicKey, coins: UInt64)] = []
        var spelling: [PublicKey: String] = [:]
        for text in section.keys.sorted() {
            let key = "\(name).\(text)"
            let publicKey = try Self.publicKey(text, key: key)
            guard let coins = section[text]?.int else { throw .wrongType(key: key, expected: "an integer (coins)") }
            guard coins > 0 else {
                throw .invalidValue(key: key, value: "\(coins)", reason: "stake must be at least 1")
            }
            if let other = spelling.updateValue(text, forKey: publicKey) {
                throw .invalidValue(key: key, value: text, reason: "the same public key as \(name).\(other)")
            }
            entries.append((publicKey, UInt64(coins)))
        }
        return entries
    }

    private mutating func lookup(_ name: String) throws(GenesisError) -> TOMLValueConvertible {
        used.insert(name)
        guard let value = table[name] else { throw .missingKey(name) }
        return value
    }

    private static func publicKey(_ text: String, key: String) throws(GenesisError) -> PublicKey {
        guard let publicKey = PublicKey(hex: text) else {
            throw .invalidValue(key: key, value: "\"\(text)\"", reason: "a public key is 64 hexadecimal digits")
        }
        return publicKey
    }
}
