import Foundation
import Testing

/// `GET /v1/events` on a real `cairn node` process, read through raw sockets: what a client that goes away, one that
/// never reads, and one too many cost the node.
@Suite(.serialized) struct EventStreamProcessTests {
    static let request = Array("GET /v1/events HTTP/1.1\r\nHost: cairn\r\n\r\n".utf8)

    /// 200 streams opened and closed by their clients give back their descriptors within seconds, with no event
    /// published to fail a write. Before, each socket stayed open (half-closed) until the node ran out of descriptors.
    @Test func closedStreamsFreeTheirSockets() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            let port = try Self.port(cluster.apis[0])
            let node = cluster.nodes[0]
            let before = try node.openFileDescriptors()
            var sockets: [BlockingSocket] = []
            for _ in 0..<200 { sockets.append(try Self.openStream(port: port)) }
            #expect(try await cluster.metric("cairn_sse_streams", of: 0) == 200)
            #expect(try node.openFileDescriptors() >= before + 200)
            sockets.removeAll()
            let freed = try await eventually(timeout: .seconds(5)) {
                try node.openFileDescriptors() <= before + 2
            }
            let after = try node.openFileDescriptors()
            #expect(freed, "descriptors: \(before) before, \(after) after closing")
            // The gauge follows the unsubscription, which runs on the node's loop after the socket closed.
            let counted = try await eventually(timeout: .seconds(5)) {
                try await cluster.metric("cairn_sse_streams", of: 0) == 0
            }
            #expect(counted)
        }
    }

    /// Beyond `api.max_event_streams`, `GET /v1/events` answers 503 `too_many_streams`; a closed stream makes room.
    @Test func streamsBeyondTheLimitAre503() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start(config: MeshCluster.testConfiguration + "\n[api]\nmax_event_streams = 3\n")
            let port = try Self.port(cluster.apis[0])
            var sockets: [BlockingSocket] = []
            for _ in 0..<3 { sockets.append(try Self.openStream(port: port)) }
            let refused = try BlockingSocket(host: "127.0.0.1", port: port)
            try refused.write(Self.request)
            let answer = try #require(refused.read(until: "}", deadline: .now + .seconds(10)))
            #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
            #expect(answer.contains("\"too_many_streams\""), "\(answer)")
            #expect(try await cluster.metric("cairn_sse_streams_refused_total", of: 0) == 1)
            sockets.removeFirst()
            let admitted = try await eventually(timeout: .seconds(5)) {
                try await cluster.metric("cairn_sse_streams", of: 0) == 2
            }
            #expect(admitted)
            sockets.append(try Self.openStream(port: port))
        }
    }

    /// A reader that never reads is closed once `api.sse_buffer_events` events wait for it (the kernel's buffers
    /// bounded too), while publishing goes on; the client then reads what was sent and the end of the stream.
    @Test func stalledReaderIsClosed() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start(config: MeshCluster.testConfiguration + "\n[api]\nsse_buffer_events = 8\n")
            let port = try Self.port(cluster.apis[0])
            let stalled = try Self.openStream(port: port, receiveBufferBytes: 4096)
            let payload = String(repeating: "x", count: 2000)
            var published = 0
            let closed = try await eventually(timeout: .seconds(60)) {
                for _ in 0..<20 { _ = try await cluster.publish(on: 0, payload: payload) }
                published += 20
                return try await cluster.metric("cairn_sse_subscribers_dropped_total", of: 0) == 1
            }
            #expect(closed, "still open after \(published) blobs")
            #expect(try await cluster.metric("cairn_sse_streams", of: 0) == 0)
            // What the node had written is still there to read, then the end of the stream.
            var received = 0
            var ended = false
            let deadline = ContinuousClock.now + .seconds(10)
            while !ended, ContinuousClock.now < deadline {
                let bytes = try stalled.read()
                received += bytes.count
                ended = bytes.isEmpty
            }
            #expect(ended, "no end of stream after \(received) bytes")
            #expect(received > 0)
        }
    }

    /// Connects and sends `GET /v1/events`; returns once the node answered 200 (the stream is open).
    static func openStream(port: Int, receiveBufferBytes: Int32? = nil) throws -> BlockingSocket {
        let socket = try BlockingSocket(host: "127.0.0.1", port: port, receiveBufferBytes: receiveBufferBytes)
        try socket.write(request)
        guard let head = socket.read(until: "\r\n\r\n", deadline: .now + .seconds(10)) else {
            throw StreamError.noAnswer
        }
        guard head.hasPrefix("HTTP/1.1 200") else { throw StreamError.refused(head) }
        return socket
    }

    static func port(_ api: String) throws -> Int {
        guard let port = URLComponents(string: api)?.port else { throw StreamError.noAnswer }
        return port
    }

    enum StreamError: Error {
        case noAnswer
        case refused(String)
    }
}
