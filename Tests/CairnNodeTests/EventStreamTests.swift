import CairnCore
import CairnNode
import CairnStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
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

    /// A chain that arrives in reverse is streamed once complete, in seq order; a blob whose prev contradicts its
    /// channel is raised on `chain`.
    @Test func blobStreamShowsAChainInOrderOnceComplete() async throws {
        try await withAPI { client, node in
            let key = testKey(5)
            let channel = try ChannelName("late")
            let chain = try signedChain(key, channel: "late", count: 4, timestamp: { 10 - $0 })
            let stray = try SignedBlob.sign(
                key: key,
                channel: channel,
                seq: 2,
                prev: BlobID(unchecked: [UInt8](repeating: 1, count: 32)),
                timestamp: 1,
                payload: [9]
            )
            for blob in chain.reversed() { _ = try await node.ingest(blob) }
            // Seq 1 is stored and the stray's prev names another blob: a prev mismatch, listed and raised at once.
            _ = try await node.ingest(stray)
            async let response = client.execute(uri: "/v1/events?topics=blob,chain", method: .get)
            #expect(await eventually { await node.subscriberCount == 1 })
            await node.beginShutdown()
            let body = String(buffer: try await response.body)
            let frames = body.split(separator: "\n\n").map { frame in
                (
                    topic: frame.split(separator: "\n").first { $0.hasPrefix("event: ") }?.dropFirst(7),
                    data: frame.split(separator: "\n").first { $0.hasPrefix("data: ") } ?? ""
                )
            }
            #expect(frames.map { $0.topic.map(String.init) } == ["blob", "blob", "blob", "blob", "chain"])
            for (frame, blob) in zip(frames, chain + [stray]) {
                #expect(frame.data.contains(blob.id.hex))
            }
        }
    }

    /// The `evidence` event's data is the evidence's element of `GET /v1/evidence`, field for field, and a `blob`
    /// event sends its u64 fields as decimal strings.
    @Test func evidenceEventDataEqualsTheEvidenceListEntry() async throws {
        try await withAPI { client, node in
            let key = testKey(6)
            let channel = try ChannelName("split")
            let seq: UInt64 = 1
            let halves = try [1, 2].map { payload in
                try SignedBlob.sign(
                    key: key,
                    channel: channel,
                    seq: seq,
                    prev: .zero,
                    timestamp: UInt64(1) << 60 + UInt64(payload),
                    payload: [UInt8(payload)]
                )
            }
            for blob in halves { _ = try await node.ingest(blob) }
            async let response = client.execute(uri: "/v1/events?topics=blob,evidence", method: .get)
            #expect(await eventually { await node.subscriberCount == 1 })
            await node.beginShutdown()
            let body = String(buffer: try await response.body)
            func data(of topic: String) -> [[String: Any]] {
                body.split(separator: "\n\n").compactMap { frame -> [String: Any]? in
                    let lines = frame.split(separator: "\n")
                    guard lines.contains("event: \(topic)"), let line = lines.first(where: { $0.hasPrefix("data: ") })
                    else { return nil }
                    return try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
                }
            }
            let events = data(of: "evidence")
            #expect(events.count == 1)
            let list = try await client.execute(uri: "/v1/evidence", method: .get)
            let listed = try JSONSerialization.jsonObject(with: Data(buffer: list.body)) as? [String: Any]
            let entries = try #require(listed?["evidence"] as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(
                events.first.map { NSDictionary(dictionary: $0) } == entries.first.map { NSDictionary(dictionary: $0) }
            )
            #expect(entries.first?["seq"] as? String == "1")
            let blobs = data(of: "blob")
            #expect(
                blobs.map { $0["timestamp"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") } == [
                    "1152921504606846977", "1152921504606846978",
                ]
            )
            #expect(blobs.allSatisfy { $0["seq"] as? String == "1" })
        }
    }

    /// Over a real socket: the replayed events arrive first, and an event committed afterwards arrives live.
    @Test func streamDeliversLiveEventsAfterTheReplay() async throws {
        try await withAPI(.live) { client, node in
            for index in 1...2 {
                _ = try await node.publish(channel: try ChannelName("c"), payload: [UInt8(index)])
            }
            let port = try #require(client.port)
            // Generous deadlines: a loaded CI machine running a debug build can take seconds to answer.
            let socket = try BlockingSocket(host: "127.0.0.1", port: port, readTimeoutSeconds: 30)
            try socket.write(
                Array("GET /v1/events?topics=blob HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: 1\r\n\r\n".utf8)
            )
            let replayed = socket.read(until: "id: 2\n", deadline: .now + .seconds(30))
            #expect(replayed != nil, "the replay did not arrive")
            #expect(replayed?.contains("id: 1\n") == false)
            // Published only now, after the replay was read: it can only come through the live feed.
            let live = try await node.publish(channel: try ChannelName("c"), payload: [3])
            let streamed = socket.read(until: live.id.hex, deadline: .now + .seconds(30))
            #expect(streamed?.contains("id: 3\n") == true)
            await node.beginShutdown()
        }
    }

    @Test func subscriberThatFallsBehindIsClosedNotBufferedForever() async throws {
        try await withTemporaryDirectory { directory in
            try await withNode(in: directory, configure: { $0.sseBufferEvents = 4 }) { node in
                let overflowed = Mutex(false)
                let subscription = try #require(
                    await node.subscribe(topics: nil, onOverflow: { overflowed.withLock { $0 = true } })
                )
                for index in 0..<10 {
                    _ = try await node.publish(channel: try ChannelName("c"), payload: [UInt8(index)])
                }
                #expect(await eventually { await node.subscriberCount == 0 })
                #expect(overflowed.withLock { $0 })
                var received = 0
                for await item in subscription.events {
                    if case .events(let events) = item { received += events.count }
                }
                #expect(received == 4)
            }
        }
    }

    /// One commit's events reach a feed as one item, even when they are more than `api.sse_buffer_events`: a reader
    /// that has taken everything is not closed for a large commit. A second commit before it reads would overflow it.
    @Test func aCommitReachesAFeedAsOneItemWhateverItsSize() async throws {
        try await withTemporaryDirectory { directory in
            try await withNode(in: directory, configure: { $0.sseBufferEvents = 4 }) { node in
                let subscription = try #require(await node.subscribe(topics: ["blob"]))
                let blobs = try signedChain(testKey(0x31), channel: "batch", count: 10)
                _ = try await node.store.put(blobs)
                var feed = subscription.events.makeAsyncIterator()
                guard case .events(let first) = await feed.next() else {
                    Issue.record("the feed ended or sent a keepalive first")
                    return
                }
                #expect(first.map(\.seq) == Array(1...10))
                #expect(await node.subscriberCount == 1)
            }
        }
    }

    /// A client that resumes from before the oldest retained event is sent `lost` first (whatever topics it asked
    /// for), then the retained events; one that resumes inside the log, or names no position, gets no notice.
    @Test func resumingBeforeTheRetainedLogIsToldWhatWasLost() async throws {
        try await withAPI(configure: { $0.maxRetainedEvents = 3 }) { client, node in
            for index in 1...6 {
                _ = try await node.publish(channel: try ChannelName("c"), payload: [UInt8(index)])
            }
            func stream(_ topics: String, after: String?) async throws -> String {
                let headers: HTTPFields = after.map { [.init("Last-Event-ID")!: $0] } ?? [:]
                let response = try await client.execute(
                    uri: "/v1/events?topics=\(topics)",
                    method: .get,
                    headers: headers
                )
                return String(buffer: response.body)
            }
            async let behindOnOtherTopic = stream("evidence", after: "1")
            async let behind = stream("blob", after: "2")
            async let inside = stream("blob", after: "3")
            async let fresh = stream("blob", after: nil)
            #expect(await eventually { await node.subscriberCount == 4 })
            await node.beginShutdown()
            let lost = "id: 3\nevent: lost\ndata: {\"after\":\"1\",\"oldest\":\"4\"}\n\n"
            #expect(try await behindOnOtherTopic == lost)
            let retained = ["4", "5", "6"]
            let behindText = try await behind
            #expect(behindText.hasPrefix("id: 3\nevent: lost\ndata: {\"after\":\"2\",\"oldest\":\"4\"}\n\n"))
            #expect(Self.ids(behindText) == ["3"] + retained)
            for text in [try await inside, try await fresh] {
                #expect(!text.contains("event: lost"))
                #expect(Self.ids(text) == retained)
            }
        }
    }

    static func ids(_ body: String) -> [String] {
        body.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }
    }
}
