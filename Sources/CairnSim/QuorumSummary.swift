import CairnCore
import CairnQuorum
import Foundation

/// The quorum figures of a run with a `[quorum]` section.
///
/// - Agreement: each honest node up at the end has a *view*: the kind-2 evidence ids its store recorded, its
///   plug-in's running epoch (number, start, members) and last decided height. The run passes when every node has
///   the same view, every height was decided, and with a double sign, that view holds exactly one kind-2 evidence and
///   every node appended an `equivocation` event and the `election` event of the epoch after it.
/// - Time to alert: from the posting of the double sign's second signature to each node's first `equivocation`
///   event, and to its `election` event (`"event": "elected"`) of the epoch that follows the one the evidence ended,
///   in virtual time.
struct QuorumSummary: Sendable, Equatable {
    /// What one node ends with.
    struct View: Sendable, Hashable {
        /// The kind-2 evidence its store recorded, ascending.
        var evidence: [EvidenceID]
        /// The running epoch.
        var epoch: UInt64
        /// Its first height.
        var start: UInt64
        /// Its members, ascending.
        var members: [PublicKey]
        /// The last decided height.
        var lastDecided: UInt64
    }

    /// The scenario's quorum.
    var settings: Scenario.Quorum
    /// Honest nodes up at the end.
    var nodes: Int
    /// The view most nodes hold (ties: the one of the lowest node index); `nil` without nodes.
    var view: View?
    /// Nodes holding `view`.
    var agreeing: Int
    /// Distinct views.
    var views: Int
    /// When the double sign's second signature was posted (microseconds), and to which nodes both went.
    var postedAt: UInt64?
    var postedTo: [Int]
    /// The epoch elected after the one the evidence ended, in `view`.
    var nextEpoch: UInt64?
    /// Per node with an `equivocation` event: the time from the posting to its first one, ascending, microseconds.
    var timesToAlert: [UInt64]
    /// Per node with the `election` event of `nextEpoch`: the time from the posting to it, ascending, microseconds.
    var timesToSwitch: [UInt64]

    /// Reads the views and event logs of a finished run.
    init(of simulation: Simulation) {
        let run = simulation.quorum!
        settings = run.settings
        postedAt = run.postedAt
        postedTo = run.postedTo
        var counts: [View: (nodes: Int, first: Int)] = [:]
        var states: [Int: QuorumState] = [:]
        for index in simulation.honestIndices where simulation.nodes[index].isUp {
            guard let state = simulation.nodes[index].plugins?.plugin(QuorumPlugin.self)?.state else { continue }
            states[index] = state
            let view = View(
                evidence: simulation.nodes[index].evidence.filter { $0.kind == QuorumRules.equivocationKind }.map(\.id)
                    .sorted(),
                epoch: state.currentEpoch.number,
                start: state.currentEpoch.start,
                members: state.members,
                lastDecided: state.lastDecidedHeight
            )
            counts[view, default: (0, index)].nodes += 1
        }
        nodes = states.count
        views = counts.count
        let common = counts.max { a, b in
            a.value.nodes != b.value.nodes ? a.value.nodes < b.value.nodes : a.value.first > b.value.first
        }
        view = common?.key
        agreeing = common?.value.nodes ?? 0
        let ended = common.flatMap { states[$0.value.first] }?.epochs.first { epoch in
            if case .some(.evidence) = epoch.endReason { true } else { false }
        }
        nextEpoch = ended.map { $0.number + 1 }

        var alerts: [UInt64] = []
        var switches: [UInt64] = []
        if let postedAt, let nextEpoch {
            let decoder = JSONDecoder()
            for index in states.keys.sorted() {
                var alert: UInt64?
                var switched: UInt64?
                for event in simulation.nodes[index].events where event.micros >= postedAt {
                    if alert == nil, event.topic == "equivocation" { alert = event.micros - postedAt }
                    if switched == nil, event.topic == "election",
                        let fields = try? decoder.decode([String: String].self, from: Data(event.json)),
                        fields["event"] == "elected", fields["epoch"] == String(nextEpoch)
                    {
                        switched = event.micros - postedAt
                    }
                }
                if let alert { alerts.append(alert) }
                if let switched { switches.append(switched) }
            }
        }
        timesToAlert = alerts.sorted()
        timesToSwitch = switches.sorted()
    }

    /// Whether every node ended with the same view, every height decided, and with a double sign, one kind-2
    /// evidence in that view, an alert and a switch at every node.
    var passed: Bool {
        guard nodes > 0, views == 1, let view, view.lastDecided >= settings.heights else { return false }
        guard settings.equivocation != nil else { return true }
        return view.evidence.count == 1 && timesToAlert.count == nodes && timesToSwitch.count == nodes
    }

    /// The summary's quorum lines.
    /// - Parameter meshTimeToAllP99: the run's time-to-all p99 of the background blobs, for comparison.
    func lines(meshTimeToAllP99: String) -> [String] {
        var lines: [String] = []
        var head =
            "quorum: \(settings.members) members (nodes 0-\(settings.members - 1)) of \(settings.stakeHolders) "
            + "stake holders, heights 1-\(settings.heights) from \(settings.startMilliseconds) ms every "
            + "\(settings.intervalMilliseconds) ms"
        if let equivocation = settings.equivocation {
            head += "; node \(equivocation.member) double-signs height \(equivocation.height)"
            if let postedAt {
                head +=
                    ", posted at \(Summary.milliseconds(postedAt)) virtual to nodes "
                    + postedTo.map(String.init).joined(separator: " and ")
            } else {
                head += ", never posted"
            }
        }
        lines.append(head)
        if let view {
            let evidence = view.evidence.map { String($0.hex.prefix(16)) }.joined(separator: ", ")
            lines.append(
                "quorum agreement: \(passed ? "passed" : "FAILED"), \(agreeing) of \(nodes) nodes hold one view"
                    + (views > 1 ? " (\(views) views)" : "") + ": kind-2 evidence [\(evidence)], epoch \(view.epoch) "
                    + "from height \(view.start) with \(view.members.count) members, last decided height "
                    + "\(view.lastDecided)"
            )
        } else {
            lines.append("quorum agreement: FAILED, no node up")
        }
        if settings.equivocation != nil {
            lines.append(
                "quorum alert: `equivocation` at \(timesToAlert.count) of \(nodes) nodes "
                    + Self.percentiles(timesToAlert) + " after the second signature; mesh time-to-all p99 "
                    + meshTimeToAllP99
            )
            lines.append(
                "quorum switch: `election` of epoch \(nextEpoch.map(String.init) ?? "-") at \(timesToSwitch.count) of "
                    + "\(nodes) nodes " + Self.percentiles(timesToSwitch) + " after the second signature"
            )
        }
        return lines
    }

    private static func percentiles(_ values: [UInt64]) -> String {
        "p50 \(Summary.time(Summary.percentile(0.50, of: values))), "
            + "p99 \(Summary.time(Summary.percentile(0.99, of: values))), max \(Summary.time(values.last))"
    }
}
