import CairnCore
import CairnProtocol
import CairnQuorum
import Foundation
import Testing

@testable import CairnSim

/// A quorum network on the simulator: every node loads the quorum plug-in as the libuv node does, five members sign
/// five heights, member 2 double-signs height 3 with its halves posted to two nodes outside the quorum, the four
/// others decide heights 4 and 5 in the next epoch, and 40 nodes carry background blobs meanwhile.
@Suite struct QuorumTests {
    static let small = """
        name = "quorum-small"
        nodes = 40
        warmup_ms = 2000
        settle_ms = 5000
        memoise_signatures = true
        plaintext_records = true
        [blobs]
        count = 10
        size_bytes = 1024
        publish_rate_per_s = 20
        [node]
        outbound_target = 4
        bootstrap_peers = 2
        [quorum]
        members = 5
        heights = 5
        start_ms = 2500
        interval_ms = 300
        [quorum.equivocation]
        member = 2
        height = 3
        """

    /// What the tests read of one run.
    struct Outcome: Sendable {
        let summary: Summary
        /// Per node: its key, its store's evidence, its event log.
        let keys: [PublicKey]
        let evidence: [[Evidence]]
        let events: [[Simulation.LoggedEvent]]
    }

    static let scenario = try! Scenario(toml: small)
    static let outcome: Outcome = {
        let simulation = Simulation(scenario: scenario, seed: 5)
        let summary = simulation.run()
        return Outcome(
            summary: summary,
            keys: simulation.nodes.map(\.identity.publicKey),
            evidence: simulation.nodes.map(\.evidence),
            events: simulation.nodes.map(\.events)
        )
    }()
    static var summary: Summary { outcome.summary }

    @Test func everyNodeEndsWithTheSameEvidenceEpochAndMembers() throws {
        let quorum = try #require(Self.summary.quorum)
        #expect(Self.summary.outcome == .complete)
        #expect(quorum.passed)
        #expect(quorum.nodes == 40)
        #expect(quorum.views == 1)
        #expect(quorum.agreeing == 40)
        let view = try #require(quorum.view)
        #expect(view.evidence.count == 1)
        #expect(view.lastDecided == 5)
        // The evidence ended epoch 0; epoch 1 holds the four other members.
        #expect(view.epoch == 1)
        let equivocator = Self.outcome.keys[2]
        let others = [0, 1, 3, 4].map { Self.outcome.keys[$0] }.sorted()
        #expect(view.members == others)
        #expect(!view.members.contains(equivocator))
        #expect(Self.summary.text.contains("quorum agreement: passed, 40 of 40 nodes hold one view"))
    }

    @Test func theAlertAndTheSwitchReachEveryNode() throws {
        let quorum = try #require(Self.summary.quorum)
        #expect(quorum.postedTo.count == 2)
        #expect(quorum.postedTo.allSatisfy { $0 >= 5 })
        #expect(quorum.nextEpoch == 1)
        #expect(quorum.timesToAlert.count == 40)
        #expect(quorum.timesToSwitch.count == 40)
        let evidence = try #require(quorum.view?.evidence.first)
        let author = Self.outcome.keys[2]
        for node in Self.outcome.keys.indices {
            let stored = Self.outcome.evidence[node].filter { $0.kind == QuorumRules.equivocationKind }
            #expect(stored.map(\.id) == [evidence], "node \(node)")
            let alerts = Self.outcome.events[node].filter { $0.topic == "equivocation" }
            #expect(alerts.count == 1, "node \(node)")
            let fields = try JSONDecoder().decode([String: String].self, from: Data(try #require(alerts.first).json))
            #expect(fields["evidence"] == evidence.hex)
            #expect(fields["author"] == author.hex)
            #expect(fields["height"] == "3")
        }
        // The halves share a seq of the equivocator's channel: every node also holds that channel fork.
        #expect(Self.outcome.evidence.allSatisfy { stored in stored.contains { $0.kind == .channelFork } })
    }

    /// Cut off just after the double sign, the nodes have not all decided the same heights yet: the run fails
    /// (`cairn-sim` exits 1 when `passed` is false).
    @Test func aRunCutOffBeforeTheNodesAgreeFails() throws {
        let scenario = try Scenario(toml: "duration_limit_ms = 3200\n" + Self.small)
        let summary = Simulation(scenario: scenario, seed: 5).run()
        let quorum = try #require(summary.quorum)
        #expect(summary.outcome == .durationLimit)
        #expect(!quorum.passed)
        #expect(summary.text.contains("quorum agreement: FAILED"))
    }

    @Test func theSameSeedGivesTheSameTrace() {
        let again = Simulation(scenario: Self.scenario, seed: 5).run()
        #expect(again == Self.summary)
        #expect(again.text == Self.summary.text)
    }
}
