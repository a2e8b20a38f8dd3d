import ArgumentParser
import CairnRatify
import Foundation

/// `cairn tree`: the tree hash of a source tree (`Docs/PROTOCOL.md` §7), offline.
struct TreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "Hash a source tree, compare one with a manifest, and ratify roots by stake vote.",
        subcommands: [Hash.self, Diff.self, TreePropose.self, TreeVote.self, TreeStatus.self, TreeCheck.self]
    )

    /// `cairn tree hash DIR [--manifest FILE]`.
    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the root hash of the files under DIR.",
            discussion: """
                Covers every regular file's path, contents and owner execute bit, and every symlink's target text \
                (never followed); empty directories add nothing; nothing is skipped (.git included when present). \
                A name that is not UTF-8, a FIFO, socket or device, or an unreadable file stops it with one line \
                on stderr and exit status 1.
                """
        )

        @Argument(help: "The directory to hash.")
        var directory: String

        @Option(help: "Also write the canonical manifest to FILE (replacing it).")
        var manifest: String?

        func run() throws {
            let tree: TreeManifest
            do { tree = try TreeScanner.scan(directory) } catch { throw CLIError(error.description) }
            if let manifest {
                guard FileManager.default.createFile(atPath: manifest, contents: Data(tree.encoding)) else {
                    throw CLIError("cannot write \(manifest)")
                }
            }
            print(tree.root.hex)
        }
    }

    /// `cairn tree diff DIR MANIFEST|HASH [--root HASH]`.
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Name the files under DIR that differ from a manifest.",
            discussion: """
                Prints one line per path that differs, in byte order of paths: '+ PATH' is under DIR but not in \
                the manifest, '- PATH' is in the manifest but not under DIR, '~ PATH' is in both with other \
                contents or another mode. Exit status: 0 when nothing differs, 1 when something does, 2 when DIR \
                or the manifest cannot be used (one line on stderr).
                """
        )

        /// Exit status when DIR or the manifest cannot be used, as diff(1) has it.
        static let troubleExitCode: Int32 = 2

        @Argument(help: "The directory to compare.")
        var directory: String

        @Argument(
            help: """
                A manifest written by 'cairn tree hash --manifest' ('-' reads standard input), or a root hash whose \
                manifest the node at --api holds (a proposal's).
                """
        )
        var manifest: String

        @Option(help: "Refuse the manifest unless it hashes to this root (64 hexadecimal characters).")
        var root: String?

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let diff: TreeDiff
            do {
                diff = try TreeScanner.diff(try await expected(), against: directory)
            } catch {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                throw ExitCode(Self.troubleExitCode)
            }
            for change in diff.changes {
                print(change)
            }
            if !diff.isEmpty { throw ExitCode.failure }
        }

        /// The manifest, checked against `--root` when given; fetched from the node when the argument is a root hash
        /// and no file of that name exists.
        private func expected() async throws -> TreeManifest {
            if let hash = TreeRoot(hex: manifest), !FileManager.default.fileExists(atPath: manifest) {
                let bytes = try await options.client(needsToken: false).manifest(of: hash)
                do {
                    return try TreeManifest.decode(Array(bytes), expecting: hash)
                } catch {
                    throw CLIError("the node's manifest for \(hash.hex): \(error)")
                }
            }
            let bytes = try readInput(manifest)
            do {
                guard let root else { return try TreeManifest.decode(bytes) }
                guard let hash = TreeRoot(hex: root) else {
                    throw CLIError("--root: expected 64 hexadecimal characters")
                }
                return try TreeManifest.decode(bytes, expecting: hash)
            } catch let error as TreeManifestError {
                throw CLIError("\(manifest == "-" ? "standard input" : manifest): \(error)")
            }
        }
    }
}
