import CairnCore
import CairnProtocol
import Testing

@testable import CairnSim

/// Convergence, the run's completion rule since catch-up: every honest node up holds every published blob once the
/// scenario's events (starts, leaves, publications, heals) are done.
@Suite struct ConvergenceTests {
    /// 30 nodes form one mesh, are cut into three groups of ten at 1.5 s, publish 30 blobs while cut, and heal at
    /// 45 s: past the ping timeout (30 s), so the connections across the cut have died by then, and only
    /// reconciliation rounds on connections made after the heal can find the other groups' blobs.
    static let threeGroups = """
        name = "three-groups"
        nodes = 30
        warmup_ms = 2000
        settle_ms = 20000
        [blobs]
        count = 30
        size_bytes = 256
        publish_rate_per_s = 10
        [node]
        bootstrap_peers = 3
        sync_interval_ms = 2000
        [[partitions]]
        groups = [[0, 9], [10, 19], [20, 29]]
        from_ms = 1500
        until_ms = 45000
        """

    static let threeGroupsScenario = try! Scenario(toml: threeGroups)

    /// What a finished run of `threeGroups` leaves behind.
    struct Ended: Sendable {
        var summary: Summary
        /// Who published each blob, and when (microseconds).
        var publisher: [Int]
        var publishedAt: [UInt64]
        /// Each node's reconciliation set, by node index.
        var sets: [[SyncItem]]

        init(seed: UInt64) {
            let simulation = Simulation(scenario: ConvergenceTests.threeGroupsScenario, seed: seed)
            summary = simulation.run()
            publisher = simulation.publisher
            publishedAt = simulation.publishedAt
            sets = simulation.nodes.map(\.syncItems.items)
        }
    }

    static let threeGroupsRun = Ended(seed: 7)

    @Test func threeGroupsThatPublishWhileCutEndWithIdenticalSetsAfterTheHeal() throws {
        let run = Self.threeGroupsRun
        let summary = run.summary
        // Each group published while cut: the groups' sets differed until the heal.
        let groupsThatPublished = Set(run.publisher.map { $0 / 10 })
        #expect(groupsThatPublished == [0, 1, 2])
        #expect(run.publishedAt.allSatisfy { $0 >= 1_500_000 && $0 < 45_000_000 })
        #expect(summary.outcome == .complete)
        #expect(summary.published == 30)
        #expect(summary.upAtEnd == 30)
        #expect(summary.endHeld == summary.endPairs)
        #expect(summary.endPairs == 30 * 29)
        let first = try #require(run.sets.first)
        #expect(first.count == 30)
        for (index, set) in run.sets.enumerated() {
            #expect(set == first, "node \(index)")
        }
        // Converged after the heal, the last scenario event, within a finite number of sync intervals.
        let converged = try #require(summary.convergedMicros)
        #expect(summary.lastScenarioEventMicros == 45_000_000)
        #expect(converged > summary.lastScenarioEventMicros)
        #expect(converged - summary.lastScenarioEventMicros < 10 * 2_000_000)
        #expect(summary.endMicros == converged)
        #expect(summary.counters.syncRounds > 0)
        #expect(summary.text.contains("converged at \(Summary.milliseconds(converged)) virtual"))
        #expect(summary.text.contains("sync intervals of 2000 ms after the last scenario event at 45000.000 ms"))
    }

    @Test func theSameSeedGivesTheSameTraceAcrossAPartitionAndHeal() {
        let again = Ended(seed: 7).summary
        let first = Self.threeGroupsRun.summary
        #expect(again == first)
        #expect(again.traceHash == first.traceHash)
        #expect(again.text == first.text)
        #expect(Ended(seed: 8).summary.traceHash != first.traceHash)
    }

    /// Nodes leave and come back, others start late, links lose writes: every node up at the end holds every blob,
    /// those published while it was away included.
    @Test func churnAndLateJoinersEndConverged() throws {
        let scenario = try Scenario(
            toml: """
                nodes = 30
                warmup_ms = 2000
                settle_ms = 20000
                [blobs]
                count = 40
                size_bytes = 256
                publish_rate_per_s = 5
                [links]
                loss_rate = 0.01
                [node]
                bootstrap_peers = 3
                sync_interval_ms = 2000
                [churn]
                leave_fraction = 0.25
                leave_between_ms = [3000, 8000]
                down_ms = [2000, 5000]
                late_joiners = 6
                join_between_ms = [6000, 12000]
                """
        )
        let simulation = Simulation(scenario: scenario, seed: 5)
        let summary = simulation.run()
        #expect(summary.outcome == .complete)
        #expect(summary.upAtEnd == 30)
        #expect(summary.endHeld == summary.endPairs)
        #expect(summary.eligiblePairs < summary.endPairs, "some blobs were published while a node was away")
        let converged = try #require(summary.convergedMicros)
        #expect(converged >= summary.lastScenarioEventMicros)
        let sets = Set(simulation.nodes.map(\.syncItems.items.count))
        #expect(sets == [40])
    }

    /// A run that ends before its sets match says how far they are.
    @Test func aRunCutOffBeforeTheHealSaysWhatIsMissing() throws {
        var scenario = Self.threeGroupsScenario
        scenario.durationLimitMilliseconds = 20_000
        let summary = Simulation(scenario: scenario, seed: 7).run()
        #expect(summary.outcome == .durationLimit)
        #expect(summary.convergedMicros == nil)
        #expect(summary.unconvergedNodes == 30)
        #expect(summary.unconvergedBlobs == 30)
        #expect(
            summary.text.contains(
                "not converged: 30 nodes miss 30 blobs (\(summary.endPairs - summary.endHeld) node-blob pairs)"
            )
        )
    }
}
