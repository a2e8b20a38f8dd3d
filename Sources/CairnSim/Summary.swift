import CairnCore
import CairnProtocol

/// The figures of one run, and their text: the same scenario and seed give the same summary, byte for byte.
///
/// - Delivery: of the (blob, node) pairs where the node was in the mesh (up, and connected to a first peer since it
///   last started) from the blob's publication to the end of the run (its publisher excepted), the share where the
///   node holds the blob (however it came: pushed, fetched after a `have`, or found by reconciliation). "Held at
///   end" counts every node up at the end, however late it joined.
/// - Convergence: when every honest node up held every published blob, with no scenario event left (no start,
///   leave, publication, fork or heal), measured from the last scenario event, in virtual ms and in the
///   scenario's sync intervals; or how many nodes miss how many blobs when the run ended first.
/// - Time-to-all: per blob, from its publication until the last of those nodes stored it, in virtual ms; a blob some
///   of them never got counts as never (so p99 reads "never" when more than 1 % of blobs missed a node), and the
///   same percentiles over the nodes that did get each blob are given beside.
/// - Amplification: `blob` record bytes honest nodes sent, over the bytes strictly needed (each blob's record once
///   to each honest node holding it, its publisher excepted).
/// - Messages per blob: gossip messages honest nodes sent (pushes, served blobs, and `have`, `want` and
///   `idontwant` ids) per blob published.
/// - Quorum (a scenario with a `[quorum]` section): see `QuorumSummary`.
/// - Trace hash: FNV-1a over every event processed (instant, kind, node, byte count) and every event a plug-in
///   appended (instant, node, JSON size).
struct Summary: Sendable, Equatable {
    /// What one kind of hostile peer achieved.
    struct HostileOutcome: Sendable, Equatable {
        /// The kind.
        var kind: HostilePeer.Kind
        /// Peers of this kind.
        var count: Int
        /// Dials they made.
        var dials: Int
        /// Their connections that honest replicas closed.
        var closedByHonest: Int
        /// Bans of their keys by honest nodes.
        var bans: Int
    }

    /// A node up at the end that misses blobs published while it was in the mesh.
    struct Missing: Sendable, Equatable {
        /// The node's index.
        var node: Int
        /// How many blobs it misses.
        var blobs: Int
    }

    /// The scenario's name.
    var scenario: String
    /// The run's seed.
    var seed: UInt64
    /// Honest nodes in the scenario.
    var honestNodes: Int
    /// Honest nodes up at the end.
    var upAtEnd: Int
    /// Blobs the scenario publishes.
    var blobCount: Int
    /// Payload bytes per blob.
    var blobBytes: Int
    /// Blobs actually published (a blob finds no publisher when no node is up).
    var published: Int
    /// Whether signatures were memoised.
    var memoised: Bool
    /// Whether records travelled unsealed.
    var plaintextRecords: Bool
    /// How the run ended.
    var outcome: Simulation.Outcome
    /// The virtual instant it ended, in microseconds.
    var endMicros: UInt64
    /// Events processed.
    var events: Int
    /// Events processed by kind (`Simulation.Event.traceKind`).
    var eventsByKind: [Int]
    /// (blob, node) pairs a node in the mesh should have got.
    var eligiblePairs: Int
    /// Of those, the pairs it got.
    var deliveredPairs: Int
    /// (blob, node) pairs over every node up at the end.
    var endPairs: Int
    /// Of those, the pairs held.
    var endHeld: Int
    /// Nodes that miss blobs they should have got, by node.
    var missing: [Missing]
    /// The scenario's sync interval, in milliseconds.
    var syncIntervalMilliseconds: UInt64
    /// When the last scenario event ran, in microseconds.
    var lastScenarioEventMicros: UInt64
    /// When every honest node up first held every published blob with no scenario event left, in microseconds;
    /// `nil` if that never happened.
    var convergedMicros: UInt64?
    /// Honest nodes up at the end that miss some published blob.
    var unconvergedNodes: Int
    /// Published blobs some honest node up at the end misses.
    var unconvergedBlobs: Int
    /// Scenario events that had not run when the run ended.
    var scenarioEventsLeft: Int
    /// Time-to-all of each published blob, ascending, in microseconds; `.max` for a blob some eligible node never
    /// got.
    var timesToAll: [UInt64]
    /// Time until the last eligible node that got each blob had it, ascending, in microseconds.
    var timesToHolders: [UInt64]
    /// `blob` record bytes strictly needed.
    var blobBytesNeeded: Int
    /// What honest replicas sent, over all incarnations.
    var traffic: Simulation.Traffic
    /// The engine's totals.
    var counters: Simulation.Counters
    /// Per hostile kind present.
    var hostile: [HostileOutcome]
    /// Forks published.
    var forks: Int
    /// Time to alert of each published fork, ascending, in microseconds (`.max`: some expected node never knew).
    var timesToAlert: [UInt64]
    /// The quorum's agreement and times to alert, for a scenario with a quorum.
    var quorum: QuorumSummary?
    /// The trace hash.
    var traceHash: TraceHash

    /// Nodes listed by name in the "never delivered" line at most.
    static let missingShown = 8

    /// Computes the figures of a finished run.
    init(of simulation: Simulation, outcome: Simulation.Outcome) {
        let scenario = simulation.scenario
        self.scenario = scenario.name
        seed = simulation.seed
        honestNodes = scenario.nodes
        blobCount = scenario.blobs.count
        blobBytes = scenario.blobs.sizeBytes
        published = simulation.publishedCount
        memoised = scenario.memoiseSignatures
        plaintextRecords = scenario.plaintextRecords
        self.outcome = outcome
        endMicros = simulation.now
        events = simulation.events
        eventsByKind = simulation.eventsByKind
        counters = simulation.counters
        traceHash = simulation.trace
        quorum = simulation.quorum == nil ? nil : QuorumSummary(of: simulation)
        timesToAlert = simulation.timesToAlert
        forks = timesToAlert.count
        syncIntervalMilliseconds = scenario.node.syncIntervalMilliseconds
        lastScenarioEventMicros = simulation.lastScenarioEventAt
        convergedMicros = simulation.convergedAt
        scenarioEventsLeft = simulation.pendingScenarioEvents

        let honest = simulation.honestIndices.map { simulation.nodes[$0] }
        let up = honest.filter(\.isUp)
        upAtEnd = up.count
        traffic = Simulation.Traffic()
        for node in honest {
            traffic.add(node.retired)
            if let replica = node.replica { traffic.add(replica) }
        }

        var eligible = 0
        var delivered = 0
        var endPairs = 0
        var endHeld = 0
        var times: [UInt64] = []
        var timesToHolders: [UInt64] = []
        var needed = 0
        var missing = [Int: Int]()
        var unconvergedNodes = Set<Int>()
        var unconvergedBlobs = 0
        for blob in 0..<scenario.blobs.count where simulation.publisher[blob] >= 0 {
            let author = simulation.publisher[blob]
            let publishedAt = simulation.publishedAt[blob]
            var complete = true
            var last: UInt64 = 0
            var everywhere = true
            for node in up where node.index != author {
                endPairs += 1
                if node.holds(blob) {
                    endHeld += 1
                } else {
                    everywhere = false
                    unconvergedNodes.insert(node.index)
                }
                guard node.isMember, simulation.publishOrdinal[blob] >= node.publishedBeforeMembership else { continue }
                eligible += 1
                if node.holds(blob) {
                    delivered += 1
                    last = max(last, node.held[blob] - publishedAt)
                } else {
                    complete = false
                    missing[node.index, default: 0] += 1
                }
            }
            if !everywhere { unconvergedBlobs += 1 }
            times.append(complete ? last : .max)
            timesToHolders.append(last)
            let holders = honest.count { $0.holds(blob) }
            let encoding = simulation.blobs[blob].encoding
            let message = (try? WireMessage.blob(encoding).encoded())?.count ?? 0
            let record = message + SecureChannel.lengthPrefixBytes + SecureChannel.tagBytes
            needed += record * max(0, holders - 1)
        }
        eligiblePairs = eligible
        deliveredPairs = delivered
        self.endPairs = endPairs
        self.endHeld = endHeld
        timesToAll = times.sorted()
        self.timesToHolders = timesToHolders.sorted()
        blobBytesNeeded = needed
        self.missing = missing.sorted { $0.key < $1.key }.map { Missing(node: $0.key, blobs: $0.value) }
        self.unconvergedNodes = unconvergedNodes.count
        self.unconvergedBlobs = unconvergedBlobs
        assert(endPairs - endHeld == simulation.missingPairs, "the missing-pair counter disagrees with the stores")
        assert(convergedMicros == nil || endPairs == endHeld, "converged, yet a node up misses a blob")

        var outcomes: [HostileOutcome] = []
        for (position, kind) in HostilePeer.Kind.allCases.enumerated() {
            let count = scenario.hostile.filter { $0.kind == kind }.reduce(0) { $0 + $1.count }
            guard count > 0 else { continue }
            outcomes.append(
                HostileOutcome(
                    kind: kind,
                    count: count,
                    dials: simulation.counters.hostileDials[position],
                    closedByHonest: simulation.counters.hostileClosedByHonest[position],
                    bans: simulation.counters.hostileBans[position]
                )
            )
        }
        hostile = outcomes
        assert(outcome != .complete || deliveredPairs == eligiblePairs, "a complete run left pairs undelivered")
    }

    /// The value at percentile `fraction` (nearest rank) of ascending `values`; `nil` when there are none.
    static func percentile(_ fraction: Double, of values: [UInt64]) -> UInt64? {
        guard !values.isEmpty else { return nil }
        let rank = Int((fraction * Double(values.count)).rounded(.up))
        return values[min(max(rank, 1), values.count) - 1]
    }

    /// Blobs that reached every eligible node.
    var completeBlobs: Int { timesToAll.count { $0 != .max } }

    /// Whether every eligible pair was delivered.
    var deliveredAll: Bool { deliveredPairs == eligiblePairs }

    /// The summary as printed, ending with the `trace hash:` line.
    var text: String {
        var lines: [String] = []
        let hostileCount = hostile.reduce(0) { $0 + $1.count }
        lines.append("scenario \(scenario), seed \(seed)")
        lines.append(
            "nodes \(honestNodes) honest (\(upAtEnd) up at the end), \(hostileCount) hostile; "
                + "blobs \(published) of \(blobCount) published, \(blobBytes) B each; "
                + "signatures \(memoised ? "memoised" : "checked"), "
                + "records \(plaintextRecords ? "unsealed" : "sealed")"
        )
        let ending =
            switch outcome {
            case .complete:
                forks > 0
                    ? "every node up holds every published blob, and every node in the mesh knows of every fork"
                    : "every node up holds every published blob"
            case .durationLimit: "the duration limit was reached"
            case .stalled: "no published blob stored for the settle time after the last scenario event"
            }
        lines.append("ended at \(Self.milliseconds(endMicros)) virtual: \(ending); \(events) events")
        lines.append(
            "delivery \(Self.percent(deliveredPairs, eligiblePairs)) (\(deliveredPairs) of \(eligiblePairs) "
                + "node-blob pairs); held at end \(Self.percent(endHeld, endPairs)) (\(endHeld) of \(endPairs))"
        )
        if let convergedMicros {
            let after = convergedMicros - lastScenarioEventMicros
            lines.append(
                "converged at \(Self.milliseconds(convergedMicros)) virtual (\(Self.milliseconds(after)), "
                    + "\(Self.ratio(Int(after), Int(syncIntervalMilliseconds * 1000), decimals: 2)) sync intervals of "
                    + "\(syncIntervalMilliseconds) ms after the last scenario event at "
                    + "\(Self.milliseconds(lastScenarioEventMicros)))"
            )
        } else if unconvergedNodes > 0 {
            lines.append(
                "not converged: \(unconvergedNodes) nodes miss \(unconvergedBlobs) blobs "
                    + "(\(endPairs - endHeld) node-blob pairs)"
            )
        } else {
            lines.append("not converged: \(scenarioEventsLeft) scenario events had not run")
        }
        if !missing.isEmpty {
            let shown = missing.prefix(Self.missingShown).map { "node \($0.node) (\($0.blobs))" }
            let more = missing.count > Self.missingShown ? ", ..." : ""
            lines.append("never delivered: \(missing.count) nodes miss blobs: \(shown.joined(separator: ", "))\(more)")
        }
        let p50 = Self.time(Self.percentile(0.50, of: timesToAll))
        let p99 = Self.time(Self.percentile(0.99, of: timesToAll))
        var timeLine = "time-to-all p50 \(p50), p99 \(p99) (\(completeBlobs) of \(published) blobs reached all)"
        if completeBlobs < published {
            let holders50 = Self.time(Self.percentile(0.50, of: timesToHolders))
            let holders99 = Self.time(Self.percentile(0.99, of: timesToHolders))
            timeLine += "; to the nodes that got them p50 \(holders50), p99 \(holders99)"
        }
        lines.append(timeLine)
        lines.append(
            "amplification \(Self.ratio(traffic.blobBytesSent, blobBytesNeeded, decimals: 3)) "
                + "(\(traffic.blobBytesSent) blob record bytes sent, \(blobBytesNeeded) needed)"
        )
        lines.append(
            "messages per blob \(Self.ratio(traffic.messages, published, decimals: 1)), "
                + "\(Self.ratio(traffic.messages, published * max(1, honestNodes), decimals: 2)) per node "
                + "(pushes \(Self.ratio(traffic.pushes, published, decimals: 1)), "
                + "served \(Self.ratio(traffic.served, published, decimals: 1)), "
                + "have \(Self.ratio(traffic.haves, published, decimals: 1)), "
                + "want \(Self.ratio(traffic.wants, published, decimals: 1)), "
                + "idontwant \(Self.ratio(traffic.idontwants, published, decimals: 1)))"
        )
        lines.append(
            "connections: \(counters.dials) dials (\(counters.dialsFailed) failed), \(counters.accepted) accepted, "
                + "\(counters.peersUp) peers up; \(counters.verifications) verifications "
                + "(\(counters.rejected) rejected); \(counters.bans) bans; \(counters.tooSlow) too slow"
        )
        if forks > 0 {
            let alerted = timesToAlert.count { $0 != .max }
            lines.append(
                "evidence: \(forks) forks, \(alerted) known to every node in the mesh; time to alert p50 "
                    + "\(Self.time(Self.percentile(0.50, of: timesToAlert))), "
                    + "p99 \(Self.time(Self.percentile(0.99, of: timesToAlert)))"
            )
        }
        if counters.refusedLocally + counters.pluginRequestsRefused > 0 {
            lines.append(
                "refused: \(counters.refusedLocally) blobs posted to a node (malformed for their channel's owner), "
                    + "\(counters.pluginRequestsRefused) plug-in requests (unregistered topic, unjudged evidence)"
            )
        }
        let offences = zip(PeerManager.Offence.allCases, counters.offences).filter { $0.1 > 0 }
        if !offences.isEmpty {
            lines.append("offences: " + offences.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        }
        for outcome in hostile {
            lines.append(
                "hostile \(outcome.kind.rawValue) ×\(outcome.count): \(outcome.dials) dials, "
                    + "\(outcome.closedByHonest) connections closed by honest nodes, \(outcome.bans) bans"
            )
        }
        if let quorum { lines += quorum.lines(meshTimeToAllP99: p99) }
        let kinds = zip(Simulation.Event.kindNames, eventsByKind.dropFirst()).filter { $0.1 > 0 }
        lines.append("events: " + kinds.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        lines.append("trace hash: \(traceHash.hex)")
        return lines.joined(separator: "\n")
    }

    /// A time-to-all: milliseconds, `never`, or `-` when there is none.
    static func time(_ micros: UInt64?) -> String {
        guard let micros else { return "-" }
        return micros == .max ? "never" : milliseconds(micros)
    }

    /// Microseconds as milliseconds with three decimals, e.g. `1234.567 ms`.
    static func milliseconds(_ micros: UInt64) -> String {
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) ms"
    }

    /// A share with two decimals, rounded down so that only a whole shows as `100.00 %`; `-` when there is nothing
    /// to share.
    static func percent(_ part: Int, _ whole: Int) -> String {
        guard whole > 0 else { return "- %" }
        let basisPoints = part * 10_000 / whole
        let fraction = String(basisPoints % 100)
        return "\(basisPoints / 100).\(String(repeating: "0", count: 2 - fraction.count))\(fraction) %"
    }

    /// A quotient rounded to `decimals` places, in integers only; `-` when the divisor is zero.
    static func ratio(_ numerator: Int, _ denominator: Int, decimals: Int) -> String {
        guard denominator > 0 else { return "-" }
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (numerator * scale + denominator / 2) / denominator
        guard decimals > 0 else { return String(scaled) }
        let fraction = String(scaled % scale)
        return "\(scaled / scale).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
    }
}
