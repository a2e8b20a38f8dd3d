import ArgumentParser
import CairnCore
import CairnNode
import CairnQuorum
import Foundation

extension QuorumCommand {
    /// `cairn quorum protection`: the record of what this node signed, for backups and restores.
    struct Protection: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export or import the record of what this node signed (slashing protection), as JSON.",
            subcommands: [Export.self, Import.self]
        )

        /// Options both subcommands share: where the node's data and genesis are.
        struct Location: ParsableArguments {
            @OptionGroup var data: DataOption

            @Option(help: "The network's genesis file (default: node.genesis in the data directory's cairn.toml).")
            var genesis: String?

            /// The data directory, its genesis, its key, and the record's path.
            func resolve() throws -> (directory: DataDirectory, genesis: Genesis, key: PublicKey, path: String) {
                let directory = DataDirectory.resolve(data.path)
                let key: SigningKey
                do { key = try directory.loadKey() } catch { throw CLIError(error.description) }
                var path = genesis
                if path == nil, FileManager.default.fileExists(atPath: directory.configPath) {
                    do {
                        path = try NodeConfiguration(contentsOfFile: directory.configPath).genesisPath
                    } catch {
                        throw CLIError(error.description)
                    }
                }
                guard let path else {
                    throw CLIError("no genesis: pass --genesis FILE (or set node.genesis in \(directory.configPath))")
                }
                let genesis = try Genesis.load(path)
                return (directory, genesis, key.publicKey, directory.protectionPath(genesis.hash))
            }
        }

        /// `cairn quorum protection export`.
        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the record as JSON (to standard output, or --out FILE); safe while the node runs."
            )

            @OptionGroup var location: Location

            @Option(help: "Where to write the export (default: standard output).")
            var out: String?

            func run() throws {
                let (_, genesis, key, path) = try location.resolve()
                let protection: SigningProtection
                do {
                    protection =
                        FileManager.default.fileExists(atPath: path) ? try SigningProtection(path: path) : .init()
                } catch {
                    throw CLIError("\(error)")
                }
                let json = protection.exportJSON(key: key, genesis: genesis.hash) + Data("\n".utf8)
                if let out {
                    guard FileManager.default.createFile(atPath: out, contents: json) else {
                        throw CLIError("cannot write \(out)")
                    }
                    FileHandle.standardError.write(Data("exported \(protection.records.count) records\n".utf8))
                } else {
                    FileHandle.standardOutput.write(json)
                }
            }
        }

        /// `cairn quorum protection import`.
        struct Import: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add the records of an export to this node's record (after a restore, before it signs "
                    + "again); the node must be stopped."
            )

            @Argument(help: "An export made by `cairn quorum protection export`; '-' reads standard input.")
            var file: String

            @OptionGroup var location: Location

            func run() throws {
                let (directory, genesis, key, path) = try location.resolve()
                let lock: DataDirectoryLock
                do { lock = try directory.lock() } catch { throw CLIError("\(error.description); stop the node first") }
                defer { withExtendedLifetime(lock) {} }
                do {
                    let records = try SigningProtection.records(
                        importing: Data(try readInput(file)),
                        key: key,
                        genesis: genesis.hash
                    )
                    var protection = try SigningProtection(path: path)
                    let added = try protection.merge(records)
                    print("imported \(added) new records (\(records.count - added) already held) into \(path)")
                } catch let error as CLIError {
                    throw error
                } catch {
                    throw CLIError("\(file): \(error)")
                }
            }
        }
    }
}
