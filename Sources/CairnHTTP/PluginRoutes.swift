import CairnNode
import CairnProtocol
import Hummingbird

/// A plug-in's HTTP companion: the routes through which clients reach the plug-in's state. It lives in CairnHTTP so
/// that neither the node nor the plug-in imports Hummingbird; it reaches the plug-in with `Node.withPlugin`.
public protocol PluginRoutes: Sendable {
    /// Adds the routes to the API's router (after the core's routes, behind the same middleware: JSON errors,
    /// bearer token on POST).
    func add(to router: Router<APIServer.Context>, server: APIServer)
}

extension PluginRoutes {
    /// Runs `body` on the node's loaded plug-in of type `T`, or answers 404 with `code` on a node without one (it was
    /// started without the genesis that loads it).
    static func withPlugin<T: Plugin, Result: Sendable>(
        _ type: T.Type,
        on node: Node,
        missing code: String,
        named name: String,
        _ body: @Sendable (inout T) throws -> (Result, [PluginAction])
    ) async throws -> Result {
        guard let result = try await node.withPlugin(type, body) else {
            throw APIError(
                .notFound,
                code,
                "this node runs no \(name): start it with --genesis FILE (or node.genesis in cairn.toml)"
            )
        }
        return result
    }
}
