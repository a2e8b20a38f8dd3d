import CairnCore
import CairnNode
import CairnStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct EventStreamTests {
    /// Events after Last-Event-ID are replayed from the log, then live ones follow; shutdown ends the stream.
    @Test func streamResumesAfterLastEventIDThenGoesLive() async throws {
        try await withAPI { client, node in
            for index in 1...3 {
                _ = try await node.publish(channel: try ChannelName("c"), payload: [UInt8(index)])
            }
            async let response = client.execute(
                uri: "/v1/events?topics=blob",
                method: .get,
                headers: [.init("Last-Event-ID")!: "1"]
            )
            #expect(await eventually { await node.subscriberCount == 1 })
            let live = try await node.publish(channel: try ChannelName("c"), payload: [4])
            let delivered = try node.store.stats().lastEventSeq
            #expect(delivered == 4)
            // The live event has been handed to the stream once the loop has run the delivery; then end it.
            await node.beginShutdown()
            let body = String(buffer: try await response.body)
            let ids = body.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { $0.dropFirst(4) }
            #expect(ids == ["2", "3", "4"])
            #expect(body.contains(live.id.hex))
            #expect(body.contains("event: blob"))
        }
    }

    /// Over a real socket: the replayed events arrive first, and an event committed afterwards arrives live.
    @Test func streamDeliversLiveEventsAfterTheReplay() async throws {
        try await withAPI(.live) { client, node in
            for index in 1...2 {
                _ = try await node.publish(channel: try ChannelName("c"), payload: [UInt8(index)])
            }
            let port = try #require(client.port)
            let socket = try BlockingSocket(host: "127.0.0.1", port: port)
            try socket.write(
                Array("GET /v1/events?topics=blob HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: 1\r\n\r\n".utf8)
            )
            let replayed = socket.read(until: "id: 2\n", deadline: .now + .seconds(10))
            #expect(replayed != nil, "the replay did not arrive")
            #expect(replayed?.contains("id: 1\n") == false)
            // Published only now, after the replay was read: it can only come through the live feed.
            let live = try await node.publish(channel: try ChannelName("c"), payload: [3])
            let streamed = socket.read(until: live.id.hex, deadline: .now + .seconds(10))
            #expect(streamed?.contains("id: 3\n") == true)
            await node.beginShutdown()
        }
    }

    @Test func subscriberThatFallsBehindIsClosedNotBufferedForever() async throws {
        try await withTemporaryDirectory { directory in
            try await withNode(in: directory, configure: { $0.sseBufferEvents = 4 }) { node in
                let subscription = await node.subscribe(topics: nil)
                for index in 0..<10 {
                    _ = try await node.publish(channel: try ChannelName("c"), payload: [UInt8(index)])
                }
                #expect(await eventually { await node.subscriberCount == 0 })
                var received = 0
                for await _ in subscription.events { received += 1 }
                #expect(received == 4)
            }
        }
    }
}
