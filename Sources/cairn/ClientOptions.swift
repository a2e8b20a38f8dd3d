import ArgumentParser
import CairnNode
import Foundation

/// Options of every command that talks to a running node.
struct ClientOptions: ParsableArguments {
    @Option(help: "The node's HTTP API.")
    var api = Self.defaultAPI

    static let defaultAPI = "http://127.0.0.1:7701"

    @Option(help: "API bearer token (default: read from the data directory's api.token).")
    var token: String?

    @OptionGroup var data: DataOption

    func validate() throws {
        guard let components = URLComponents(string: api), ["http", "https"].contains(components.scheme),
            components.host?.isEmpty == false
        else {
            throw ValidationError(
                "--api \(NodeConfiguration.quoted(api)): expected an http:// or https:// URL, e.g. \(Self.defaultAPI)"
            )
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw ValidationError(
                "--api \(NodeConfiguration.quoted(api)): the port must be 1 to 65535, e.g. \(Self.defaultAPI)"
            )
        }
    }

    func client(needsToken: Bool) throws -> NodeClient {
        try NodeClient(api: api, token: token, data: data, needsToken: needsToken)
    }
}
