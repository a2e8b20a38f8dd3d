import CairnCore
import CairnNode
import CairnStore
import Foundation
import Hummingbird
import Logging
import NIOCore

extension APIServer {
    /// Events read from the log per page while a client catches up.
    static let replayPageSize = 256

    /// The kernel's send buffer for an event stream, in bytes: with the node's own per-stream buffer
    /// (`api.sse_buffer_events`) it bounds what a reader that stopped reading holds (the kernel would otherwise grow
    /// it to several MiB per socket), and how many writes a stalled reader costs before its socket is full. Doubled by
    /// the kernel, it still carries about 600 KB/s to a reader 100 ms away.
    static let streamSendBufferBytes = 32 * 1024

    /// `GET /v1/events`: Server-Sent Events, replayed from the event log after `Last-Event-ID`, then live. A client
    /// whose position is older than the oldest retained event is first sent a `lost` notice. At most
    /// `api.max_event_streams` streams are open at once (503 `too_many_streams` beyond); a client that goes away
    /// ends its stream at once, and one that falls `api.sse_buffer_events` behind has its connection closed.
    func events(_ request: Request, context: Context) async throws -> Response {
        var requestedTopics: Set<String>?
        if let text = request.uri.queryParameters.get("topics") {
            let requested = Set(text.split(separator: ",").map(String.init))
            let known = await node.eventTopics
            guard !requested.isEmpty, requested.isSubset(of: known) else {
                throw APIError.badRequest(
                    "invalid_topics",
                    "topics must be a comma-separated subset of \(known.sorted())"
                )
            }
            requestedTopics = requested
        }
        let resumeText =
            request.headers.first(where: { $0.name.canonicalName == "last-event-id" })?.value
            ?? request.uri.queryParameters.get("after")
        let resumeAfter = try Self.integer(resumeText, name: "Last-Event-ID", default: 0, range: 0...UInt64.max)
        let topics = requestedTopics
        let channel = context.channel
        // Subscribe before replaying so that nothing committed in between is missed; duplicates are skipped by seq.
        guard
            let subscription = await node.subscribe(
                topics: topics,
                onOverflow: { channel.close(promise: nil) }
            )
        else {
            let limit = node.configuration.maxEventStreams
            throw APIError(
                .serviceUnavailable,
                "too_many_streams",
                "\(limit) event streams are open (api.max_event_streams); retry later"
            )
        }
        Self.watch(channel, endingOnClose: subscription, of: node, logger: context.logger)
        let node = node
        let frames = frames
        let body = ResponseBody { writer in
            var lastSent = resumeAfter
            // Without a position the client asked for whatever is retained; after the first page, a gap means the
            // log dropped events this replay had not reached yet.
            var expectsNext = resumeText != nil
            while !node.isShuttingDown {
                let page = try Self.read { try node.store.events(after: lastSent, limit: Self.replayPageSize) }
                if expectsNext, let first = page.first, first.seq > lastSent + 1 {
                    try await writer.write(ByteBuffer(string: Self.lostFrame(after: lastSent, oldest: first.seq)))
                }
                expectsNext = true
                for event in page where topics?.contains(event.topic) ?? true {
                    try await writer.write(frames.frame(event) { Self.frame($0, store: node.store) })
                }
                if let last = page.last { lastSent = last.seq }
                if page.count < Self.replayPageSize { break }
            }
            for await item in subscription.events {
                switch item {
                case .events(let events):
                    // One write per commit: its frames, minus those the replay already sent.
                    var batch = ByteBuffer()
                    for event in events where event.seq > lastSent {
                        var frame = frames.frame(event) { Self.frame($0, store: node.store) }
                        batch.writeBuffer(&frame)
                        lastSent = event.seq
                    }
                    if batch.readableBytes > 0 { try await writer.write(batch) }
                case .keepalive:
                    try await writer.write(ByteBuffer(string: Self.keepaliveFrame))
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }

    /// The comment line an idle stream gets every `api.sse_keepalive_ms`; SSE clients ignore it.
    static let keepaliveFrame = ": keepalive\n\n"

    /// Ties the connection to the stream: a client that closes its end closes the connection (Hummingbird keeps
    /// half-closed connections open, and nothing else reads a streaming response's socket), and a closed connection
    /// ends the subscription at once instead of at the next event. It also bounds the kernel's send buffer.
    private static func watch(
        _ channel: any Channel,
        endingOnClose subscription: EventSubscription,
        of node: Node,
        logger: Logger
    ) {
        channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: false).and(
            channel.setOption(ChannelOptions.socketOption(.so_sndbuf), value: streamSendBufferBytes)
        ).whenFailure { error in
            logger.debug("event stream: socket options not set", metadata: ["error": "\(error)"])
        }
        let id = subscription.id
        channel.closeFuture.whenComplete { _ in
            Task { await node.unsubscribe(id) }
        }
    }

    /// The `lost` frame: events after `after` and before `oldest` were dropped by the log's retention. Its id is
    /// `oldest` − 1, so a client that reconnects with it resumes at the oldest retained event.
    static func lostFrame(after: UInt64, oldest: UInt64) -> String {
        let data = "{\"after\":\"\(after)\",\"oldest\":\"\(oldest)\"}"
        return "id: \(oldest - 1)\nevent: \(StoredEvent.lostTopic)\ndata: \(data)\n\n"
    }

    /// One SSE frame: `id`, `event` (the topic) and one line of JSON `data`.
    static func frame(_ event: StoredEvent, store: BlobStore) -> String {
        let data: String
        switch event.kind {
        case .blob(let id), .prevMismatch(let id):
            if let blob = try? store.get(id) {
                data = String(decoding: try! JSONEncoder().encode(BlobJSON(blob)), as: UTF8.self)
            } else {
                data = "{\"id\":\"\(id.hex)\"}"
            }
        case .evidence(let id):
            if let evidence = try? store.evidence(id) {
                data = String(decoding: try! JSONEncoder().encode(EvidenceSummaryJSON(evidence)), as: UTF8.self)
            } else {
                data = "{\"id\":\"\(id.hex)\"}"
            }
        case .custom(_, let bytes):
            data = String(decoding: bytes, as: UTF8.self)
        }
        return "id: \(event.seq)\nevent: \(event.topic)\ndata: \(data)\n\n"
    }
}
