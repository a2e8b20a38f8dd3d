import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Adds `Authorization: Bearer <token>` to the requests of the operations Docs/openapi.yaml marks with the `bearer`
/// security scheme (every POST). The generated `Client` (`Client`, `Operations`, `Components`, built from that file at
/// build time by swift-openapi-generator's plug-in) leaves authentication to a middleware.
public struct BearerTokenMiddleware: ClientMiddleware {
    /// The node's API token (the content of `api.token`).
    public let token: String

    /// A middleware that sends `token` with every POST.
    public init(token: String) {
        self.token = token
    }

    public func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        if request.method == .post { request.headerFields[.authorization] = "Bearer \(token)" }
        return try await next(request, body, baseURL)
    }
}
