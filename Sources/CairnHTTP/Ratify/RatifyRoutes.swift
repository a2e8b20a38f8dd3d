import CairnAPI
import CairnCore
import CairnNode
import CairnProtocol
import CairnRatify
import Foundation
import Hummingbird

/// The ratification plug-in's HTTP companion: `GET /v1/ratify`, `GET /v1/ratify/{root}` and
/// `GET /v1/ratify/{root}/manifest`. On a node without a genesis every route answers 404 `no_ratify`.
public struct RatifyRoutes: PluginRoutes {
    /// The companion; it finds the plug-in through the node.
    public init() {}

    public func add(to router: Router<APIServer.Context>, server: APIServer) {
        let node = server.node
        router.get("/v1/ratify") { _, _ in
            let list = try await Self.withRatify(node) { plugin in
                let state = plugin.state
                return (
                    Components.Schemas.RatifyList(
                        totalStake: String(state.totalStake),
                        roots: state.roots.map { Components.Schemas.RatifyRoot(state, $0) }
                    ), []
                )
            }
            return APIServer.json(list)
        }
        router.get("/v1/ratify/:root") { _, context in
            let root = try Self.root(context)
            let found = try await Self.withRatify(node) { plugin in
                (plugin.state.roots.contains(root) ? Components.Schemas.RatifyRoot(plugin.state, root) : nil, [])
            }
            guard let found else { throw APIError.notFound("no proposal or vote names root \(root.hex)") }
            return APIServer.json(found)
        }
        router.get("/v1/ratify/:root/manifest") { _, context in
            let root = try Self.root(context)
            let manifest = try await Self.withRatify(node) { plugin in (plugin.state.validManifest(of: root), []) }
            guard let manifest else {
                throw APIError.notFound("no complete manifest that hashes to root \(root.hex) is stored here")
            }
            return APIServer.octets(manifest)
        }
    }

    private static func root(_ context: APIServer.Context) throws -> TreeRoot {
        let text = try context.parameters.require("root")
        guard let root = TreeRoot(hex: text) else {
            throw APIError.badRequest("invalid_root", "a root hash is 64 hexadecimal characters, got \"\(text)\"")
        }
        return root
    }

    /// Runs `body` on the ratification plug-in, or answers 404 `no_ratify` on a node without one.
    private static func withRatify<Result: Sendable>(
        _ node: Node,
        _ body: @Sendable (inout RatifyPlugin) throws -> (Result, [PluginAction])
    ) async throws -> Result {
        try await withPlugin(RatifyPlugin.self, on: node, missing: "no_ratify", named: "ratification", body)
    }
}

extension Components.Schemas.RatifyRoot {
    /// One root (`RatifyRoot` in Docs/openapi.yaml, generated): its tally and its proposals.
    init(_ state: RatifyState, _ root: TreeRoot) {
        let tally = state.tally(root)
        self.init(
            root: root.hex,
            ratified: tally.ratified,
            yesStake: String(tally.yesStake),
            noStake: String(tally.noStake),
            totalStake: String(tally.totalStake),
            yesVoters: tally.yesVoters.map(\.hex),
            noVoters: tally.noVoters.map(\.hex),
            proposals: state.proposals(of: root).map {
                ProposalsPayloadPayload(
                    blob: $0.blob.hex,
                    author: $0.author.hex,
                    title: $0.proposal.title,
                    parts: $0.proposal.parts.map(\.hex),
                    manifestValid: state.manifestIsValid($0.proposal)
                )
            }
        )
    }
}
