import ArgumentParser
import CairnCore
import CairnNode
import CairnQuorum
import Foundation

/// `cairn key`: signing keys kept offline, in the node key's format (64 hexadecimal characters of Ed25519 seed).
struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or inspect an offline signing key.",
        subcommands: [Generate.self, Show.self]
    )

    /// `cairn key generate FILE`.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new Ed25519 key to FILE (mode 0600; never overwrites) and print its public key."
        )

        @Argument(help: "Where to write the key.")
        var file: String

        func run() throws {
            let key = SigningKey.generate()
            let text = Hex.encode(key.seed) + "\n"
            do {
                try FileProblem.createNew(file, bytes: Array(text.utf8), mode: 0o600)
            } catch {
                let reason = error.code == EEXIST ? "it exists; refusing to overwrite it" : error.reason
                throw CLIError("cannot create \(file): \(reason)")
            }
            print(key.publicKey.hex)
        }
    }

    /// `cairn key show FILE`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the public key of the key in FILE.")

        @Argument(help: "A key file (64 hexadecimal characters of seed).")
        var file: String

        func run() throws {
            print(try loadSigningKey(file).publicKey.hex)
        }
    }
}

/// Reads a key file written by `cairn key generate` or `cairn init` (`node.key`).
func loadSigningKey(_ path: String) throws -> SigningKey {
    let data: [UInt8]
    do {
        data = try FileProblem.readBytes(path)
    } catch {
        throw CLIError("cannot read key file \(path): \(error.reason)")
    }
    let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard text.utf8.count == 2 * SigningKey.seedBytes, let seed = Hex.decode(text),
        let key = try? SigningKey(seed: seed)
    else {
        throw CLIError("\(path) is not a key file: expected \(2 * SigningKey.seedBytes) hexadecimal characters")
    }
    return key
}

/// Reads `path`, or standard input for `-`.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    do {
        return try FileProblem.readBytes(path)
    } catch {
        throw CLIError("cannot read \(path): \(error.reason)")
    }
}

/// `cairn blob`: sign and check blobs without a node.
struct Blob: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a blob offline, or check a signed blob.",
        subcommands: [Sign.self, Verify.self]
    )

    /// `cairn blob sign`.
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a payload as one blob of a channel and write its canonical encoding (post it with "
                + "POST /v1/blobs/signed); prints the blob id."
        )

        @Option(help: "The key file to sign with.")
        var key: String

        @Option(help: "Channel name (1 to 64 bytes of UTF-8).")
        var channel: String

        @Option(help: "Position in the channel, from 1.")
        var seq: UInt64

        @Option(help: "The id of the blob at seq - 1 (64 hexadecimal characters); omit for seq 1.")
        var prev: String?

        @Option(help: "The author's timestamp in Unix milliseconds (default: now).")
        var timestamp: UInt64?

        @Option(help: "Where to write the signed blob.")
        var out: String

        @Argument(help: "The payload file; '-' reads standard input.")
        var payload: String

        func run() throws {
            let signer = try loadSigningKey(key)
            let name = try ChannelName.parse(channel)
            guard seq >= 1 else { throw CLIError("--seq starts at 1") }
            let previous: BlobID
            switch (seq, prev) {
            case (1, nil): previous = .zero
            case (1, .some): throw CLIError("--prev must be omitted for seq 1")
            case (_, nil): throw CLIError("--prev is required for seq \(seq): the id of the blob at seq \(seq - 1)")
            case (_, .some(let text)):
                guard let id = BlobID(hex: text) else { throw CLIError("--prev: expected 64 hexadecimal characters") }
                previous = id
            }
            let blob: SignedBlob
            do {
                blob = try SignedBlob.sign(
                    key: signer,
                    channel: name,
                    seq: seq,
                    prev: previous,
                    timestamp: timestamp ?? UInt64(Date().timeIntervalSince1970 * 1000),
                    payload: try readInput(payload)
                )
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("cannot sign: \(error)")
            }
            guard FileManager.default.createFile(atPath: out, contents: Data(blob.encoding)) else {
                throw CLIError("cannot write \(out)")
            }
            print(blob.id.hex)
        }
    }

    /// `cairn blob verify FILE`.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a signed blob's encoding and signature; prints its fields as JSON, exits 1 if invalid."
        )

        @Argument(help: "A signed blob's canonical encoding; '-' reads standard input.")
        var file: String

        func run() throws {
            let blob: SignedBlob
            do {
                blob = try SignedBlob.decode(try readInput(file), maxPayloadBytes: SignedBlob.protocolMaxPayloadBytes)
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("invalid blob: \(error)")
            }
            printJSON(Summary(blob))
        }
    }

    /// What `cairn blob verify` prints.
    struct Summary: Encodable {
        let id: String
        let author: String
        let channel: String
        let seq: String
        let prev: String
        let timestamp: String
        let size: Int

        init(_ blob: SignedBlob) {
            id = blob.id.hex
            author = blob.author.hex
            channel = blob.channel.value
            seq = String(blob.seq)
            prev = blob.prev.hex
            timestamp = String(blob.timestamp)
            size = blob.payload.count
        }
    }
}

/// `cairn evidence`: check evidence without a node.
struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Check evidence offline.",
        subcommands: [Verify.self]
    )

    /// `cairn evidence verify FILE`.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an evidence object (structure, both signatures, and the conflict its kind claims); "
                + "prints it as JSON, exits 1 if it proves nothing."
        )

        @Argument(help: "An evidence object's canonical encoding; '-' reads standard input.")
        var file: String

        @Option(help: "The genesis file a quorum double sign (kind 2) is judged against.")
        var genesis: String?

        func run() throws {
            let evidence: Evidence
            do {
                evidence = try Evidence.decode(try readInput(file))
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("invalid evidence: \(error)")
            }
            switch evidence.kind {
            case .channelFork:
                break
            case QuorumRules.equivocationKind:
                guard let genesis else {
                    throw CLIError(
                        "kind 2 (a quorum double sign) is judged against its network's genesis: pass --genesis FILE"
                    )
                }
                if let refusal = QuorumRules(genesis: try Genesis.load(genesis)).judge(evidence) {
                    throw CLIError("not a double sign of this genesis: \(refusal)")
                }
            default:
                throw CLIError(
                    "evidence of kind \(evidence.kind.rawValue): this build judges channel forks (kind 1) and quorum "
                        + "double signs (kind 2)"
                )
            }
            printJSON(
                Summary(
                    id: evidence.id.hex,
                    kind: "\(evidence.kind)",
                    author: evidence.first.author.hex,
                    blobs: [Blob.Summary(evidence.first), Blob.Summary(evidence.second)]
                )
            )
        }
    }

    /// What `cairn evidence verify` prints.
    struct Summary: Encodable {
        let id: String
        let kind: String
        let author: String
        let blobs: [Blob.Summary]
    }
}

/// Writes `value` as JSON with sorted keys to standard output: one line, or indented when `pretty`.
func printJSON(_ value: some Encodable, pretty: Bool = false) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys]
    // Our own Encodable types always encode.
    FileHandle.standardOutput.write(try! encoder.encode(value) + Data("\n".utf8))
}
