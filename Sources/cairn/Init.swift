import ArgumentParser
import CairnNode

/// `cairn init`: a node key, an API token and a commented configuration file.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a data directory: node key (0600), API token (0600) and cairn.toml."
    )

    @OptionGroup var data: DataOption

    @Option(help: "Network (mesh) name, \(NetworkName.rule); nodes of different networks never connect.")
    var network = "cairn"

    func validate() throws {
        guard NetworkName.isValid(network) else {
            throw ValidationError(
                "--network \(NodeConfiguration.quoted(network)): a network name is \(NetworkName.rule)"
            )
        }
    }

    func run() throws {
        let directory = DataDirectory.resolve(data.path)
        do {
            try directory.initialise(network: network)
            let key = try directory.loadKey()
            print("initialised \(directory.path)")
            print("node id \(key.publicKey.hex)")
        } catch {
            throw CLIError(error, in: directory, from: data)
        }
    }
}
