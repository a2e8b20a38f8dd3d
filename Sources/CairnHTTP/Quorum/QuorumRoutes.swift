import CairnAPI
import CairnCore
import CairnNode
import CairnProtocol
import CairnQuorum
import Foundation
import Hummingbird

/// The quorum plug-in's HTTP companion: `GET /v1/quorum`, `GET /v1/quorum/heights/{h}`,
/// `POST /v1/quorum/signatures` and `POST /v1/quorum/votes`. On a node without a genesis every route answers 404
/// `no_quorum`.
public struct QuorumRoutes: PluginRoutes {
    /// The largest body the POST routes read (a slip names at most 100 candidates and 100 drops).
    static let maxBodyBytes = 32 * 1024

    /// The companion; it finds the plug-in through the node.
    public init() {}

    public func add(to router: Router<APIServer.Context>, server: APIServer) {
        let node = server.node
        router.get("/v1/quorum") { _, _ in
            let status = try await Self.withQuorum(node) { plugin in (plugin.status(), []) }
            return APIServer.json(Components.Schemas.QuorumStatus(status))
        }
        router.get("/v1/quorum/heights/:height") { _, context in
            let text = try context.parameters.require("height")
            guard let height = UInt64(text), height >= 1 else {
                throw APIError.badRequest(
                    "invalid_height",
                    "a height is a decimal integer of at least 1, got \"\(text)\""
                )
            }
            let report = try await Self.withQuorum(node) { plugin in (plugin.report(height: height), []) }
            return APIServer.json(Components.Schemas.QuorumHeight(report))
        }
        router.post("/v1/quorum/signatures") { request, _ in
            let body = try await Self.decode(SignRequestJSON.self, request)
            guard body.height >= 1 else { throw APIError.badRequest("invalid_height", "height must be at least 1") }
            let signature: QuorumSignature
            do {
                signature = try await Self.withQuorum(node) { plugin in
                    (try plugin.prepareSignature(height: body.height, block: body.block, voteSet: body.voteSet), [])
                }
            } catch let refusal as QuorumSigningError {
                throw APIError(refusal)
            }
            let blob = try await Self.publish(node, QuorumChannel.signature, signature.encoding)
            return APIServer.json(
                Components.Schemas.QuorumSignatureBlob(
                    id: blob.id.hex,
                    author: blob.author.hex,
                    channel: blob.channel.value,
                    seq: String(blob.seq),
                    epoch: String(signature.epoch),
                    height: String(signature.height),
                    block: signature.block.hex,
                    voteSet: signature.voteSet.hex
                ),
                status: .created
            )
        }
        router.post("/v1/quorum/votes") { request, _ in
            let body = try await Self.decode(VoteRequestJSON.self, request)
            let genesis = try await Self.withQuorum(node) { plugin in (plugin.state.genesis.hash, []) }
            let slip: QuorumVoteSlip
            do {
                slip = try QuorumVoteSlip(
                    genesis: genesis,
                    candidates: body.candidates,
                    recall: body.recall.map { QuorumVoteSlip.Recall(epoch: $0.epoch, drops: $0.drops) }
                )
            } catch {
                throw APIError.badRequest("invalid_vote", "\(error)")
            }
            let blob = try await Self.publish(node, QuorumChannel.vote, slip.encoding)
            return APIServer.json(
                Components.Schemas.PublishedBlob(
                    id: blob.id.hex,
                    author: blob.author.hex,
                    channel: blob.channel.value,
                    seq: String(blob.seq)
                ),
                status: .created
            )
        }
    }

    /// Runs `body` on the quorum plug-in, or answers 404 `no_quorum` on a node without one.
    static func withQuorum<Result: Sendable>(
        _ node: Node,
        _ body: @Sendable (inout QuorumPlugin) throws -> (Result, [PluginAction])
    ) async throws -> Result {
        try await withPlugin(QuorumPlugin.self, on: node, missing: "no_quorum", named: "quorum", body)
    }

    private static func publish(_ node: Node, _ channel: ChannelName, _ payload: [UInt8]) async throws -> SignedBlob {
        do {
            return try await node.publish(channel: channel, payload: payload)
        } catch {
            throw APIError(error)
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let bytes = try await APIServer.collect(request, limit: maxBodyBytes)
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw APIError.badRequest("invalid_body", "the body is not the expected JSON: \(Self.describe(error))")
        }
    }

    /// A decoding error in a sentence: which field, what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
            return keys.isEmpty ? "the body" : "field \"\(keys)\""
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "missing field \"\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

extension APIError {
    /// A refusal to sign: 409 for a request that conflicts with the quorum's state, 503 while replaying, 500 when the
    /// record cannot be written.
    init(_ refusal: QuorumSigningError) {
        let status: HTTPResponse.Status =
            refusal.isInternal ? .internalServerError : refusal.code == "not_ready" ? .serviceUnavailable : .conflict
        self.init(status, refusal.code, refusal.description)
    }
}
