import CairnCore
import CairnProtocol
import Testing

@testable import CairnSim

/// Small scenarios run end to end: determinism, delivery, hostile peers, churn, partitions, scenario errors.
@Suite struct SimulationTests {
    /// About 20 nodes and 20 blobs: steady gossip.
    static let steady = """
        name = "small-steady"
        nodes = 20
        warmup_ms = 2000
        settle_ms = 5000
        [blobs]
        count = 20
        size_bytes = 256
        publish_rate_per_s = 50
        [node]
        bootstrap_peers = 3
        """

    static let steadyScenario = try! Scenario(toml: steady)
    static let steadyRun = Simulation(scenario: steadyScenario, seed: 7).run()

    @Test func sameSeedGivesTheSameTraceAndSummary() {
        let again = Simulation(scenario: Self.steadyScenario, seed: 7).run()
        #expect(again == Self.steadyRun)
        #expect(again.text == Self.steadyRun.text)
        #expect(again.text.hasSuffix("trace hash: \(Self.steadyRun.traceHash.hex)"))
    }

    @Test func anotherSeedGivesAnotherTrace() {
        let other = Simulation(scenario: Self.steadyScenario, seed: 8).run()
        #expect(other.traceHash != Self.steadyRun.traceHash)
    }

    @Test func steadyGossipDeliversEveryBlobToEveryNode() {
        let summary = Self.steadyRun
        #expect(summary.outcome == .complete)
        #expect(summary.published == 20)
        #expect(summary.eligiblePairs == 20 * 19)
        #expect(summary.deliveredPairs == summary.eligiblePairs)
        #expect(summary.completeBlobs == 20)
        #expect(summary.missing.isEmpty)
        #expect(summary.text.contains("delivery 100.00 %"))
    }

    /// Blobs above `eager_push_max_bytes` are announced and fetched once per link, so their bytes cross each link
    /// about once, and small ones are pushed along the mesh: full replicas, not the gossip router alone.
    @Test(arguments: [(256, 2.0, 10.0), (64 * 1024, 1.0, 1.5)])
    func largeBlobsCrossEachLinkAboutOnceAndSmallOnesRideTheMesh(
        sizeBytes: Int,
        lowest: Double,
        highest: Double
    ) {
        var scenario = Self.steadyScenario
        scenario.blobs.sizeBytes = sizeBytes
        let summary = Simulation(scenario: scenario, seed: 7).run()
        #expect(summary.deliveredPairs == summary.eligiblePairs)
        let amplification = Double(summary.traffic.blobBytesSent) / Double(summary.blobBytesNeeded)
        #expect(amplification >= lowest && amplification < highest, "amplification \(amplification)")
    }

    /// Two members publish the two sides of a fork at once: every node in the mesh ends up holding the evidence,
    /// whether its own store detected the fork or a peer's evidence reached it first.
    @Test func everyNodeLearnsOfEveryFork() throws {
        let scenario = try Scenario(toml: Self.steady + "\n[forks]\ncount = 3\nat_ms = [2200, 2400]")
        let summary = Simulation(scenario: scenario, seed: 7).run()
        #expect(summary.forks == 3)
        #expect(summary.timesToAlert.count == 3)
        #expect(summary.timesToAlert.allSatisfy { $0 != .max })
        #expect(summary.deliveredPairs == summary.eligiblePairs)
        #expect(summary.text.contains("evidence: 3 forks, 3 known to every node in the mesh"))
        // Evidence crosses each connection at most once each way: no more records than peer-ups, per fork.
        let fork = try SignedBlob.sign(
            key: try SigningKey(seed: [UInt8](repeating: 1, count: 32)),
            channel: try ChannelName("sim/fork/0"),
            seq: 1,
            prev: .zero,
            timestamp: 2200,
            payload: Array("fork 0 side 0".utf8)
        )
        let record = 2 * (4 + fork.encoding.count) + 2 + 2 + 4 + 20
        #expect(summary.traffic.evidenceBytesSent > 0)
        #expect(summary.traffic.evidenceBytesSent <= 3 * summary.counters.peersUp * record)
    }

    /// Every node bootstraps from one random node; `hello` advertisements and peer exchange let each reach its
    /// outbound target, with one connection per key and never one to itself.
    @Test func nodesThatKnowOnePeerReachTheirOutboundTargetThroughPeerExchange() throws {
        let scenario = try Scenario(
            toml: """
                name = "exchange"
                nodes = 16
                warmup_ms = 65000
                settle_ms = 1000
                [blobs]
                count = 1
                [node]
                bootstrap_peers = 1
                outbound_target = 4
                """
        )
        let simulation = Simulation(scenario: scenario, seed: 3)
        #expect(simulation.run().deliveredPairs == 15)
        for node in simulation.nodes {
            let peers = try #require(node.replica).peers
            #expect(peers.count { $0.direction == .outbound } == 4, "node \(node.index)")
            #expect(Set(peers.map(\.key)).count == peers.count)
            #expect(!peers.contains { $0.key == node.identity.publicKey })
            #expect(try #require(node.replica).knownAddresses.count == 15, "node \(node.index) knows every other")
        }
    }

    /// Receivers of blobs of 1 KiB and more tell the nodes that push to them `idontwant`, which skip those pushes:
    /// fewer blob bytes cross the links than with `idontwant` off.
    @Test func idontwantCutsTheCopiesOfMediumBlobs() throws {
        func run(idontwantMinBytes: Int) throws -> Summary {
            var scenario = Self.steadyScenario
            scenario.blobs.sizeBytes = 4 * 1024
            scenario.node.idontwantMinBytes = idontwantMinBytes
            return Simulation(scenario: scenario, seed: 7).run()
        }
        let with = try run(idontwantMinBytes: 1024)
        let without = try run(idontwantMinBytes: Int(Int32.max))
        #expect(with.deliveredPairs == with.eligiblePairs && without.deliveredPairs == without.eligiblePairs)
        #expect(with.traffic.idontwants > 0 && without.traffic.idontwants == 0)
        #expect(with.traffic.blobBytesSent < without.traffic.blobBytesSent)
    }

    @Test func unsealedRecordsGiveTheSameDeliveryAndTrace() {
        var scenario = Self.steadyScenario
        scenario.plaintextRecords = true
        let unsealed = Simulation(scenario: scenario, seed: 7).run()
        #expect(unsealed.traceHash == Self.steadyRun.traceHash)
        #expect(unsealed.deliveredPairs == Self.steadyRun.deliveredPairs)
        #expect(unsealed.timesToAll == Self.steadyRun.timesToAll)
    }

    @Test func memoisedSignaturesGiveTheSameDeliveryAndTrace() {
        var scenario = Self.steadyScenario
        scenario.memoiseSignatures = true
        let memoised = Simulation(scenario: scenario, seed: 7).run()
        #expect(memoised.traceHash == Self.steadyRun.traceHash)
        #expect(memoised.deliveredPairs == Self.steadyRun.deliveredPairs)
        #expect(memoised.timesToAll == Self.steadyRun.timesToAll)
    }

    @Test func hostilePeersAreCutOffWhileHonestNodesGetEveryBlob() throws {
        let scenario = try Scenario(
            toml: """
                nodes = 20
                warmup_ms = 2000
                settle_ms = 5000
                [blobs]
                count = 20
                size_bytes = 256
                publish_rate_per_s = 2
                [node]
                bootstrap_peers = 3
                [[hostile]]
                kind = "junk"
                count = 3
                [[hostile]]
                kind = "silent"
                count = 2
                [[hostile]]
                kind = "forgedBlobs"
                count = 2
                [[hostile]]
                kind = "flood"
                count = 2
                """
        )
        let summary = Simulation(scenario: scenario, seed: 3).run()
        #expect(summary.outcome == .complete)
        #expect(summary.deliveredPairs == 20 * 19)
        let outcomes = Dictionary(uniqueKeysWithValues: summary.hostile.map { ($0.kind, $0) })
        let junk = try #require(outcomes[.junk])
        #expect(junk.dials > 0)
        #expect(junk.closedByHonest >= junk.dials)
        let silent = try #require(outcomes[.silent])
        #expect(silent.closedByHonest > 0)
        let forged = try #require(outcomes[.forgedBlobs])
        #expect(forged.bans > 0)
        #expect(summary.counters.rejected > 0)
        // A steady flood of one valid blob outpaces score decay: flooders are disconnected.
        let flood = try #require(outcomes[.flood])
        #expect(flood.closedByHonest > 0)
    }

    @Test func nodesThatJoinLateOrRejoinCatchUpOnEverythingByReconciliation() throws {
        let scenario = try Scenario(
            toml: """
                nodes = 20
                warmup_ms = 2000
                settle_ms = 5000
                [blobs]
                count = 20
                size_bytes = 256
                publish_rate_per_s = 4
                [node]
                bootstrap_peers = 3
                [churn]
                leave_fraction = 0.2
                leave_between_ms = [2500, 4000]
                down_ms = [1000, 2000]
                late_joiners = 4
                join_between_ms = [3000, 4000]
                """
        )
        let summary = Simulation(scenario: scenario, seed: 5).run()
        #expect(summary.counters.peersUp > 0)
        #expect(summary.upAtEnd == 20)
        #expect(summary.eligiblePairs < 20 * 19)
        #expect(summary.deliveredPairs == summary.eligiblePairs)
        // Blobs published while a node was away reach it too: reconciliation on connect fetches them, and the run
        // is complete only once they have.
        #expect(summary.outcome == .complete)
        #expect(summary.convergedMicros == summary.endMicros)
        #expect(summary.endHeld == summary.endPairs)
        #expect(summary.counters.syncRounds > 0)
    }

    @Test func aPartitionHoldsTrafficUntilItHeals() throws {
        let scenario = try Scenario(
            toml: """
                nodes = 20
                warmup_ms = 2000
                settle_ms = 5000
                [blobs]
                count = 10
                size_bytes = 256
                publish_rate_per_s = 10
                [node]
                bootstrap_peers = 3
                [[partitions]]
                groups = [[0, 9], [10, 19]]
                from_ms = 1900
                until_ms = 4000
                """
        )
        let summary = Simulation(scenario: scenario, seed: 11).run()
        #expect(summary.deliveredPairs == summary.eligiblePairs)
        let slowest = try #require(summary.timesToAll.last)
        #expect(slowest > 1_000_000)
        // The heal is the last scenario event: the run cannot be complete before it.
        #expect(summary.outcome == .complete)
        #expect(summary.lastScenarioEventMicros == 4_000_000)
        #expect(try #require(summary.convergedMicros) > 4_000_000)
        #expect(summary.eventsByKind[Int(Simulation.Event.heal(partition: 0).traceKind)] == 1)
    }

    @Test(
        arguments: [
            ("nodes = 20\ncolour = 1", "colour"),
            ("nodes = 20\n[links]\nlatency = [1, 2]", "links.latency"),
            ("nodes = \"many\"", "nodes"),
            ("nodes = 1", "nodes"),
            ("nodes = 20\n[links]\nlatency_ms = [50, 5]", "links.latency_ms"),
            ("nodes = 20\n[links]\nloss_rate = 2.0", "links.loss_rate"),
            ("nodes = 20\nmemoise_signatures = \"yes\"", "memoise_signatures"),
            ("nodes = 20\nplaintext_records = 1", "plaintext_records"),
            ("nodes = 20\n[forks]\ncount = -1", "forks.count"),
            ("nodes = 20\n[node]\nidontwant_min_bytes = -5", "node.idontwant_min_bytes"),
            ("nodes = 20\n[node]\nsync_interval_ms = 0", "node.sync_interval_ms"),
            ("nodes = 20\n[node]\nsync_interval_ms = 99", "node.sync_interval_ms"),
            ("nodes = 20\n[node]\nsync_interval_ms = -5000", "node.sync_interval_ms"),
            ("nodes = 20\n[node]\nsync_interval_ms = 86400001", "node.sync_interval_ms"),
            ("nodes = 20\n[node]\nsync_interval_ms = \"5s\"", "node.sync_interval_ms"),
            ("nodes = 20\n[node]\nsync_interval_ms = 2500.5", "node.sync_interval_ms"),
            ("nodes = 20\n[node]\nsync_interval = 5000", "node.sync_interval"),
            (
                "nodes = 30\n[[partitions]]\ngroups = [[0, 9], [5, 19]]\nfrom_ms = 1\nuntil_ms = 2",
                "partitions[0].groups[1]"
            ),
            ("nodes = 20\n[[hostile]]\nkind = \"rude\"\ncount = 1", "hostile[0].kind"),
            ("nodes = 20\n[[hostile]]\nkind = \"junk\"\ncount = 1\nspeed = 3", "hostile[0].speed"),
            ("nodes = 20\n[churn]\nlate_joiners = 20", "churn.late_joiners"),
            ("[blobs]\ncount = 3", "nodes"),
            ("nodes = 20\n[quorum]\nmembers = 0", "quorum.members"),
            ("nodes = 20\n[quorum]\nmembers = 21", "quorum.members"),
            ("nodes = 20\n[quorum]\nmembers = 5\nstake_holders = 4", "quorum.stake_holders"),
            ("nodes = 20\n[quorum]\nheights = 0", "quorum.heights"),
            ("nodes = 20\n[quorum]\nblocks = 3", "quorum.blocks"),
            ("nodes = 20\n[quorum]\n[quorum.equivocation]\nmember = 1", "quorum.equivocation.height"),
            (
                "nodes = 20\n[quorum]\nheights = 4\n[quorum.equivocation]\nmember = 0\nheight = 5",
                "quorum.equivocation.height"
            ),
            (
                "nodes = 20\n[quorum]\nmembers = 3\n[quorum.equivocation]\nmember = 3\nheight = 1",
                "quorum.equivocation.member"
            ),
            ("nodes = 6\n[quorum]\nmembers = 5\n[quorum.equivocation]\nmember = 1\nheight = 1", "quorum.members"),
        ]
    )
    func aBadScenarioIsRefusedNamingTheKey(text: String, key: String) {
        #expect {
            _ = try Scenario(toml: text)
        } throws: { error in
            guard let error = error as? ScenarioError else { return false }
            return error.key == key && error.description.contains("'\(key)'")
        }
    }

    /// The default is the core's; a scenario's value reaches every replica's configuration.
    @Test func theSyncIntervalComesFromTheScenario() throws {
        #expect(Self.steadyScenario.node.syncIntervalMilliseconds == Replica.SyncConfiguration().intervalMilliseconds)
        let scenario = try Scenario(toml: Self.steady + "\nsync_interval_ms = 2000")
        #expect(scenario.node.syncIntervalMilliseconds == 2_000)
        #expect(Simulation(scenario: scenario, seed: 7).configuration.sync.intervalMilliseconds == 2_000)
    }

    @Test func aSyntaxErrorSaysWhere() {
        #expect(throws: ScenarioError.self) { _ = try Scenario(toml: "nodes = = 3") }
    }

    @Test(arguments: ["steady", "churn", "hostile", "large", "huge", "mesh10", "equivocation", "partition3", "quorum"])
    func theShippedScenariosLoad(name: String) throws {
        let root = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let scenario = try Scenario(contentsOfFile: "/\(root)/Config/sim/\(name).toml")
        #expect(scenario.name == name)
        #expect(scenario.nodes >= 10)
    }
}
