import CairnProtocol
import Foundation
import TOMLKit

/// What one simulation run is: the network, the traffic and the faults, read from a TOML file (`Config/sim/*.toml`).
///
/// Every key but `nodes` has a default. Times are virtual milliseconds from the start of the run; ranges are
/// two-element arrays `[low, high]`, both ends included. Unknown keys, wrong types and values out of range are
/// refused with a `ScenarioError` that names the key.
struct Scenario: Sendable, Equatable {
    /// The blobs published during the run.
    struct Blobs: Sendable, Equatable {
        /// How many blobs are published.
        var count = 100
        /// The payload size of each blob, in bytes.
        var sizeBytes = 1024
        /// Blobs published per virtual second, spread evenly.
        var publishRatePerSecond = 100.0
        /// How many author keys sign them (each author signs its own channel, in sequence).
        var authors = 8
    }

    /// The simulated TCP links.
    struct Links: Sendable, Equatable {
        /// One-way latency of a node pair, drawn once per pair from this range, in milliseconds.
        var latencyMilliseconds: ClosedRange<UInt64> = 5...50
        /// Bytes per millisecond in each direction of a connection.
        var bandwidthBytesPerMillisecond: UInt64 = 12_500
        /// The chance that a write is lost once and retransmitted (it arrives a retransmission timeout late).
        var lossRate = 0.0
    }

    /// How each honest node is configured and how fast it works.
    struct NodeSettings: Sendable, Equatable {
        /// CPU time per blob verified (decode, signature, hand-off), in milliseconds; one node verifies one blob
        /// at a time. The default is the real node's measured CPU per delivered blob.
        var perHopProcessingMilliseconds = 0.85
        /// Outbound connections each replica keeps.
        var outboundTarget = 8
        /// Inbound connections each replica accepts at most.
        var inboundCap = 32
        /// Bootstrap addresses each node is configured with (random earlier nodes).
        var bootstrapPeers = 4
        /// Blobs at least this large make receivers send `idontwant` to their pushers (`nil`: the core's default).
        var idontwantMinBytes: Int?
        /// How often each replica starts a reconciliation round with a random peer, in milliseconds (the core's
        /// `sync.interval_ms`; a round also starts on every new connection).
        var syncIntervalMilliseconds = Replica.SyncConfiguration().intervalMilliseconds
    }

    /// Nodes that leave and rejoin, and nodes that join late.
    struct Churn: Sendable, Equatable {
        /// The fraction of the initial nodes that leave once and rejoin.
        var leaveFraction = 0.0
        /// When they leave.
        var leaveBetweenMilliseconds: ClosedRange<UInt64> = 5_000...20_000
        /// How long each stays away.
        var downMilliseconds: ClosedRange<UInt64> = 2_000...10_000
        /// How many of the `nodes` start late (the highest indices).
        var lateJoiners = 0
        /// When the late joiners start.
        var joinBetweenMilliseconds: ClosedRange<UInt64> = 5_000...20_000
    }

    /// A network partition: nodes in different groups cannot reach each other for a while.
    struct Partition: Sendable, Equatable {
        /// Groups of node indices, as inclusive ranges; nodes in no group form one more group together.
        var groups: [ClosedRange<Int>]
        /// When the partition starts.
        var fromMilliseconds: UInt64
        /// When it heals.
        var untilMilliseconds: UInt64
    }

    /// Equivocations: an author signs two different blobs for one slot and two nodes publish one each.
    struct Forks: Sendable, Equatable {
        /// How many forks.
        var count = 0
        /// When each happens: a random instant in this range, in virtual milliseconds.
        var atMilliseconds: ClosedRange<UInt64> = 6_000...8_000
    }

    /// A set of hostile peers of one kind.
    struct Hostile: Sendable, Equatable {
        /// What they do.
        var kind: HostilePeer.Kind
        /// How many there are.
        var count: Int
        /// How often each acts (dials, sends), in milliseconds.
        var intervalMilliseconds: UInt64 = 500
        /// Connections each keeps open at most (its own dials).
        var maxConnections = 4
        /// Bytes a junk peer writes on each connection.
        var junkBytes = 256
        /// Copies of its blob a flooder sends per act and connection.
        var floodBurst = 32
    }

    /// The scenario's name, for the summary.
    var name: String
    /// Honest nodes, late joiners included.
    var nodes: Int
    /// The run stops at this virtual instant even if blobs are still missing.
    var durationLimitMilliseconds: UInt64 = 600_000
    /// Blobs are published from this instant on, once the mesh has formed.
    var warmupMilliseconds: UInt64 = 5_000
    /// Once every scenario event ran, the run ends when no blob has been delivered for this long: what is still
    /// missing then is reported as never delivered.
    var settleMilliseconds: UInt64 = 30_000
    /// Initial nodes start at random instants in `[0, startSpreadMilliseconds)`.
    var startSpreadMilliseconds: UInt64 = 1_000
    /// Answer a verification of a blob the simulation signed from a memo table keyed by its id instead of checking
    /// the signature again; the run is otherwise identical.
    var memoiseSignatures = false
    /// Carry records in plaintext behind the same framing (`SecureChannel.Cipher.plaintextForSimulation`) instead
    /// of sealing each one; handshakes stay real. The run is otherwise identical.
    var plaintextRecords = false
    /// The mesh name every replica uses.
    var network = "cairn-sim"
    /// The published blobs.
    var blobs = Blobs()
    /// The links.
    var links = Links()
    /// Per-node settings.
    var node = NodeSettings()
    /// Churn.
    var churn = Churn()
    /// Partitions.
    var partitions: [Partition] = []
    /// Hostile peers.
    var hostile: [Hostile] = []
    /// Equivocations to detect and flood.
    var forks = Forks()
    /// A quorum network (the quorum plug-in on every node, members signing heights), when the scenario has one.
    var quorum: Quorum?

    /// Hostile peers of every kind.
    var hostileCount: Int { hostile.reduce(0) { $0 + $1.count } }

    /// A scenario of `nodes` honest nodes and the defaults.
    init(name: String, nodes: Int) {
        self.name = name
        self.nodes = nodes
    }

    /// Reads a scenario file; its name defaults to the file name without `.toml`.
    /// - Throws: `ScenarioError`.
    init(contentsOfFile path: String) throws(ScenarioError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        var name = String(path.split(separator: "/").last ?? Substring(path))
        if name.hasSuffix(".toml") { name.removeLast(5) }
        try self.init(toml: text, defaultName: name)
    }

    /// Parses a scenario document.
    /// - Parameters:
    ///   - text: the TOML text.
    ///   - defaultName: the name when the document gives none.
    /// - Throws: `ScenarioError` naming the first bad key.
    init(toml text: String, defaultName: String = "scenario") throws(ScenarioError) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .syntax(line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch {
            throw .syntax(line: 0, column: 0, message: String(describing: error))
        }
        var root = TableReader(table, path: "")
        self.init(name: try root.string("name", default: defaultName), nodes: 0)
        nodes = try root.int("nodes", default: nil, in: 2...64_000)
        durationLimitMilliseconds = try root.uint(
            "duration_limit_ms",
            default: durationLimitMilliseconds,
            in: 1...86_400_000
        )
        warmupMilliseconds = try root.uint("warmup_ms", default: warmupMilliseconds, in: 0...3_600_000)
        settleMilliseconds = try root.uint("settle_ms", default: settleMilliseconds, in: 1...86_400_000)
        startSpreadMilliseconds = try root.uint("start_spread_ms", default: startSpreadMilliseconds, in: 1...3_600_000)
        memoiseSignatures = try root.bool("memoise_signatures", default: memoiseSignatures)
        plaintextRecords = try root.bool("plaintext_records", default: plaintextRecords)
        network = try root.string("network", default: network)
        guard !network.isEmpty, network.utf8.count <= 64 else {
            throw .invalidValue(key: "network", value: "\"\(network)\"", reason: "1 to 64 bytes")
        }
        if var section = try root.table("blobs") {
            blobs.count = try section.int("count", default: blobs.count, in: 0...1_000_000)
            blobs.sizeBytes = try section.int("size_bytes", default: blobs.sizeBytes, in: 1...1_048_576)
            blobs.publishRatePerSecond = try section.double(
                "publish_rate_per_s",
                default: blobs.publishRatePerSecond,
                in: 0.001...1_000_000
            )
            blobs.authors = try section.int("authors", default: blobs.authors, in: 1...1024)
            try section.finish()
        }
        if var section = try root.table("links") {
            links.latencyMilliseconds = try section.range(
                "latency_ms",
                default: links.latencyMilliseconds,
                in: 0...60_000
            )
            links.bandwidthBytesPerMillisecond = try section.uint(
                "bandwidth_bytes_per_ms",
                default: links.bandwidthBytesPerMillisecond,
                in: 1...1_000_000_000
            )
            links.lossRate = try section.double("loss_rate", default: links.lossRate, in: 0...0.5)
            try section.finish()
        }
        if var section = try root.table("node") {
            node.perHopProcessingMilliseconds = try section.double(
                "per_hop_processing_ms",
                default: node.perHopProcessingMilliseconds,
                in: 0...10_000
            )
            node.outboundTarget = try section.int("outbound_target", default: node.outboundTarget, in: 1...256)
            node.inboundCap = try section.int("inbound_cap", default: node.inboundCap, in: 0...4096)
            node.bootstrapPeers = try section.int("bootstrap_peers", default: node.bootstrapPeers, in: 1...256)
            node.idontwantMinBytes = try section.int(
                "idontwant_min_bytes",
                default: node.idontwantMinBytes ?? GossipConfiguration().idontwantMinBytes,
                in: 0...Int(Int32.max)
            )
            node.syncIntervalMilliseconds = try section.uint(
                "sync_interval_ms",
                default: node.syncIntervalMilliseconds,
                in: 100...86_400_000
            )
            try section.finish()
        }
        if var section = try root.table("churn") {
            churn.leaveFraction = try section.double("leave_fraction", default: churn.leaveFraction, in: 0...1)
            churn.leaveBetweenMilliseconds = try section.range(
                "leave_between_ms",
                default: churn.leaveBetweenMilliseconds,
                in: 0...86_400_000
            )
            churn.downMilliseconds = try section.range("down_ms", default: churn.downMilliseconds, in: 1...86_400_000)
            churn.lateJoiners = try section.int("late_joiners", default: churn.lateJoiners, in: 0...(nodes - 1))
            churn.joinBetweenMilliseconds = try section.range(
                "join_between_ms",
                default: churn.joinBetweenMilliseconds,
                in: 0...86_400_000
            )
            try section.finish()
        }
        for (index, var section) in try root.tables("partitions").enumerated() {
            let groups = try section.ranges("groups", in: 0...(nodes - 1))
            for (later, range) in groups.enumerated() {
                guard let earlier = groups[..<later].firstIndex(where: { $0.overlaps(range) }) else { continue }
                throw .invalidValue(
                    key: "partitions[\(index)].groups[\(later)]",
                    value: "[\(range.lowerBound), \(range.upperBound)]",
                    reason: "overlaps groups[\(earlier)]: a node is in one group at most"
                )
            }
            let from = try section.uint("from_ms", default: nil, in: 0...86_400_000)
            let until = try section.uint("until_ms", default: nil, in: 0...86_400_000)
            guard from < until else {
                throw .invalidValue(
                    key: "partitions[\(index)].until_ms",
                    value: "\(until)",
                    reason: "must be after from_ms"
                )
            }
            partitions.append(Partition(groups: groups, fromMilliseconds: from, untilMilliseconds: until))
            try section.finish()
        }
        if var section = try root.table("forks") {
            forks.count = try section.int("count", default: forks.count, in: 0...10_000)
            forks.atMilliseconds = try section.range("at_ms", default: forks.atMilliseconds, in: 0...86_400_000)
            try section.finish()
        }
        for var section in try root.tables("hostile") {
            let kindText = try section.string("kind", default: nil)
            guard let kind = HostilePeer.Kind(rawValue: kindText) else {
                throw .invalidValue(
                    key: section.key("kind"),
                    value: "\"\(kindText)\"",
                    reason: "one of " + HostilePeer.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                )
            }
            var group = Hostile(kind: kind, count: try section.int("count", default: nil, in: 1...10_000))
            group.intervalMilliseconds = try section.uint(
                "interval_ms",
                default: group.intervalMilliseconds,
                in: 1...3_600_000
            )
            group.maxConnections = try section.int("max_connections", default: group.maxConnections, in: 1...1024)
            group.junkBytes = try section.int("junk_bytes", default: group.junkBytes, in: 1...1_048_576)
            group.floodBurst = try section.int("flood_burst", default: group.floodBurst, in: 1...10_000)
            hostile.append(group)
            try section.finish()
        }
        if var section = try root.table("quorum") { quorum = try Quorum(reading: &section, scenario: self) }
        try root.finish()
        guard nodes + hostileCount <= 64_000 else {
            throw .invalidValue(key: "hostile", value: "\(hostileCount)", reason: "at most 64000 nodes in all")
        }
        guard nodes * blobs.count <= Self.maxNodeBlobPairs else {
            throw .invalidValue(
                key: "blobs.count",
                value: "\(blobs.count)",
                reason: "nodes × blobs must not exceed \(Self.maxNodeBlobPairs) (the delivery table's bound)"
            )
        }
        guard initialNodes >= 1 else {
            throw .invalidValue(
                key: "churn.late_joiners",
                value: "\(churn.lateJoiners)",
                reason: "leaves no initial node"
            )
        }
    }

    /// The largest nodes × blobs: each pair takes 8 bytes of the delivery table.
    static let maxNodeBlobPairs = 100_000_000

    /// Nodes that start at the beginning (all but the late joiners).
    var initialNodes: Int { nodes - churn.lateJoiners }
}

extension Scenario {
    /// Reads typed values out of one TOML table, remembering which keys it read so the rest can be refused.
    struct TableReader {
        let table: TOMLTable
        /// The table's dotted path ("" for the document).
        let path: String
        private var used: Set<String> = []

        init(_ table: TOMLTable, path: String) {
            self.table = table
            self.path = path
        }

        /// The dotted path of `name` in this table.
        func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

        /// Refuses any key that was not read.
        func finish() throws(ScenarioError) {
            if let unknown = table.keys.filter({ !used.contains($0) }).sorted().first {
                throw .unknownKey(key(unknown))
            }
        }

        mutating func int(_ name: String, default fallback: Int?, in range: ClosedRange<Int>) throws(ScenarioError)
            -> Int
        {
            guard let value = try lookup(name, required: fallback == nil) else { return fallback! }
            guard let number = value.int else { throw wrongType(name, "an integer", value) }
            guard range.contains(number) else {
                throw .invalidValue(key: key(name), value: "\(number)", reason: Self.describe(range))
            }
            return number
        }

        mutating func uint(_ name: String, default fallback: UInt64?, in range: ClosedRange<Int>)
            throws(ScenarioError) -> UInt64
        {
            UInt64(try int(name, default: fallback.map { Int($0) }, in: range))
        }

        mutating func double(_ name: String, default fallback: Double, in range: ClosedRange<Double>)
            throws(ScenarioError) -> Double
        {
            guard let value = try lookup(name, required: false) else { return fallback }
            guard let number = value.double ?? value.int.map(Double.init) else {
                throw wrongType(name, "a number", value)
            }
            guard number.isFinite, range.contains(number) else {
                throw .invalidValue(
                    key: key(name),
                    value: "\(number)",
                    reason: "must be in \(range.lowerBound)...\(range.upperBound)"
                )
            }
            return number
        }

        mutating func bool(_ name: String, default fallback: Bool) throws(ScenarioError) -> Bool {
            guard let value = try lookup(name, required: false) else { return fallback }
            guard let flag = value.bool else { throw wrongType(name, "true or false", value) }
            return flag
        }

        mutating func string(_ name: String, default fallback: String?) throws(ScenarioError) -> String {
            guard let value = try lookup(name, required: fallback == nil) else { return fallback! }
            guard let text = value.string else { throw wrongType(name, "a string", value) }
            return text
        }

        /// A `[low, high]` pair of integers within `bounds`, low not above high.
        mutating func range(_ name: String, default fallback: ClosedRange<UInt64>, in bounds: ClosedRange<Int>)
            throws(ScenarioError) -> ClosedRange<UInt64>
        {
            guard let value = try lookup(name, required: false) else { return fallback }
            let pair = try self.pair(value, key: key(name), in: bounds)
            return UInt64(pair.lowerBound)...UInt64(pair.upperBound)
        }

        /// A non-empty array of `[low, high]` pairs within `bounds`.
        mutating func ranges(_ name: String, in bounds: ClosedRange<Int>) throws(ScenarioError) -> [ClosedRange<Int>] {
            guard let value = try lookup(name, required: true) else { return [] }
            guard let array = value.array, !array.isEmpty else {
                throw wrongType(name, "a non-empty array of [first, last] pairs", value)
            }
            var result: [ClosedRange<Int>] = []
            for index in 0..<array.count {
                result.append(try pair(array[index], key: "\(key(name))[\(index)]", in: bounds))
            }
            return result
        }

        /// The sub-table `name`, if present.
        mutating func table(_ name: String) throws(ScenarioError) -> TableReader? {
            guard let value = try lookup(name, required: false) else { return nil }
            guard let table = value.table else { throw wrongType(name, "a table", value) }
            return TableReader(table, path: key(name))
        }

        /// The array of tables `name` (`[[name]]`), empty if absent.
        mutating func tables(_ name: String) throws(ScenarioError) -> [TableReader] {
            guard let value = try lookup(name, required: false) else { return [] }
            guard let array = value.array else { throw wrongType(name, "an array of tables ([[\(name)]])", value) }
            var result: [TableReader] = []
            for index in 0..<array.count {
                guard let table = array[index].table else {
                    throw .wrongType(
                        key: "\(key(name))[\(index)]",
                        expected: "a table",
                        found: Self.typeName(array[index])
                    )
                }
                result.append(TableReader(table, path: "\(key(name))[\(index)]"))
            }
            return result
        }

        private mutating func lookup(_ name: String, required: Bool) throws(ScenarioError) -> TOMLValueConvertible? {
            used.insert(name)
            guard let value = table[name] else {
                if required { throw .missingKey(key(name)) }
                return nil
            }
            return value
        }

        private func pair(_ value: TOMLValueConvertible, key: String, in bounds: ClosedRange<Int>)
            throws(ScenarioError) -> ClosedRange<Int>
        {
            guard let array = value.array, array.count == 2, let low = array[0].int, let high = array[1].int else {
                throw .wrongType(
                    key: key,
                    expected: "an array of two integers [low, high]",
                    found: Self.typeName(value)
                )
            }
            guard bounds.contains(low), bounds.contains(high) else {
                throw .invalidValue(key: key, value: "[\(low), \(high)]", reason: Self.describe(bounds))
            }
            guard low <= high else {
                throw .invalidValue(
                    key: key,
                    value: "[\(low), \(high)]",
                    reason: "the first must not exceed the second"
                )
            }
            return low...high
        }

        private func wrongType(_ name: String, _ expected: String, _ value: TOMLValueConvertible) -> ScenarioError {
            .wrongType(key: key(name), expected: expected, found: Self.typeName(value))
        }

        private static func typeName(_ value: TOMLValueConvertible) -> String {
            switch value.type {
            case .table: "a table"
            case .array: "an array"
            case .string: "a string"
            case .int: "an integer"
            case .double: "a float"
            case .bool: "a boolean"
            case .date, .time, .dateTime: "a date or time"
            }
        }

        private static func describe(_ range: ClosedRange<Int>) -> String {
            "must be in \(range.lowerBound)...\(range.upperBound)"
        }
    }
}
