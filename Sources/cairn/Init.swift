import ArgumentParser
import CairnNode

/// `cairn init`: a node key, an API token and a commented configuration file.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a data directory: node key (0600), API token (0600) and cairn.toml."
    )

    @OptionGroup var data: DataOption

    @Option(help: "Network (mesh) name; nodes of different networks never connect.")
    var network = "cairn"

    func run() throws {
        let directory = DataDirectory.resolve(data.path)
        do {
            try directory.initialise(network: network)
            let key = try directory.loadKey()
            print("initialised \(directory.path)")
            print("node id \(key.publicKey.hex)")
        } catch {
            throw CLIError(error.description)
        }
    }
}
