import CairnAPI
import CairnCore
import CairnNode
import CairnRatify
import Foundation
import HTTPTypes
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// The node's HTTP API for the client commands: the client generated from Docs/openapi.yaml (module `CairnAPI`) over
/// AsyncHTTPClient, with every failure turned into a one-line `CLIError`.
struct NodeClient {
    /// The node's base URL, as given to `--api`.
    let base: URL
    /// The generated client.
    let api: Client

    /// A client for the node at `api`; the token is read from the data directory when `needsToken` and none is given.
    init(api: String, token: String?, data: DataOption, needsToken: Bool) throws {
        base = try Self.url(api)
        var resolved = token
        if resolved == nil, needsToken {
            do {
                resolved = try DataDirectory.resolve(data.path).loadToken()
            } catch {
                throw CLIError("\(error.description); pass --token or --data")
            }
        }
        self.api = Client(
            serverURL: base,
            transport: AsyncHTTPClientTransport(),
            middlewares: [NodeClientMiddleware(token: resolved)]
        )
    }

    /// `api` as a URL.
    /// - Throws: `CLIError` unless it is an `http://` or `https://` URL with a host.
    static func url(_ api: String) throws -> URL {
        guard let url = URL(string: api), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            throw CLIError("--api must be an http:// or https:// URL, got \"\(api)\"")
        }
        return url
    }

    /// Runs one or more calls of the generated client.
    /// - Throws: `CLIError`: the API's `detail` for an answer other than 2xx, "cannot reach the node" for a transport
    ///   failure, or a sentence naming the operation for an answer the document does not allow.
    func call<T>(_ body: (Client) async throws -> T) async throws -> T {
        do {
            return try await body(api)
        } catch let error as CLIError {
            throw error
        } catch let error as ClientError {
            if let failure = error.underlyingError as? CLIError { throw failure }
            guard error.response != nil else {
                throw CLIError("cannot reach the node at \(base.absoluteString): \(error.underlyingError)")
            }
            throw CLIError(
                "the node's answer to \(error.operationID) is not the expected one: \(error.underlyingError)"
            )
        } catch {
            throw CLIError("the node's answer is not the expected one: \(error)")
        }
    }

    /// Posts a canonical signed blob (`POST /v1/blobs/signed`); new or already held alike.
    func postSigned(_ blob: SignedBlob) async throws {
        try await call { api in
            switch try await api.postSignedBlob(body: .binary(HTTPBody(blob.encoding))) {
            case .ok, .created: return
            default: throw CLIError("the node's answer to postSignedBlob is not 200 or 201")
            }
        }
    }

    /// The manifest of a ratified (or proposed) root, `GET /v1/ratify/{root}/manifest`.
    func manifest(of root: TreeRoot) async throws -> [UInt8] {
        try await call { api in
            let body = try await api.getRatifyManifest(path: .init(root: root.hex)).ok.body.binary
            return Array(try await Self.bytes(body))
        }
    }

    /// The largest page a channel listing gives (`limit`).
    static let maxPageSize = 1000

    /// Reads a binary answer whole (a payload, an encoding, a manifest).
    static func bytes(_ body: HTTPBody) async throws -> Data {
        try await Data(collecting: body, upTo: maxBinaryAnswerBytes)
    }

    /// The largest binary answer read: far above any payload or manifest a node serves.
    static let maxBinaryAnswerBytes = 1 << 30
}

/// Sends `Authorization: Bearer <token>` with every POST (the operations Docs/openapi.yaml marks with the `bearer`
/// scheme), and turns an answer other than 2xx into `CLIError("<detail> (HTTP <status> <error>)")` before the
/// generated client decodes it, so that every command reports the API's own explanation the same way.
struct NodeClientMiddleware: ClientMiddleware {
    /// The node's API token, when the command has one.
    let token: String?

    /// The most of an error body read.
    static let maxErrorBytes = 64 * 1024

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        if let token, request.method == .post { request.headerFields[.authorization] = "Bearer \(token)" }
        let (response, responseBody) = try await next(request, body, baseURL)
        guard response.status.kind != .successful else { return (response, responseBody) }
        let status = response.status.code
        var data = Data()
        if let responseBody { data = (try? await Data(collecting: responseBody, upTo: Self.maxErrorBytes)) ?? Data() }
        guard let failure = try? JSONDecoder().decode(Components.Schemas._Error.self, from: data) else {
            throw CLIError("the node answered HTTP \(status)")
        }
        let code: String = failure.error
        let detail: String = failure.detail
        throw CLIError("\(detail) (HTTP \(status) \(code))")
    }
}
