import AsyncHTTPClient
import Foundation
import NIOCore

/// Follows one node's `GET /v1/events` for `cairn watch`: resumes after the last event handled from that node
/// (`Last-Event-ID`), hands each event to the sink and waits until it is recorded, and reconnects whenever the
/// stream fails or ends: after a failure to connect or a refusal, with a delay that doubles from `firstDelay` up to
/// `maxDelay`; after a stream that was answered, after `firstDelay`.
struct WatchFollower: Sendable {
    /// The node's API URL without a trailing slash.
    let node: String
    /// The `topics` query, passed through as given; `nil` asks for every topic.
    let topics: String?
    let token: String?
    let client: HTTPClient
    let report: @Sendable (String) -> Void

    static let firstDelay: Duration = .milliseconds(500)
    static let maxDelay: Duration = .seconds(30)
    /// How long a node may take to answer a request (the stream itself may last forever).
    static let answerTimeout: TimeAmount = .seconds(30)
    /// A stream silent this long is closed and opened again (a connection whose far end vanished shows no error).
    static let idleTimeout: TimeAmount = .minutes(5)
    /// The most bytes read of an error answer.
    static let maxErrorBytes = 64 * 1024

    /// Follows the node until the task is cancelled.
    /// - Parameter position: the last event handled from this node; `nil` starts at the oldest it keeps.
    /// - Throws: what `handle` throws (the watcher cannot go on); never a network failure.
    func run(after position: UInt64?, handle: @Sendable (WatchEvent) async throws -> Void) async throws {
        var position = position
        var delay = Self.firstDelay
        while !Task.isCancelled {
            let response: HTTPClientResponse
            do {
                response = try await client.execute(try request(after: position), timeout: Self.answerTimeout)
            } catch {
                if Task.isCancelled { return }
                report("\(node): cannot connect: \(error); trying again in \(delay)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, Self.maxDelay)
                continue
            }
            guard response.status.code == 200 else {
                report("\(node): \(await Self.refusal(response)); trying again in \(delay)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, Self.maxDelay)
                continue
            }
            delay = Self.firstDelay
            report(
                "\(node): connected, resuming after \(position.map { "event \($0)" } ?? "nothing (from the oldest)")"
            )
            let failure = try await read(response, position: &position, handle: handle)
            if Task.isCancelled { return }
            report("\(node): \(failure ?? "the stream ended"); reconnecting in \(delay)")
            try await Task.sleep(for: delay)
        }
    }

    /// Reads events until the stream ends or fails; returns the failure, `nil` when it ended.
    private func read(
        _ response: HTTPClientResponse,
        position: inout UInt64?,
        handle: @Sendable (WatchEvent) async throws -> Void
    ) async throws -> String? {
        var parser = ServerSentEventParser()
        var chunks = response.body.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer?
            do {
                chunk = try await chunks.next()
            } catch let error as HTTPClientError where error == .readTimeout {
                return "nothing arrived for \(Self.idleTimeout.nanoseconds / 1_000_000_000) s"
            } catch {
                return "the stream failed (\(error))"
            }
            guard let chunk else { return nil }
            let frames: [ServerSentEventParser.Event]
            do {
                frames = try parser.feed(chunk.readableBytesView)
            } catch {
                return "the stream is malformed (\(error))"
            }
            for frame in frames {
                guard let text = frame.id, let id = UInt64(text) else {
                    return "the node sent an event without a valid id"
                }
                try await handle(WatchEvent(node: node, id: id, topic: frame.type, data: frame.data))
                position = id
            }
        }
    }

    private func request(after position: UInt64?) throws -> HTTPClientRequest {
        guard var components = URLComponents(string: node + "/v1/events") else { throw HTTPClientError.invalidURL }
        if let topics { components.queryItems = [URLQueryItem(name: "topics", value: topics)] }
        guard let url = components.string else { throw HTTPClientError.invalidURL }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let position { request.headers.add(name: "Last-Event-ID", value: String(position)) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    /// What a node's non-200 answer says: its status and the API's `error` and `detail` when it sent them.
    private static func refusal(_ response: HTTPClientResponse) async -> String {
        struct Failure: Decodable {
            let error: String
            let detail: String
        }
        let body = try? await response.body.collect(upTo: maxErrorBytes)
        if let body, let failure = try? JSONDecoder().decode(Failure.self, from: Data(body.readableBytesView)) {
            return "HTTP \(response.status.code) \(failure.error): \(failure.detail)"
        }
        return "HTTP \(response.status.code)"
    }
}
