import ArgumentParser

/// Options of every command that talks to a running node.
struct ClientOptions: ParsableArguments {
    @Option(help: "The node's HTTP API.")
    var api = "http://127.0.0.1:7701"

    @Option(help: "API bearer token (default: read from the data directory's api.token).")
    var token: String?

    @OptionGroup var data: DataOption

    func client(needsToken: Bool) throws -> NodeClient {
        try NodeClient(api: api, token: token, data: data, needsToken: needsToken)
    }
}
