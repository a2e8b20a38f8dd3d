import CairnCore
import CairnProtocol

/// The quorum's stateless rules for one genesis: the payload check of its channels and the judge of its evidence
/// kind. What the host registers at start; `QuorumState` holds the rules that depend on the stored set.
public struct QuorumRules: Sendable {
    /// The owner name the quorum registers its channels and evidence kind under.
    public static let owner = "quorum"
    /// The evidence kind of a double sign: two `quorum/sig` blobs by one author for one (epoch, height) with a
    /// different block hash or vote set.
    public static let equivocationKind = Evidence.Kind(rawValue: 2)
    /// The evidence kind's name.
    public static let equivocationName = "quorum-double-sign"

    /// The network's genesis.
    public let genesis: Genesis

    /// The rules of `genesis`'s network.
    public init(genesis: Genesis) { self.genesis = genesis }

    /// Whether a payload is well formed for its quorum channel, from the bytes alone: it decodes canonically, names
    /// this network's genesis, and lists no more candidates or drops than `quorum_size`. Never depends on
    /// membership or any stored state.
    /// - Returns: why the payload is refused, or `nil` when it is accepted.
    public func check(channel: ChannelName, payload: [UInt8]) -> QuorumPayloadError? {
        do {
            let decoded = try QuorumPayload(channel: channel, payload: payload)
            guard decoded.genesis == genesis.hash else { return .otherGenesis(decoded.genesis) }
            if case .vote(let slip) = decoded {
                let allowed = 1...genesis.quorumSize
                guard allowed.contains(slip.candidates.count) else {
                    return .countOutOfRange(field: "candidates", count: slip.candidates.count, allowed: allowed)
                }
                if let drops = slip.recall?.drops, drops.count > genesis.quorumSize {
                    return .countOutOfRange(field: "drops", count: drops.count, allowed: 0...genesis.quorumSize)
                }
            }
            return nil
        } catch {
            return error
        }
    }

    /// Gives the `quorum/` channels to the quorum, with `check` as their payload check.
    public func register(in rules: inout ChannelRules) {
        let rules_ = self
        rules.register(prefix: QuorumChannel.prefix, owner: Self.owner) { blob in
            rules_.check(channel: blob.channel, payload: Array(blob.payload))?.description
        }
    }

    /// Registers the judge of kind 2 (`judge(_:)`).
    public func register(in judges: inout EvidenceJudges) {
        let rules = self
        judges.register(Self.equivocationKind, name: Self.equivocationName) { rules.judge($0) == nil }
    }
}
