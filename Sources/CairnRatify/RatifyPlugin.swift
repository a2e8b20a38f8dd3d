import CairnCore
import CairnProtocol
import CairnQuorum
import Foundation

/// Ratification as a plug-in: it owns the `ratify/` channels (stateless payload checks against the genesis), folds
/// every committed ratification blob into a `RatifyState`, and appends a `ratified` event each time a root becomes
/// ratified or stops being so.
///
/// At start the stored blobs are folded silently (their events were appended when they first arrived); live blobs
/// raise their events at once.
public struct RatifyPlugin: Plugin {
    public let name = "ratify"
    /// The event topics the plug-in appends.
    public static let topics: Set<String> = ["ratified"]

    /// The tally.
    public internal(set) var state: RatifyState
    private var replaying = true
    /// The roots ratified as of the last event (or the end of the replay).
    private var ratifiedRoots: Set<TreeRoot> = []

    /// The plug-in of the network that `genesis` describes.
    public init(genesis: Genesis, stake: (any StakeSource)? = nil) {
        state = RatifyState(genesis: genesis, stake: stake)
    }

    public func register(in registry: inout PluginRegistry) {
        let genesis = state.genesis.hash
        registry.channelRules.register(prefix: RatifyChannel.prefix, owner: name) { blob in
            do {
                let payload = try RatifyPayload(channel: blob.channel, payload: Array(blob.payload))
                return payload.genesis == genesis ? nil : RatifyPayloadError.otherGenesis.description
            } catch {
                return "\(error)"
            }
        }
        registry.topics.formUnion(Self.topics)
    }

    public mutating func committed(_ blob: SignedBlob, now: UInt64) -> [PluginAction] {
        guard state.apply(blob), !replaying else { return [] }
        return changes()
    }

    public mutating func replayed(now: UInt64) -> [PluginAction] {
        replaying = false
        ratifiedRoots = Set(state.ratified)
        return []
    }

    /// `ratified` events for roots whose status changed since the last call.
    private mutating func changes() -> [PluginAction] {
        let now = Set(state.ratified)
        let changed = now.symmetricDifference(ratifiedRoots).sorted()
        ratifiedRoots = now
        return changed.map { root in
            let tally = state.tally(root)
            return .emit(topic: "ratified", json: Self.json(tally))
        }
    }

    /// A tally as the `ratified` event's flat JSON object of strings (u64 values as decimal strings).
    static func json(_ tally: RatifyTally) -> [UInt8] {
        let fields = [
            "root": tally.root.hex, "ratified": tally.ratified ? "true" : "false",
            "yesStake": String(tally.yesStake), "noStake": String(tally.noStake),
            "totalStake": String(tally.totalStake),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A dictionary of strings always encodes.
        return Array(try! encoder.encode(fields))
    }
}
