import CairnCore
import Testing

@testable import CairnProtocol

/// The plug-in host: registration composed with the core's rules, observers fed in order, actions tagged.
@Suite("Plug-in host")
struct PluginHostTests {
    /// Owns `counter/`, accepts payloads starting with "ok", judges kind 9, appends a `counted` event per blob.
    struct Counter: Plugin {
        var name = "counter"
        var seen: [BlobID] = []
        var evidence: [EvidenceID] = []

        func register(in registry: inout PluginRegistry) {
            registry.channelRules.register(prefix: "counter/", owner: name) { blob in
                blob.payload.starts(with: Array("ok".utf8)) ? nil : "payload must start with ok"
            }
            registry.evidenceJudges.register(Evidence.Kind(rawValue: 9), name: "counter-kind") { _ in true }
            registry.topics.insert("counted")
        }

        mutating func committed(_ blob: SignedBlob, now: UInt64) -> [PluginAction] {
            seen.append(blob.id)
            return [.emit(topic: "counted", json: Array("{\"n\":\(seen.count)}".utf8))]
        }

        mutating func recorded(_ evidence: Evidence, now: UInt64) -> [PluginAction] {
            self.evidence.append(evidence.id)
            return [.emit(topic: "counted", json: Array("{\"evidence\":\"\(evidence.id)\"}".utf8))]
        }
    }

    /// Publishes a reply on `echo/` to every blob it sees, once live.
    struct Echo: Plugin {
        var name = "echo"
        var live = false

        func register(in registry: inout PluginRegistry) {}

        mutating func committed(_ blob: SignedBlob, now: UInt64) -> [PluginAction] {
            live ? [.publish(try! ChannelName("echo/replies"), payload: blob.id.bytes)] : []
        }

        mutating func replayed(now: UInt64) -> [PluginAction] {
            live = true
            return []
        }
    }

    @Test func registrationComposesWithTheCoresRules() throws {
        let host = PluginHost(plugins: [Counter(), Echo()])
        #expect(host.names == ["counter", "echo"])
        #expect(host.registry.topics == ["counted"])
        #expect(host.registry.evidenceJudges.judges(.channelFork))
        #expect(host.registry.evidenceJudges.judges(Evidence.Kind(rawValue: 9)))
        let refused = ReplicaFixture.blob(tag: 1, channel: try ChannelName("counter/x"))
        #expect(host.registry.channelRules.refusal(of: refused)?.owner == "counter")
        let other = ReplicaFixture.blob(tag: 1)
        #expect(host.registry.channelRules.refusal(of: other) == nil)
    }

    @Test func everyPluginSeesEveryBlobInOrderAndActionsAreTagged() throws {
        var host = PluginHost(plugins: [Counter(), Echo()])
        let blobs = (1...3).map { ReplicaFixture.blob(tag: $0) }
        var requests: [PluginHost.Request] = []
        for blob in blobs.prefix(2) { requests += host.committed(blob, now: 1) }
        #expect(requests.map(\.plugin) == ["counter", "counter"])
        #expect(host.phase == .replaying)
        requests = host.replayed(now: 2)
        #expect(host.phase == .live)
        #expect(host.replayed(now: 3).isEmpty)
        requests = host.committed(blobs[2], now: 4)
        #expect(requests.map(\.plugin) == ["counter", "echo"])
        #expect(requests[0].action == .emit(topic: "counted", json: Array("{\"n\":3}".utf8)))
        #expect(requests[1].action == .publish(try ChannelName("echo/replies"), payload: blobs[2].id.bytes))
        #expect(host.blobsObserved == 3)
    }

    @Test func recordedEvidenceReachesThePlugins() {
        var host = PluginHost(plugins: [Counter(), Echo()])
        let fork = ReplicaFixture.channelFork()
        let requests = host.recorded(fork, now: 1)
        #expect(
            requests == [
                .init(
                    plugin: "counter",
                    action: .emit(topic: "counted", json: Array("{\"evidence\":\"\(fork.id)\"}".utf8))
                )
            ]
        )
        #expect(host.tick(now: 2).isEmpty)
    }
}
