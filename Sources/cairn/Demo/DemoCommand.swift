import ArgumentParser
import CairnAPI
import CairnCore
import CairnQuorum
import Foundation

/// `cairn demo`: five node processes with a three-member quorum; heights 1–3 decided, member 2 double-signs height 4
/// with its halves sent to two different nodes, and every node finds the evidence, alerts, and switches to an epoch
/// without it. Prints a timeline, exits 0 only if every node agrees, and leaves nothing running or on disk.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run five nodes with a 3-member quorum and show a double sign exposed and its member replaced."
    )

    /// The network name of the demo's genesis.
    static let network = "cairn-demo"
    /// How long each step may take before the demo gives up.
    static let stepDeadline = Duration.seconds(30)

    func run() async throws {
        let cluster = try DemoCluster()
        defer { cluster.stop() }
        do {
            try await DemoRun(cluster: cluster).run()
        } catch {
            for node in cluster.nodes {
                FileHandle.standardError.write(Data("--- node \(node.index) log ---\n\(cluster.logTail(node))\n".utf8))
            }
            throw error
        }
        print("stopped \(cluster.nodes.count) nodes and removed \(cluster.root)")
    }
}

/// One run of the demo's script.
struct DemoRun {
    let cluster: DemoCluster
    /// The demo genesis's keys: seeds 0x01… to 0x05…; the first three are the initial quorum.
    let keys = (1...5).map { byte in try! SigningKey(seed: [UInt8](repeating: UInt8(byte), count: 32)) }

    func run() async throws {
        let genesisPath = (cluster.root as NSString).appendingPathComponent("genesis.toml")
        guard FileManager.default.createFile(atPath: genesisPath, contents: Data(genesisText.utf8)) else {
            throw CLIError("cannot write \(genesisPath)")
        }
        for key in keys {
            _ = try await cluster.start(key: key, network: DemoCommand.network, genesis: genesisPath)
        }
        let nodes = cluster.nodes
        let members = Array(nodes.prefix(3))
        print(
            "cairn demo: \(nodes.count) nodes on 127.0.0.1, a quorum of nodes 1, 2 and 3; data in \(cluster.root)"
        )
        try await waitForAll("every node connected") { node in try await peerCount(node) >= 1 }

        for height in UInt64(1)...3 {
            let start = ContinuousClock.now
            try await sign(members, height: height, block: block(height))
            try await waitForAll("height \(height) decided") { node in
                try await status(node).lastDecidedHeight >= height
            }
            print("  height \(height): members 1, 2, 3 sign; decided at every node in \(milliseconds(since: start)) ms")
        }

        let watcher = try DemoWatcher(
            api: nodes[4].api,
            topics: "equivocation",
            stateDirectory: (cluster.root as NSString).appendingPathComponent("watch")
        )
        defer { watcher.stop() }

        let offender = keys[1]
        print("member 2 (\(short(offender.publicKey))) signs two blocks for height 4: one to node 4, one to node 5")
        let (first, second) = try await doubleSign(offender, epoch: 0, height: 4, via: nodes[1])
        var timeline = DemoTimeline()
        async let postedFirst: Void = post(first, to: nodes[3])
        async let postedSecond: Void = post(second, to: nodes[4])
        timeline.start()
        try await postedFirst
        timeline.note("node 4 stored the first half")
        try await postedSecond
        timeline.note("node 5 stored the second half")

        let offenderHex = offender.publicKey.hex
        let observed = try await observeAll(timeline: &timeline) { node, status, note in
            guard let found = status.equivocations.first(where: { $0.author == offenderHex }) else { return false }
            note("evidence", "node \(node.index): evidence \(found.evidence.prefix(16))… against member 2")
            guard status.epochNumber >= 1 else { return false }
            note(
                "switch",
                "node \(node.index): epoch \(status.epochNumber) from height \(status.epoch.start), members "
                    + status.epoch.members.map { String($0.prefix(8)) }.joined(separator: ", ")
            )
            return true
        }
        let evidenceID = Evidence.id(kind: QuorumRules.equivocationKind, first.id, second.id).hex
        let alert = try await watcher.line(containing: evidenceID, timeout: DemoCommand.stepDeadline)
        timeline.note(
            "watcher on node 5 (cairn watch): equivocation alert, evidence \(evidenceID.prefix(16))…",
            at: alert.at
        )
        let start = ContinuousClock.now
        try await sign([nodes[0], nodes[2]], height: 4, block: block(4))
        try await waitForAll("height 4 decided by the new epoch") { node in
            try await status(node).lastDecidedHeight >= 4
        }
        print(timeline.rendered)
        print("  height 4: members 1 and 3 sign in epoch 1; decided at every node in \(milliseconds(since: start)) ms")
        try check(observed, offender: offender.publicKey)
    }

    // MARK: Steps

    /// The member nodes sign `block` at `height`, each with its own key, concurrently.
    private func sign(_ members: [DemoCluster.Member], height: UInt64, block: BlockHash) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for member in members {
                group.addTask {
                    let request = Components.Schemas.SignRequest(height: String(height), block: block.hex)
                    _ = try await member.client.call { try await $0.signQuorumBlock(body: .json(request)).created }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Two signatures by `key` for one (epoch, height), both after its channel's tip as `node` lists it (so the
    /// channel forks too), made here as a faulty member would.
    private func doubleSign(_ key: SigningKey, epoch: UInt64, height: UInt64, via node: DemoCluster.Member)
        async throws -> (SignedBlob, SignedBlob)
    {
        let quorum = try await QuorumClient(node.client)
        let tip = try await quorum.tip(of: key.publicKey, QuorumChannel.signature)
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let blobs = try ["", "′"].map { variant in
            let signature = try QuorumSignature(
                genesis: quorum.genesis,
                epoch: epoch,
                height: height,
                block: block(height, variant),
                voteSet: QuorumSignature.emptyVoteSet
            )
            return try SignedBlob.sign(
                key: key,
                channel: QuorumChannel.signature,
                seq: (tip?.seq ?? 0) + 1,
                prev: tip?.id ?? .zero,
                timestamp: now,
                payload: signature.encoding
            )
        }
        return (blobs[0], blobs[1])
    }

    private func post(_ blob: SignedBlob, to node: DemoCluster.Member) async throws {
        try await node.client.postSigned(blob)
    }

    /// Polls every node concurrently until `observe` says it is done, noting each first observation (by kind) on the
    /// timeline with the time it was seen.
    private func observeAll(
        timeline: inout DemoTimeline,
        _ observe: @escaping @Sendable (DemoCluster.Member, DemoStatus, (String, String) -> Void) -> Bool
    ) async throws -> [Int: DemoStatus] {
        let deadline = ContinuousClock.now + DemoCommand.stepDeadline
        return try await withThrowingTaskGroup(of: (Int, DemoStatus, [(ContinuousClock.Instant, String)]).self) {
            group in
            for node in cluster.nodes {
                group.addTask {
                    var seen: Set<String> = []
                    var notes: [(ContinuousClock.Instant, String)] = []
                    while true {
                        let current = try await status(node)
                        let at = ContinuousClock.now
                        let done = observe(node, current) { kind, text in
                            if seen.insert(kind).inserted { notes.append((at, text)) }
                        }
                        if done { return (node.index, current, notes) }
                        guard at < deadline else {
                            throw CLIError(
                                "node \(node.index) did not switch to a new epoch within \(DemoCommand.stepDeadline)"
                            )
                        }
                        try await Task.sleep(for: .milliseconds(2))
                    }
                }
            }
            var finished: [Int: DemoStatus] = [:]
            for try await (index, status, notes) in group {
                finished[index] = status
                for (at, text) in notes { timeline.note(text, at: at) }
            }
            return finished
        }
    }

    /// Every node must hold the same evidence against `offender` and the same new epoch without it.
    private func check(_ observed: [Int: DemoStatus], offender: PublicKey) throws {
        let evidence = Set(observed.values.compactMap { $0.equivocations.first?.evidence })
        let epochs = Set(observed.values.map { "\($0.epochNumber) \($0.epoch.start) \($0.epoch.members)" })
        guard evidence.count == 1, epochs.count == 1, let status = observed.values.first else {
            throw CLIError("the nodes disagree: evidence \(evidence), epochs \(epochs)")
        }
        guard !status.epoch.members.contains(offender.hex) else {
            throw CLIError("the new epoch still has member 2: \(status.epoch.members)")
        }
        print(
            "every node agrees: evidence \(evidence.first!), epoch \(status.epochNumber) from height "
                + "\(status.epoch.start) without member 2"
        )
    }

    /// Waits until `condition` holds at every node.
    private func waitForAll(_ what: String, _ condition: (DemoCluster.Member) async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + DemoCommand.stepDeadline
        for node in cluster.nodes {
            while try await !condition(node) {
                guard ContinuousClock.now < deadline else {
                    throw CLIError("\(what): node \(node.index) not there within \(DemoCommand.stepDeadline)")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    private func status(_ node: DemoCluster.Member) async throws -> DemoStatus {
        DemoStatus(status: try await node.client.call { try await $0.getQuorum().ok.body.json })
    }

    private func peerCount(_ node: DemoCluster.Member) async throws -> Int {
        (try? await node.client.call { try await $0.getPeers().ok.body.json })?.peers.count ?? 0
    }

    // MARK: Data

    /// The application's block at `height` (`variant` makes a conflicting one).
    private func block(_ height: UInt64, _ variant: String = "") -> BlockHash {
        BlockHash(unchecked: Blake2b.hash256(Array("cairn demo block \(height)\(variant)".utf8)))
    }

    private func short(_ key: PublicKey) -> String { String(key.hex.prefix(8)) + "…" }

    private func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// The demo's genesis: five holders, the first three the initial quorum (Docs/QUORUM.md describes each key).
    private var genesisText: String {
        let stake: [UInt64] = [100, 100, 100, 60, 40]
        return """
            network = "\(DemoCommand.network)"
            quorum_size = 3
            min_vote_stake = 10
            vote_lag_heights = 2
            vote_commit_heights = 4
            epoch_length_heights = 100
            stall_alert_ms = 10000
            initial_quorum = [\(keys.prefix(3).map { "\"\($0.publicKey.hex)\"" }.joined(separator: ", "))]

            [stake]
            \(zip(keys, stake).map { "\($0.publicKey.hex) = \($1)" }.joined(separator: "\n"))

            """
    }
}

/// The part of `GET /v1/quorum` the demo reads.
struct DemoStatus {
    /// The node's `GET /v1/quorum` answer.
    let status: Components.Schemas.QuorumStatus

    var epoch: Components.Schemas.QuorumEpoch { status.epoch }
    var equivocations: [Components.Schemas.QuorumEquivocation] { status.equivocations }
    var lastDecidedHeight: UInt64 { UInt64(status.lastDecidedHeight) ?? 0 }
    var epochNumber: UInt64 { UInt64(epoch.epoch) ?? 0 }
}

/// What happened when, in milliseconds from the second half of the double sign.
struct DemoTimeline {
    private var origin = ContinuousClock.now
    private var entries: [(milliseconds: Double, text: String)] = []

    /// Time starts now.
    mutating func start() {
        origin = ContinuousClock.now
        entries.append((0, "both halves posted"))
    }

    /// Something happened at `instant` (now by default).
    mutating func note(_ text: String, at instant: ContinuousClock.Instant = .now) {
        let elapsed = instant - origin
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        entries.append((milliseconds, text))
    }

    /// The timeline, one line per entry, in time order.
    var rendered: String {
        entries.sorted { $0.milliseconds < $1.milliseconds }
            .map { String(format: "  %+8.1f ms  ", $0.milliseconds) + $0.text }
            .joined(separator: "\n")
    }
}
