import ArgumentParser
import CairnAPI
import CairnCore
import Foundation
import OpenAPIRuntime

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
        let stored = try await client.call {
            try await $0.publishBlob(query: .init(channel: channel), body: .binary(HTTPBody(payload))).created.body.json
        }
        if json {
            printJSON(stored)
        } else {
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
        let path = Operations.GetBlobPayload.Input.Path(id: id.lowercased())
        let data = try await client.call { api in
            let body =
                signed
                ? try await api.getSignedBlob(path: .init(id: path.id)).ok.body.binary
                : try await api.getBlobPayload(path: path).ok.body.binary
            return try await NodeClient.bytes(body)
        }
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
        let client = try options.client(needsToken: false)
        printJSON(try await client.call { try await $0.getPeers().ok.body.json }, pretty: true)
    }
}

/// `cairn status`: the node's identity and counts as JSON.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the node's id, network, uptime and counts.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try options.client(needsToken: false)
        printJSON(try await client.call { try await $0.getNode().ok.body.json }, pretty: true)
    }
}
