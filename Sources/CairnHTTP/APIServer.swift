import CairnAPI
import CairnCore
import CairnNode
import CairnStore
import Foundation
import Hummingbird
import Logging
import Prometheus

/// The HTTP API of DESIGN.md's Interfaces section, on Hummingbird.
public struct APIServer: Sendable {
    /// The request context every route uses.
    public typealias Context = APIRequestContext

    /// The node the API serves.
    public let node: Node
    /// The bearer token POSTs must carry.
    public let token: String
    /// Where `/metrics` reads from.
    public let registry: PrometheusCollectorRegistry
    /// The version `/v1/node` reports.
    public let version: String
    /// The plug-ins' routes, added after the core's.
    public let pluginRoutes: [any PluginRoutes]
    /// Event-stream frames shared by every stream (each event encoded once).
    let frames = EventFrameCache()

    /// Wires the API to a node.
    /// - Parameters:
    ///   - node: the node served.
    ///   - token: the bearer token POSTs must carry.
    ///   - registry: where `/metrics` reads from.
    ///   - version: the version `/v1/node` reports.
    ///   - pluginRoutes: the HTTP companions of the plug-ins the node loads.
    public init(
        node: Node,
        token: String,
        registry: PrometheusCollectorRegistry,
        version: String,
        pluginRoutes: [any PluginRoutes] = []
    ) {
        self.node = node
        self.token = token
        self.registry = registry
        self.version = version
        self.pluginRoutes = pluginRoutes
    }

    /// The router with every route and middleware.
    public func router() -> Router<Context> {
        let router = Router(context: Context.self)
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(JSONErrorMiddleware())
        router.middlewares.add(BearerAuthMiddleware(token: Array(token.utf8)))
        router.get("/healthz") { _, _ in Self.json(["status": "ok"]) }
        router.get("/readyz") { _, _ in await readiness() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
        router.get("/v1/node") { _, _ in try nodeInfo() }
        router.get("/v1/peers") { _, _ in
            let now = UInt64(Date().timeIntervalSince1970 * 1000)
            let bans = try Self.read { try node.store.bans(now: now) }
            return Self.json(
                PeersJSON(
                    peers: await node.peers.map(Components.Schemas.Peer.init),
                    bans: bans.map(Components.Schemas.Ban.init)
                )
            )
        }
        router.post("/v1/blobs") { request, _ in try await publish(request) }
        router.post("/v1/blobs/signed") { request, _ in try await ingest(request) }
        router.get("/v1/blobs/:id") { _, context in Self.json(BlobJSON(try blob(context), includePayload: true)) }
        router.get("/v1/blobs/:id/payload") { _, context in Self.octets(Array(try blob(context).payload)) }
        router.get("/v1/blobs/:id/signed") { _, context in Self.octets(try blob(context).encoding) }
        router.get("/v1/channels/:author/**") { request, _ in try channel(request) }
        router.get("/v1/evidence") { request, _ in
            let limit = try Self.integer(
                request.uri.queryParameters.get("limit"),
                name: "limit",
                default: 100,
                range: 1...Self.maxPageSize
            )
            let evidence = try Self.read { try node.store.evidenceList(limit: Int(limit)) }
            return Self.json(
                Operations.ListEvidence.Output.Ok.Body.JsonPayload(evidence: evidence.map(EvidenceSummaryJSON.init))
            )
        }
        router.get("/v1/evidence/:id") { _, context in
            guard let id = EvidenceID(hex: try context.parameters.require("id")) else {
                throw APIError.badRequest("invalid_id", "an evidence id is 64 hexadecimal characters")
            }
            guard let evidence = try Self.read({ try node.store.evidence(id) }) else {
                throw APIError.notFound("no evidence \(id.hex)")
            }
            return Self.json(EvidenceJSON(evidence))
        }
        router.get("/v1/events") { request, context in try await events(request, context: context) }
        for routes in pluginRoutes { routes.add(to: router, server: self) }
        return router
    }

    /// The largest body `POST /v1/blobs/signed` reads: a maximal payload plus the blob's own fields.
    var maxSignedBodyBytes: Int {
        node.configuration.maxBlobBytes + SignedBlob.fixedOverheadBytes + ChannelName.maxBytes
    }

    private func nodeInfo() throws -> Response {
        let stats = try Self.read { try node.store.stats() }
        let uptime = ContinuousClock.now - node.startedAt
        return Self.json(
            NodeJSON(
                id: node.identity.publicKey.hex,
                network: node.configuration.network,
                version: version,
                uptimeSeconds: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
                maxBlobBytes: node.configuration.maxBlobBytes,
                counts: .init(
                    blobs: String(stats.blobs),
                    payloadBytes: String(stats.payloadBytes),
                    evidence: String(stats.evidence),
                    events: String(stats.lastEventSeq)
                )
            )
        )
    }

    private func publish(_ request: Request) async throws -> Response {
        guard let rawChannel = PercentDecoding.queryParameter("channel", in: request.uri.query ?? "") else {
            throw APIError.badRequest("missing_channel", "POST /v1/blobs needs ?channel=NAME")
        }
        let channel = try Self.channelName(rawChannel, what: "the channel parameter")
        let payload = try await Self.collect(request, limit: node.configuration.maxBlobBytes)
        do {
            let blob = try await node.publish(channel: channel, payload: payload)
            return Self.json(
                PutJSON(blob, stored: true, evidence: []),
                status: .created
            )
        } catch {
            throw APIError(error)
        }
    }

    private func ingest(_ request: Request) async throws -> Response {
        let bytes = try await Self.collect(request, limit: maxSignedBodyBytes)
        let blob: SignedBlob
        do {
            // Verified here, on the HTTP thread, so that signature checks use every core.
            blob = try SignedBlob.decode(bytes, maxPayloadBytes: node.configuration.maxBlobBytes)
        } catch {
            throw APIError(error)
        }
        do {
            let result = try await node.ingest(blob)
            let stored = result.outcome == .stored
            return Self.json(
                PutJSON(blob, stored: stored, evidence: result.evidence),
                status: stored ? .created : .ok
            )
        } catch {
            throw APIError(error)
        }
    }

    private func blob(_ context: Context) throws -> SignedBlob {
        let text = try context.parameters.require("id")
        guard let id = BlobID(hex: text) else {
            throw APIError.badRequest("invalid_id", "a blob id is 64 hexadecimal characters")
        }
        guard let blob = try Self.read({ try node.store.get(id) }) else { throw APIError.notFound("no blob \(id.hex)") }
        return blob
    }

    private func channel(_ request: Request) throws -> Response {
        // Parse the raw path so that the channel name's bytes can be checked as UTF-8 after percent-decoding.
        let path = request.uri.path.dropFirst("/v1/channels/".count)
        guard let slash = path.firstIndex(of: "/") else {
            throw APIError.badRequest("invalid_channel", "expected /v1/channels/{author}/{name}")
        }
        guard let author = PublicKey(hex: path[..<slash]) else {
            throw APIError.badRequest("invalid_author", "an author is 64 hexadecimal characters")
        }
        let name = try Self.channelName(
            PercentDecoding.bytes(path[path.index(after: slash)...]),
            what: "the channel name"
        )
        let query = request.uri.queryParameters
        let after = try Self.channelCursor(query.get("after"))
        let limit = try Self.integer(query.get("limit"), name: "limit", default: 100, range: 1...Self.maxPageSize)
        let (entries, height) = try Self.read {
            (
                try node.store.channel(author: author, name: name, after: after, limit: Int(limit)),
                try node.store.chainHeight(author: author, name: name)
            )
        }
        return Self.json(
            ChannelPageJSON(
                author: author.hex,
                channel: name.value,
                completeThrough: String(height),
                blobs: entries.map(BlobJSON.init),
                next: (entries.last?.cursor ?? after).description
            )
        )
    }

    /// The `after` parameter of a channel listing (`ChannelCursor`'s text form), `.start` when absent.
    static func channelCursor(_ text: String?) throws -> ChannelCursor {
        guard let text else { return .start }
        guard let cursor = ChannelCursor(text) else {
            throw APIError.badRequest(
                "invalid_cursor",
                "after must be SEQ or SEQ.ID: a decimal seq in 0...\(UInt64.max) without sign or leading zeros, "
                    + "optionally followed by a dot and a blob id of 64 lower-case hexadecimal characters"
            )
        }
        return cursor
    }

    /// A channel name from percent-decoded bytes (`nil`: a malformed escape), as a 400 when it is not a valid name.
    static func channelName(_ bytes: [UInt8]?, what: String) throws -> ChannelName {
        guard let bytes else { throw APIError.badRequest("invalid_channel", "\(what) has a malformed percent escape") }
        do {
            return try ChannelName(utf8: bytes)
        } catch {
            throw APIError(error)
        }
    }

    /// The largest `limit` a listing accepts.
    static let maxPageSize: UInt64 = 1000

    static func integer(_ text: String?, name: String, default value: UInt64, range: ClosedRange<UInt64>) throws
        -> UInt64
    {
        guard let text else { return value }
        guard let parsed = UInt64(text), range.contains(parsed) else {
            throw APIError.badRequest(
                "invalid_parameter",
                "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)"
            )
        }
        return parsed
    }

    /// Reads the whole body, refusing with 413 as soon as it is known to exceed `limit` bytes.
    static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
        let tooLarge = APIError(.contentTooLarge, "too_large", "the body exceeds the limit of \(limit) bytes")
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit { throw tooLarge }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else { throw tooLarge }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// Runs a store read, turning a `StoreError` into a 500 response.
    static func read<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw APIError(error)
        }
    }

    /// `GET /readyz`: 503 until a first reconciliation round finished or the ready timeout passed.
    private func readiness() async -> Response {
        let timeout = await node.syncReadyTimeoutMilliseconds
        switch await node.syncReadiness {
        case .waiting:
            return Self.json(
                [
                    "status": "waiting",
                    "detail": "no reconciliation round with a peer has finished yet; "
                        + "the node is ready at the latest \(timeout) ms after start",
                ],
                status: .serviceUnavailable
            )
        case .synced(let at, let peer):
            return Self.json(
                [
                    "status": "ready", "reason": "synced",
                    "detail": "reconciled with peer \(peer.hex) at \(at) ms",
                ]
            )
        case .timedOut(let at):
            return Self.json(
                [
                    "status": "ready", "reason": "timeout",
                    "detail": "no reconciliation round finished within \(timeout) ms of start "
                        + "(no peer reachable, or none answered); ready since \(at) ms",
                ]
            )
        case nil:
            return Self.json(["status": "ready", "reason": "no_mesh", "detail": "the node runs no mesh"])
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Our own Codable types always encode.
        let data = try! encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func octets(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
