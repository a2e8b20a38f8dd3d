import ArgumentParser
import CairnCore
import CairnRatify
import Foundation

/// `cairn tree vote`: a stake holder's yes or no on a root.
struct TreeVote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vote",
        abstract: "Vote yes or no on a tree's root hash with your stake (signed here with the key file, posted "
            + "pre-signed); prints the vote's blob id."
    )

    @Argument(help: "The root hash voted on (64 hexadecimal characters).")
    var root: String

    @Argument(help: "yes or no.")
    var choice: String

    @Option(help: "The stake holder's key file.")
    var key: String

    @OptionGroup var options: ClientOptions

    func run() async throws {
        guard let root = TreeRoot(hex: root) else {
            throw CLIError("the root hash is 64 hexadecimal characters, got \"\(self.root)\"")
        }
        guard ["yes", "no"].contains(choice) else { throw CLIError("the choice is yes or no, got \"\(choice)\"") }
        let signer = try loadSigningKey(key)
        let node = try await QuorumClient(try options.client(needsToken: true))
        let vote = RatifyVote(genesis: node.genesis, root: root, yes: choice == "yes")
        print(try await node.postSigned(signer, RatifyChannel.vote, vote.encoding).hex)
    }
}

/// `cairn tree status`: the tallies the node computes.
struct TreeStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print every proposed or voted root with its tally (GET /v1/ratify), or one root's."
    )

    @Argument(help: "A root hash (default: all).")
    var root: String?

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let path: String
        if let root {
            guard let parsed = TreeRoot(hex: root) else {
                throw CLIError("the root hash is 64 hexadecimal characters, got \"\(root)\"")
            }
            path = "/v1/ratify/\(parsed.hex)"
        } else {
            path = "/v1/ratify"
        }
        let answer = try await options.client(needsToken: false).send("GET", path)
        FileHandle.standardOutput.write(answer + Data("\n".utf8))
    }
}
