import ArgumentParser

/// The `cairn` command line.
@main
struct Cairn: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "A peer-to-peer replicator of signed, content-addressed blobs.",
        version: version,
        subcommands: [
            Init.self, NodeCommand.self, Put.self, Get.self, Status.self, Peers.self, Key.self, Blob.self,
            EvidenceCommand.self, Watch.self, QuorumCommand.self, TreeCommand.self, DemoCommand.self,
        ]
    )
}

/// Where the data directory is: `--data DIR`, else `$CAIRN_HOME`, else `~/.cairn`.
struct DataOption: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data directory (default: $CAIRN_HOME, else ~/.cairn).")
    var path: String?
}
