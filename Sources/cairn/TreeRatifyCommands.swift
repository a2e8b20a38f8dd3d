import ArgumentParser
import CairnAPI
import CairnCore
import CairnRatify
import Foundation
import OpenAPIRuntime

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
        let root = try TreeRoot.parse(root)
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
        let client = try options.client(needsToken: false)
        if let root {
            let path = Operations.GetRatifyRoot.Input.Path(root: try TreeRoot.parse(root).hex)
            printJSON(try await client.call { try await $0.getRatifyRoot(path: path).ok.body.json })
        } else {
            printJSON(try await client.call { try await $0.listRatify().ok.body.json })
        }
    }
}

/// `cairn tree propose`: publish a tree's root and manifest for holders to vote on.
struct TreePropose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propose",
        abstract: "Propose DIR's root hash for ratification: its manifest in parts, then the proposal; prints the root "
            + "and the proposal's blob id."
    )

    @Argument(help: "The directory whose tree is proposed.")
    var directory: String

    @Option(help: "A title, 1 to 200 bytes of UTF-8.")
    var title: String

    @Option(help: "Sign here with this key file (default: the node signs with its own key).")
    var key: String?

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let manifest: TreeManifest
        do { manifest = try TreeScanner.scan(directory) } catch { throw CLIError(error.description) }
        let client = try options.client(needsToken: true)
        let node = try await QuorumClient(client)
        let signer = try key.map(loadSigningKey)
        var parts: [BlobID] = []
        let encoding = manifest.encoding
        let chunkBytes = try await Self.chunkBytes(client)
        for start in stride(from: 0, to: encoding.count, by: chunkBytes) {
            let chunk = Array(encoding[start..<min(start + chunkBytes, encoding.count)])
            let part = try RatifyManifestPart(genesis: node.genesis, chunk: chunk)
            parts.append(try await Self.publish(part.encoding, on: RatifyChannel.manifest, signer, node))
        }
        let proposal: RatifyProposal
        do {
            proposal = try RatifyProposal(genesis: node.genesis, root: manifest.root, title: title, parts: parts)
        } catch {
            throw CLIError("cannot build the proposal: \(error)")
        }
        let id = try await Self.publish(proposal.encoding, on: RatifyChannel.proposal, signer, node)
        print("\(manifest.root.hex) \(id.hex)")
    }

    /// The largest manifest chunk one blob carries on this node: its payload limit less the part's header.
    private static func chunkBytes(_ client: NodeClient) async throws -> Int {
        let info = try await client.call { try await $0.getNode().ok.body.json }
        guard info.maxBlobBytes > 64 else {
            throw CLIError("the node's GET /v1/node answer is not the expected JSON")
        }
        return info.maxBlobBytes - 33
    }

    /// Publishes a payload: signed here when a key is given, else by the node.
    private static func publish(
        _ payload: [UInt8],
        on channel: ChannelName,
        _ signer: SigningKey?,
        _ node: QuorumClient
    )
        async throws -> BlobID
    {
        if let signer { return try await node.postSigned(signer, channel, payload) }
        let answer = try await node.client.call {
            try await $0.publishBlob(query: .init(channel: channel.value), body: .binary(HTTPBody(payload))).created
                .body.json
        }
        guard let id = BlobID(hex: answer.id) else {
            throw CLIError("the node's answer has no blob id")
        }
        return id
    }
}

/// `cairn tree check`: is this tree what the holders ratified?
struct TreeCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Exit 0 only if DIR hashes to a ratified root (or to HASH, when given, and HASH is ratified); "
            + "otherwise name the files that differ from the closest ratified manifest.",
        discussion: """
            Prints the root DIR hashes to and the verdict. When it is not ratified, the files that differ from the \
            closest ratified manifest the node holds (HASH's, when given) follow as '+ PATH', '- PATH', '~ PATH'. \
            Exit status: 0 ratified, 1 not, 2 when DIR or the node cannot be used.
            """
    )

    @Argument(help: "The directory to check.")
    var directory: String

    @Argument(help: "The ratified root it must hash to (default: any ratified root).")
    var root: String?

    @OptionGroup var options: ClientOptions

    func run() async throws {
        do {
            try await check()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(TreeCommand.Diff.troubleExitCode)
        }
    }

    private func check() async throws {
        let expected = try root.map(TreeRoot.parse)
        let tree: TreeManifest
        do { tree = try TreeScanner.scan(directory) } catch { throw CLIError(error.description) }
        let client = try options.client(needsToken: false)
        let list = try await client.call { try await $0.listRatify().ok.body.json }
        let ratified = list.roots.filter(\.ratified).compactMap { TreeRoot(hex: $0.root) }.filter {
            expected == nil || $0 == expected
        }
        if ratified.contains(tree.root) {
            print("\(tree.root.hex) ratified")
            return
        }
        print("\(tree.root.hex) not ratified")
        var closest: TreeDiff?
        for root in ratified {
            guard let bytes = try? await client.manifest(of: root),
                let manifest = try? TreeManifest.decode(Array(bytes), expecting: root)
            else { continue }
            let diff = TreeDiff(expected: manifest, found: tree)
            if closest.map({ diff.changes.count < $0.changes.count }) ?? true { closest = diff }
        }
        if let closest {
            for change in closest.changes { print(change) }
        } else {
            FileHandle.standardError.write(Data("no ratified manifest to compare with\n".utf8))
        }
        throw ExitCode.failure
    }
}

extension TreeRoot {
    /// A root hash given on the command line.
    /// - Throws: `CLIError` naming the text when it is not 64 hexadecimal characters.
    static func parse(_ text: String) throws -> TreeRoot {
        guard let root = TreeRoot(hex: text) else {
            throw CLIError("the root hash is 64 hexadecimal characters, got \"\(text)\"")
        }
        return root
    }
}
