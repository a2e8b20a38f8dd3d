import ArgumentParser
import CairnAPI
import CairnCore
import CairnNode
import CairnQuorum
import Foundation

/// `cairn quorum`: take part in a quorum network and look at it.
struct QuorumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quorum",
        abstract: "Stand as a candidate, vote, sign blocks, and look at the quorum.",
        subcommands: [Status.self, Sign.self, Candidacy.self, Vote.self, Protection.self]
    )

    /// `cairn quorum status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the quorum as the node sees it (GET /v1/quorum): epoch, members, last decided height."
        )

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client(needsToken: false)
            printJSON(try await client.call { try await $0.getQuorum().ok.body.json })
        }
    }

    /// `cairn quorum sign`.
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a block at a height as a member; prints the signature blob's id.",
            discussion: """
                Without --key the node signs with its own key (POST /v1/quorum/signatures), after its slashing \
                protection has recorded the signature. With --key the signature is made here with that key file \
                and posted pre-signed: no slashing protection applies (tests and demos play a faulty member so).
                """
        )

        @Option(help: "The height to sign (the first undecided one).")
        var height: UInt64

        @Option(help: "The block hash from the application, 64 hexadecimal characters.")
        var block: String

        @Option(help: "The vote set id to sign (default: the proposer's for this block, else the last decided one).")
        var voteSet: String?

        @Option(help: "Sign here with this key file instead of the node's key (no slashing protection).")
        var key: String?

        @Option(help: "With --key: the epoch to sign for (default: the node's running epoch).")
        var epoch: UInt64?

        @OptionGroup var options: ClientOptions

        func run() async throws {
            guard height >= 1 else { throw CLIError("--height starts at 1") }
            guard let blockHash = BlockHash(hex: block) else {
                throw CLIError("--block expects 64 hexadecimal characters, got \"\(block)\"")
            }
            let voteSetID = try voteSet.map { text in
                guard let id = BlobID(hex: text) else {
                    throw CLIError("--vote-set expects 64 hexadecimal characters, got \"\(text)\"")
                }
                return id
            }
            let client = try options.client(needsToken: true)
            guard let key else {
                let request = Components.Schemas.SignRequest(
                    height: String(height),
                    block: blockHash.hex,
                    voteSet: voteSetID?.hex
                )
                print(try await client.call { try await $0.signQuorumBlock(body: .json(request)).created.body.json.id })
                return
            }
            let signer = try loadSigningKey(key)
            let quorum = try await QuorumClient(client)
            let signature: QuorumSignature
            do {
                signature = try QuorumSignature(
                    genesis: quorum.genesis,
                    epoch: epoch ?? quorum.epoch,
                    height: height,
                    block: blockHash,
                    voteSet: voteSetID ?? QuorumSignature.emptyVoteSet
                )
            } catch {
                throw CLIError("cannot build the signature: \(error)")
            }
            print(try await quorum.postSigned(signer, QuorumChannel.signature, signature.encoding).hex)
        }
    }

    /// `cairn quorum candidacy`.
    struct Candidacy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stand as a candidate: sign a candidacy with the key file here and post it pre-signed."
        )

        @Option(help: "The candidate's key file (its stake-table key).")
        var key: String

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let signer = try loadSigningKey(key)
            let quorum = try await QuorumClient(try options.client(needsToken: true))
            let payload = QuorumCandidacy(genesis: quorum.genesis).encoding
            print(try await quorum.postSigned(signer, QuorumChannel.candidacy, payload).hex)
        }
    }

    /// `cairn quorum vote`.
    struct Vote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Vote with your stake: sign a vote slip with the key file here and post it pre-signed."
        )

        @Option(help: "The stake holder's key file.")
        var key: String

        @Option(help: "Recall this epoch (more than half of all stake ends it).")
        var recall: UInt64?

        @Option(
            name: .customLong("drop"),
            help: "With --recall: a member the next election must leave out (repeatable)."
        )
        var drops: [String] = []

        @Argument(help: "The candidates' public keys (64 hexadecimal characters each), 1 to quorum_size of them.")
        var candidates: [String]

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let keys = try (candidates + drops).map { text in
                guard let key = PublicKey(hex: text) else {
                    throw CLIError("\"\(text)\" is not a public key: expected 64 hexadecimal characters")
                }
                return key
            }
            guard recall != nil || drops.isEmpty else { throw CLIError("--drop needs --recall EPOCH") }
            let signer = try loadSigningKey(key)
            let quorum = try await QuorumClient(try options.client(needsToken: true))
            let slip: QuorumVoteSlip
            do {
                slip = try QuorumVoteSlip(
                    genesis: quorum.genesis,
                    candidates: Array(keys.prefix(candidates.count)),
                    recall: recall.map {
                        QuorumVoteSlip.Recall(epoch: $0, drops: Array(keys.dropFirst(candidates.count)))
                    }
                )
            } catch {
                throw CLIError("cannot build the vote slip: \(error)")
            }
            print(try await quorum.postSigned(signer, QuorumChannel.vote, slip.encoding).hex)
        }
    }
}

/// What the client commands need from a quorum node: its genesis, its running epoch, and channel tips to sign after.
struct QuorumClient {
    let client: NodeClient
    let genesis: GenesisHash
    let epoch: UInt64

    /// Reads the node's quorum status.
    init(_ client: NodeClient) async throws {
        self.client = client
        let status = try await client.call { try await $0.getQuorum().ok.body.json }
        guard let genesis = GenesisHash(hex: status.genesis), let epoch = UInt64(status.epoch.epoch) else {
            throw CLIError("the node's GET /v1/quorum answer is not the expected JSON")
        }
        self.genesis = genesis
        self.epoch = epoch
    }

    /// Signs `payload` as the next blob of `key`'s `channel` (after the last one the node lists) and posts it
    /// pre-signed.
    /// - Returns: the blob's id.
    func postSigned(_ key: SigningKey, _ channel: ChannelName, _ payload: [UInt8]) async throws -> BlobID {
        let tip = try await tip(of: key.publicKey, channel)
        let blob: SignedBlob
        do {
            blob = try SignedBlob.sign(
                key: key,
                channel: channel,
                seq: (tip?.seq ?? 0) + 1,
                prev: tip?.id ?? .zero,
                timestamp: UInt64(Date().timeIntervalSince1970 * 1000),
                payload: payload
            )
        } catch {
            throw CLIError("cannot sign: \(error)")
        }
        try await client.postSigned(blob)
        return blob.id
    }

    /// The last blob of a channel as the node lists it, `nil` for an empty channel.
    func tip(of author: PublicKey, _ channel: ChannelName) async throws -> (seq: UInt64, id: BlobID)? {
        var after: String?
        var last: (seq: UInt64, id: BlobID)?
        while true {
            let input = Operations.ListChannel.Input(
                path: .init(author: author.hex, name: channel.value),
                query: .init(after: after, limit: Int(NodeClient.maxPageSize))
            )
            let page = try await client.call { try await $0.listChannel(input).ok.body.json }
            guard let entry = page.blobs.last else { return last }
            guard let seq = UInt64(entry.seq), let id = BlobID(hex: entry.id) else {
                throw CLIError("the node's channel listing is not the expected JSON")
            }
            last = (seq, id)
            after = page.next
        }
    }
}
