import CairnCore
import CairnProtocol
import Foundation

/// The quorum as a plug-in: it owns the `quorum/` channels (stateless payload checks against the genesis), judges
/// kind-2 evidence, folds every committed quorum blob into a `QuorumState`, and turns what that state raises into
/// events (`decided`, `election`, `equivocation`, `censored`, `stalled`) and, for a double sign, into evidence the
/// node records and floods ahead of other traffic.
///
/// At start the stored blobs are folded in one batch and raise no events (they were raised when those blobs first
/// arrived); evidence for double signs found in them is still recorded (recording is idempotent). Live blobs raise
/// their alerts at once.
public struct QuorumPlugin: Plugin {
    public let name = QuorumRules.owner
    /// The quorum's state: epochs, members, decisions, equivocations.
    public internal(set) var state: QuorumState
    /// The event topics the plug-in appends.
    public static let topics: Set<String> = ["decided", "election", "equivocation", "censored", "stalled"]

    /// How this node signs, if it takes part with its own key.
    public internal(set) var signer: QuorumSigner?
    /// Slots this node announced a block for (proposer mode).
    var proposed: Set<QuorumSlot> = []
    /// Vote sets this node published, by contents (proposer mode reuses them).
    var ownVoteSets: [QuorumVoteSet: BlobID] = [:]
    /// Slots proposer mode signed in this process (its signature may not be committed yet).
    var signedHere: Set<QuorumSlot> = []
    /// A vote set published and not yet seen committed (proposer mode waits for its id).
    var pendingVoteSet: QuorumVoteSet?

    var replaying = true
    private var replayBuffer: [SignedBlob] = []
    private var replayEvidence: [Evidence] = []
    /// When the last height was decided (or the plug-in went live), for the `stalled` alert and proposer pacing.
    var lastProgressAt: UInt64?
    private var stallRaised = false

    /// The plug-in of the network that `genesis` describes.
    /// - Parameters:
    ///   - genesis: the network's genesis.
    ///   - stake: where stake comes from; the genesis's table unless given.
    ///   - signer: how this node signs with its own key (`nil`: it only watches).
    public init(genesis: Genesis, stake: (any StakeSource)? = nil, signer: QuorumSigner? = nil) {
        state = QuorumState(genesis: genesis, stake: stake)
        self.signer = signer
    }

    public func register(in registry: inout PluginRegistry) {
        state.rules.register(in: &registry.channelRules)
        state.rules.register(in: &registry.evidenceJudges)
        registry.topics.formUnion(Self.topics)
    }

    public mutating func committed(_ blob: SignedBlob, now: UInt64) -> [PluginAction] {
        guard QuorumChannel.all.contains(blob.channel) else { return [] }
        noteOwnVoteSet(blob)
        if replaying {
            replayBuffer.append(blob)
            return []
        }
        return actions(for: state.apply(blob), now: now) + proposerActions(now: now)
    }

    public mutating func recorded(_ evidence: Evidence, now: UInt64) -> [PluginAction] {
        guard evidence.kind == QuorumRules.equivocationKind else { return [] }
        if replaying {
            replayEvidence.append(evidence)
            return []
        }
        return actions(for: state.apply(evidence), now: now)
    }

    public mutating func replayed(now: UInt64) -> [PluginAction] {
        guard replaying else { return [] }
        replaying = false
        var alerts = state.apply(contentsOf: replayBuffer)
        for evidence in replayEvidence { alerts += state.apply(evidence) }
        replayBuffer = []
        replayEvidence = []
        lastProgressAt = now
        // Old alerts were raised when their blobs arrived; only the evidence is recorded again (idempotent).
        let evidence: [PluginAction] = alerts.compactMap { alert in
            guard case .equivocation(let found) = alert else { return nil }
            return .recordEvidence(found.evidence)
        }
        return evidence + proposerActions(now: now)
    }

    public mutating func tick(now: UInt64) -> [PluginAction] {
        guard !replaying else { return [] }
        let proposing = proposerActions(now: now)
        guard let since = lastProgressAt, !stallRaised, now >= since,
            now - since >= state.genesis.stallAlertMilliseconds
        else { return proposing }
        stallRaised = true
        let json = Self.json([
            "lastDecidedHeight": String(state.lastDecidedHeight), "epoch": String(state.currentEpoch.number),
            "sinceMs": String(since),
        ])
        return proposing + [.emit(topic: "stalled", json: json)]
    }

    // MARK: Alerts to actions

    private mutating func actions(for alerts: [QuorumAlert], now: UInt64) -> [PluginAction] {
        var actions: [PluginAction] = []
        for alert in alerts {
            switch alert {
            case .equivocation(let found):
                // The evidence first: it is flooded ahead of other traffic, the event follows.
                actions.append(.recordEvidence(found.evidence))
                actions.append(
                    .emit(
                        topic: alert.topic,
                        json: Self.json([
                            "evidence": found.evidenceID.hex, "author": found.author.hex,
                            "epoch": String(found.epoch), "height": String(found.height),
                            "first": found.first.id.hex, "second": found.second.id.hex,
                        ])
                    )
                )
            case .decided(let decision):
                lastProgressAt = now
                stallRaised = false
                actions.append(.emit(topic: alert.topic, json: Self.json(decision)))
            case .decisionRevised(_, let new):
                var fields = ["revised": "true"]
                if let new { fields.merge(Self.fields(new)) { $1 } }
                actions.append(.emit(topic: alert.topic, json: Self.json(fields)))
            case .election(let epoch), .epochEnded(let epoch):
                var fields = Self.fields(epoch)
                fields["event"] = if case .election = alert { "elected" } else { "ended" }
                actions.append(.emit(topic: alert.topic, json: Self.json(fields)))
            case .electionRevised(_, let new):
                var fields = new.map(Self.fields) ?? [:]
                fields["event"] = "revised"
                actions.append(.emit(topic: alert.topic, json: Self.json(fields)))
            case .censored(let blob, let author, let heldSince, let decided):
                actions.append(
                    .emit(
                        topic: alert.topic,
                        json: Self.json([
                            "blob": blob.hex, "author": author.hex, "heldSinceHeight": String(heldSince),
                            "decidedHeight": String(decided),
                        ])
                    )
                )
            }
        }
        return actions
    }

    private static func fields(_ decision: QuorumDecision) -> [String: String] {
        [
            "height": String(decision.height), "epoch": String(decision.epoch),
            "block": decision.value.block.hex, "voteSet": decision.value.voteSet.hex,
        ]
    }

    private static func json(_ decision: QuorumDecision) -> [UInt8] { json(fields(decision)) }

    private static func fields(_ epoch: QuorumEpoch) -> [String: String] {
        var fields = [
            "epoch": String(epoch.number), "start": String(epoch.start),
            "members": epoch.members.map(\.hex).joined(separator: ","),
        ]
        if let end = epoch.end { fields["end"] = String(end) }
        switch epoch.endReason {
        case .length: fields["endReason"] = "length"
        case .recall: fields["endReason"] = "recall"
        case .evidence(let offenders): fields["endReason"] = "evidence:" + offenders.map(\.hex).joined(separator: ",")
        case nil: break
        }
        return fields
    }

    /// A flat JSON object of strings, keys sorted (u64 values travel as decimal strings).
    private static func json(_ fields: [String: String]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A dictionary of strings always encodes.
        return Array(try! encoder.encode(fields))
    }
}
