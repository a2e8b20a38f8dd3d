import Hummingbird

/// A plug-in's HTTP companion: the routes through which clients reach the plug-in's state. It lives in CairnHTTP so
/// that neither the node nor the plug-in imports Hummingbird; it reaches the plug-in with `Node.withPlugin`.
public protocol PluginRoutes: Sendable {
    /// Adds the routes to the API's router (after the core's routes, behind the same middleware: JSON errors,
    /// bearer token on POST).
    func add(to router: Router<APIServer.Context>, server: APIServer)
}
