import ArgumentParser
import CairnCore
import Foundation

/// `cairn put`: publish a file or standard input as the next blob of one of this node's channels.
struct Put: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a file (or standard input) as the next blob of a channel; prints its id."
    )

    @Argument(help: "File to publish; '-' or nothing reads standard input.")
    var file: String?

    @Option(help: "Channel name (1 to 64 bytes of UTF-8).")
    var channel = "main"

    @Flag(help: "Print the node's whole JSON answer instead of just the id.")
    var json = false

    @OptionGroup var options: ClientOptions

    func run() async throws {
        _ = try ChannelName.parse(channel)
        let payload: Data
        if let file, file != "-" {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError("cannot read \(file)")
            }
            payload = data
        } else {
            payload = FileHandle.standardInput.readDataToEndOfFile()
        }
        let client = try options.client(needsToken: true)
        let answer = try await client.send(
            "POST",
            "/v1/blobs",
            query: [URLQueryItem(name: "channel", value: channel)],
            body: payload
        )
        if json {
            FileHandle.standardOutput.write(answer + Data("\n".utf8))
        } else {
            struct Stored: Decodable { let id: String }
            guard let stored = try? JSONDecoder().decode(Stored.self, from: answer) else {
                throw CLIError("the node's answer is not the expected JSON")
            }
            print(stored.id)
        }
    }
}

/// `cairn get`: a blob's payload to standard output or a file.
struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a blob's payload to standard output or a file.")

    @Argument(help: "Blob id (64 hexadecimal characters).")
    var id: String

    @Option(name: .shortAndLong, help: "Write the payload to this file instead of standard output.")
    var output: String?

    @Flag(help: "Fetch the canonical signed encoding instead of the payload.")
    var signed = false

    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard BlobID(hex: id) != nil else { throw ValidationError("a blob id is 64 hexadecimal characters") }
    }

    func run() async throws {
        let client = try options.client(needsToken: false)
        let data = try await client.send("GET", "/v1/blobs/\(id.lowercased())/\(signed ? "signed" : "payload")")
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: data) else {
                throw CLIError("cannot write \(output)")
            }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

/// `cairn peers`: the connected peers as JSON.
struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the connected peers: id, direction, address, score, mesh membership."
    )

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try printJSON(try await options.client(needsToken: false).send("GET", "/v1/peers"))
    }
}

/// Writes JSON to stdout, pretty-printed with sorted keys.
func printJSON(_ data: Data) throws {
    let object = try JSONSerialization.jsonObject(with: data)
    let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    FileHandle.standardOutput.write(pretty + Data("\n".utf8))
}

/// `cairn status`: the node's identity and counts as JSON.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the node's id, network, uptime and counts.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try printJSON(try await options.client(needsToken: false).send("GET", "/v1/node"))
    }
}
