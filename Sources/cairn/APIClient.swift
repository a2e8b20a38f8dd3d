import CairnNode
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A small client for the node's HTTP API, used by the client commands.
struct APIClient {
    let base: URL
    let token: String?

    /// Options every client command shares.
    init(api: String, token: String?, data: DataOption, needsToken: Bool) throws {
        base = try Self.url(api)
        if let token {
            self.token = token
        } else if needsToken {
            do {
                self.token = try DataDirectory.resolve(data.path).loadToken()
            } catch {
                throw CLIError("\(error.description); pass --token or --data")
            }
        } else {
            self.token = nil
        }
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

    /// Sends a request and returns the body of a 2xx answer.
    /// - Throws: `CLIError` with the API's `detail` for any other status, or the transport failure.
    func send(_ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil) async throws -> Data {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.percentEncodedPath =
            (components.percentEncodedPath.hasSuffix("/")
                ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath) + path
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.url else { throw CLIError("cannot build a URL for \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CLIError("cannot reach the node at \(base.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            struct Failure: Decodable {
                let error: String
                let detail: String
            }
            if let failure = try? JSONDecoder().decode(Failure.self, from: data) {
                throw CLIError("\(failure.detail) (HTTP \(status) \(failure.error))")
            }
            throw CLIError("the node answered HTTP \(status)")
        }
        return data
    }
}
