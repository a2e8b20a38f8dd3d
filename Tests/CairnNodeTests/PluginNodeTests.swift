import CairnCore
import CairnNode
import CairnProtocol
import CairnStore
import Foundation
import Testing

/// The plug-in host in a real node: payload checks at the door, every stored blob observed once per process
/// (replayed at start, then live), events and publications carried out.
@Suite struct PluginNodeTests {
    /// Owns `tally/`: payloads must start with "+"; appends a `tally` event counting the blobs it has seen, and once
    /// live answers each blob with a blob on `tally-echo/`.
    struct Tally: Plugin {
        var name = "tally"
        var seen = 0
        var live = false

        func register(in registry: inout PluginRegistry) {
            registry.channelRules.register(prefix: "tally/", owner: name) { blob in
                blob.payload.first == UInt8(ascii: "+") ? nil : "a tally payload starts with +"
            }
            registry.topics.insert("tally")
        }

        mutating func committed(_ blob: SignedBlob, now: UInt64) -> [PluginAction] {
            guard blob.channel.value.hasPrefix("tally/") else { return [] }
            seen += 1
            var actions: [PluginAction] = [.emit(topic: "tally", json: Array("{\"seen\":\(seen)}".utf8))]
            if live { actions.append(.publish(try! ChannelName("tally-echo"), payload: blob.id.bytes)) }
            return actions
        }

        mutating func replayed(now: UInt64) -> [PluginAction] {
            live = true
            return []
        }
    }

    private static func tallyEvents(_ node: Node) throws -> [String] {
        try node.store.events(after: 0, limit: 1_000).compactMap { event in
            guard case .custom("tally", let data) = event.kind else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test func storedBlobsAreReplayedOnceThenLiveOnesFollowAcrossRestarts() async throws {
        try await withTemporaryDirectory { directory in
            let channel = try ChannelName("tally/a")
            try await withNode(in: directory, plugins: [Tally()]) { node in
                #expect(await node.pluginNames == ["tally"])
                #expect(await node.eventTopics.contains("tally"))
                _ = try await node.publish(channel: channel, payload: Array("+1".utf8))
                _ = try await node.publish(channel: channel, payload: Array("+2".utf8))
                await #expect(throws: NodeError.self) {
                    _ = try await node.publish(channel: channel, payload: Array("-3".utf8))
                }
                // Nothing reaches the plug-in before it starts: the two blobs come in the replay.
                #expect(try Self.tallyEvents(node).isEmpty)
                try await node.startPlugins()
                let replayed = await eventually { (try? Self.tallyEvents(node).count) == 2 }
                #expect(replayed)
                let live = try await node.publish(channel: channel, payload: Array("+3".utf8))
                let fed = await eventually {
                    (try? Self.tallyEvents(node)) == ["{\"seen\":1}", "{\"seen\":2}", "{\"seen\":3}"]
                }
                #expect(fed)
                // Live blobs are answered on tally-echo; replayed ones were not.
                let echoed = await eventually {
                    (try? node.store.channel(
                        author: node.identity.publicKey,
                        name: try ChannelName("tally-echo"),
                        limit: 10
                    ))?
                    .map { Array($0.blob.payload) } == [live.id.bytes]
                }
                #expect(echoed)
            }
            // A restart replays the three stored tally blobs once more, to a fresh plug-in.
            try await withNode(in: directory, plugins: [Tally()]) { node in
                try await node.startPlugins()
                let counted = await eventually { (try? Self.tallyEvents(node).count) == 6 }
                #expect(counted)
                #expect(try Self.tallyEvents(node).suffix(3) == ["{\"seen\":1}", "{\"seen\":2}", "{\"seen\":3}"])
            }
        }
    }
}
