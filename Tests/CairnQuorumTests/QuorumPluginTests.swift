import CairnCore
import CairnProtocol
import CairnQuorum
import Foundation
import Testing

/// The quorum behind the plug-in host: registration, silent replay, live alerts as events, a double sign turned
/// into evidence to record, and the stall alert.
@Suite struct QuorumPluginTests {
    private static func events(_ requests: [PluginHost.Request]) -> [(topic: String, fields: [String: String])] {
        requests.compactMap { request in
            guard case .emit(let topic, let json) = request.action,
                let fields = try? JSONDecoder().decode([String: String].self, from: Data(json))
            else { return nil }
            return (topic, fields)
        }
    }

    @Test func theHostTakesTheQuorumsChannelsJudgeAndTopics() {
        let host = PluginHost(plugins: [QuorumPlugin(genesis: demoGenesis())])
        #expect(host.registry.evidenceJudges.judges(QuorumRules.equivocationKind))
        #expect(host.registry.topics == QuorumPlugin.topics)
        let garbage = try! SignedBlob.sign(
            key: testKey(1),
            channel: QuorumChannel.signature,
            seq: 1,
            prev: .zero,
            timestamp: 1,
            payload: [1, 2, 3]
        )
        #expect(host.registry.channelRules.refusal(of: garbage)?.owner == "quorum")
    }

    @Test func replayIsSilentThenLiveDecisionsAndADoubleSignRaiseEventsAndEvidence() throws {
        let genesis = demoGenesis()
        let (m1, m2, m3) = (testKey(1), testKey(2), testKey(3))
        var world = QuorumWorld(genesis: genesis)
        world.decide([m1, m2, m3], epoch: 0, height: 1)
        var host = PluginHost(plugins: [QuorumPlugin(genesis: genesis)])
        var requests: [PluginHost.Request] = []
        for blob in world.blobs { requests += host.committed(blob, now: 10) }
        requests += host.replayed(now: 20)
        #expect(requests.isEmpty, "the replay raised \(requests)")

        let before = world.blobs.count
        world.decide([m1, m2, m3], epoch: 0, height: 2)
        requests = []
        for blob in world.blobs[before...] { requests += host.committed(blob, now: 30) }
        let decided = Self.events(requests).filter { $0.topic == "decided" }
        #expect(decided.map { $0.fields["height"] } == ["2"])

        let a = world.sign(m2, epoch: 0, height: 3)
        let b = world.sign(m2, epoch: 0, height: 3, block: block(3, "b"))
        requests = host.committed(a, now: 40) + host.committed(b, now: 41)
        let evidence = try #require(
            requests.compactMap { request -> Evidence? in
                if case .recordEvidence(let evidence) = request.action { evidence } else { nil }
            }.first
        )
        #expect(evidence.kind == QuorumRules.equivocationKind)
        #expect(host.registry.evidenceJudges.accepts(evidence))
        let alert = try #require(Self.events(requests).first { $0.topic == "equivocation" })
        #expect(alert.fields["evidence"] == evidence.id.hex)
        #expect(alert.fields["author"] == m2.publicKey.hex)
        #expect(alert.fields["height"] == "3")
        // The evidence comes before its event, so the node floods it first.
        let evidenceIndex = requests.firstIndex { if case .recordEvidence = $0.action { true } else { false } }!
        let eventIndex = requests.firstIndex { if case .emit("equivocation", _) = $0.action { true } else { false } }!
        #expect(evidenceIndex < eventIndex)
        #expect(Self.events(requests).contains { $0.topic == "election" && $0.fields["event"] == "elected" })
    }

    @Test func aStallIsRaisedOnceUntilTheNextDecision() {
        let genesis = demoGenesis()
        var host = PluginHost(plugins: [QuorumPlugin(genesis: genesis)])
        _ = host.replayed(now: 1_000)
        let stall = genesis.stallAlertMilliseconds
        #expect(host.tick(now: 1_000 + stall - 1).isEmpty)
        #expect(Self.events(host.tick(now: 1_000 + stall)).map(\.topic) == ["stalled"])
        #expect(host.tick(now: 1_000 + 2 * stall).isEmpty)
    }
}
