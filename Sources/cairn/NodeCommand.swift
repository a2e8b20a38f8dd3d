import ArgumentParser
import CairnCore
import CairnHTTP
import CairnNode
import CairnProtocol
import CairnQuorum
import CairnRatify
import CairnStore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `cairn node`: run a node until SIGTERM or SIGINT.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a node: the store, the event loop and the HTTP API."
    )

    @OptionGroup var data: DataOption

    @Option(help: "Configuration file (default: cairn.toml in the data directory, if present).")
    var config: String?

    @Option(help: "Peer-to-peer listen address, host:port.")
    var listen: String?

    @Option(help: "HTTP API listen address, host:port (port 0 picks a free port, written to api.addr).")
    var api: String?

    @Option(name: .customLong("peer"), help: "Bootstrap peer host:port (repeatable).")
    var peers: [String] = []

    @Option(help: "Genesis file of a quorum network (runs the quorum plug-in; overrides node.genesis).")
    var genesis: String?

    @Flag(help: "Proposer mode (demos, tests): announce blocks in turn and sign the proposer's blocks automatically.")
    var propose = false

    @Option(help: "Proposer mode's pace: the least time between a decision and the next announced block, in ms.")
    var proposeIntervalMs: UInt64 = QuorumSigner.defaultProposeIntervalMilliseconds

    @Flag(help: "Sign a second block for one height when asked (plays a faulty member; never in production).")
    var unsafeAllowDoubleSign = false

    func run() async throws {
        // Past a file-size limit (`ulimit -f`) a write fails with EFBIG, which the store reports as storage full,
        // instead of the signal ending the node.
        signal(SIGXFSZ, SIG_IGN)
        let directory = DataDirectory.resolve(data.path)
        var configuration = try loadConfiguration(directory)
        applyFlags(to: &configuration)
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = PrometheusNames.sanitize
        MetricsSystem.bootstrap(factory)
        let logger = Logger(label: "cairn")

        let identity: SigningKey
        let token: String
        let lock: DataDirectoryLock
        do {
            try directory.ensureIdentity()
            lock = try directory.lock()
            identity = try directory.loadKey()
            token = try directory.loadToken()
        } catch {
            throw CLIError(error, in: directory, from: data)
        }
        defer { withExtendedLifetime(lock) {} }
        let plugins = try loadPlugins(&configuration, directory: directory, identity: identity)
        if let hash = configuration.genesisHash {
            logger.info("quorum network", metadata: ["genesis": "\(Hex.encode(hash))"])
        }
        if unsafeAllowDoubleSign {
            logger.warning("--unsafe-allow-double-sign: slashing protection is off; this node may double-sign")
        }
        var storeConfiguration = StoreConfiguration(directory: directory.databasePath)
        storeConfiguration.initialMapSizeBytes = configuration.initialMapSizeMiB * 1024 * 1024
        storeConfiguration.maxBatchBlobs = configuration.commitBatchMax
        storeConfiguration.maxPendingWrites = configuration.maxPendingWrites
        storeConfiguration.maxPayloadBytes = configuration.maxBlobBytes
        storeConfiguration.durable = configuration.durable
        storeConfiguration.maxPeerRecords = configuration.peerPolicy.maxKnownAddresses
        storeConfiguration.maxRetainedEvents = configuration.maxRetainedEvents
        // The node's own key is exempt from its quota, as are the genesis stake table's keys (added with the plug-ins).
        configuration.quota.exemptAuthors.insert(identity.publicKey)
        storeConfiguration.quota = configuration.quota
        let store: BlobStore
        do {
            store = try BlobStore(configuration: storeConfiguration, logger: Logger(label: "cairn.store"))
        } catch {
            throw CLIError("cannot open the database at \(directory.databasePath): \(error)")
        }
        let loop: EventLoop
        do {
            loop = try EventLoop()
        } catch {
            store.close()
            throw CLIError("cannot start the event loop: \(error)")
        }
        let node = Node(configuration: configuration, identity: identity, store: store, loop: loop, plugins: plugins)
        do {
            // Plug-ins see every stored blob before the mesh brings new ones (none are loaded yet: the quorum comes
            // with its genesis).
            try await node.startPlugins()
        } catch {
            await node.beginShutdown()
            store.close()
            loop.shutdown()
            throw CLIError("cannot replay the store to the plug-ins: \(error)")
        }
        do {
            try await node.startMesh(configuration.mesh)
        } catch {
            await node.beginShutdown()
            store.close()
            loop.shutdown()
            throw Self.meshFailure(error, source: listen == nil ? "node.listen" : "--listen")
        }
        if let port = await node.meshPort {
            let address = HostPort(host: configuration.listen.host, port: port).description
            Self.publishAddress(address, at: directory.meshAddressPath, logger: logger)
        }
        let server = APIServer(
            node: node,
            token: token,
            registry: registry,
            version: Cairn.version,
            pluginRoutes: [QuorumRoutes(), RatifyRoutes()]
        )
        let addressFile = directory.apiAddressPath
        let apiAddress = configuration.api
        let apiListening = APIService.Listening()
        let app = Application(
            router: server.router(),
            configuration: .init(
                address: .hostname(configuration.api.host, port: configuration.api.port),
                serverName: "cairn"
            ),
            onServerRunning: { channel in
                apiListening.set()
                let port = channel.localAddress?.port ?? apiAddress.port
                let address = HostPort(host: apiAddress.host, port: port).description
                Self.publishAddress(address, at: addressFile, logger: logger)
                logger.info("HTTP API listening", metadata: ["address": "\(address)"])
            },
            logger: Logger(label: "cairn.http")
        )
        logger.info(
            "node started",
            metadata: [
                "id": "\(identity.publicKey.hex)", "network": "\(configuration.network)",
                "data": "\(directory.path)",
            ]
        )
        // Services stop in reverse order: live event streams end first, then the HTTP server drains its in-flight
        // requests (their writes still commit), and last the store and the loop close.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: NodeService(node: node)),
                .init(
                    service: APIService(
                        app: app,
                        address: apiAddress,
                        source: api == nil ? "api.listen" : "--api",
                        listening: apiListening
                    )
                ),
                .init(service: EventStreamCloser(node: node)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // A client that stops reading must not hold shutdown forever: after this, remaining work is cancelled
        // (the store still drains and closes in NodeService).
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        logger.info("node stopped")
    }

    /// Command-line flags override the file.
    private func applyFlags(to configuration: inout NodeConfiguration) {
        configuration.listen = listenAddress ?? configuration.listen
        configuration.api = apiAddress ?? configuration.api
        if !peerAddresses.isEmpty { configuration.peers = peerAddresses }
        if let genesis { configuration.genesisPath = genesis }
    }

    /// The plug-ins the configuration asks for: the quorum and ratification when a genesis is given (its hash then
    /// goes into the network key). This is the one place they are loaded.
    private func loadPlugins(
        _ configuration: inout NodeConfiguration,
        directory: DataDirectory,
        identity: SigningKey
    ) throws -> [any Plugin] {
        guard let path = configuration.genesisPath else {
            if propose || unsafeAllowDoubleSign {
                throw CLIError("--propose and --unsafe-allow-double-sign need a quorum network: pass --genesis FILE")
            }
            return []
        }
        let genesis = try Genesis.load(path)
        guard genesis.network == configuration.network else {
            throw CLIError(
                "\(path) is the genesis of network \"\(genesis.network)\", but this node is on \"\(configuration.network)\" "
                    + "(node.network)"
            )
        }
        configuration.genesisHash = genesis.hash.bytes
        // A static list: the stake table's keys are exempt from the quota, never "who is a member now".
        configuration.quota.exemptAuthors.formUnion(genesis.stakeTable.keys)
        let protection: SigningProtection
        do {
            protection = try SigningProtection(path: directory.protectionPath(genesis.hash))
        } catch {
            throw CLIError("cannot open the signing-protection record: \(error)")
        }
        let signer = QuorumSigner(
            key: identity.publicKey,
            protection: protection,
            allowsDoubleSign: unsafeAllowDoubleSign,
            proposes: propose,
            proposeIntervalMilliseconds: proposeIntervalMs
        )
        return [QuorumPlugin(genesis: genesis, signer: signer), RatifyPlugin(genesis: genesis)]
    }

    func validate() throws {
        for (flag, value) in [("--listen", listen), ("--api", api)] + peers.map({ ("--peer", $0) }) {
            if let value, HostPort(parsing: value) == nil {
                throw ValidationError("\(flag) expects host:port, got \"\(value)\"")
            }
        }
        if let listenAddress, !listenAddress.isNumeric {
            throw ValidationError("--listen \(NodeConfiguration.quoted(listen ?? "")): \(HostPort.numericRule)")
        }
    }

    /// The mesh's start failure as one line naming where the listen address came from.
    /// Writes a bound address for tools that start a node on port 0 (`api.addr`, `p2p.addr`). The node runs on
    /// without it, so a failure is logged, not fatal.
    private static func publishAddress(_ address: String, at path: String, logger: Logger) {
        do {
            try FileProblem.replace(path, bytes: Array((address + "\n").utf8))
        } catch {
            logger.warning("cannot write the bound address", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    private static func meshFailure(_ error: any Error, source: String) -> CLIError {
        guard case .cannotListen(let address, let code, let message)? = error as? EventLoopError else {
            return CLIError("cannot start the mesh: \(error)")
        }
        // libuv's codes are negative errnos.
        let hint = code == -EADDRINUSE ? APIService.freePortHint : ""
        return CLIError("cannot listen for peers on \(address) (\(source)): \(message)\(hint)")
    }

    private var listenAddress: HostPort? { listen.flatMap(HostPort.init(parsing:)) }
    private var apiAddress: HostPort? { api.flatMap(HostPort.init(parsing:)) }
    private var peerAddresses: [HostPort] { peers.compactMap(HostPort.init(parsing:)) }

    private func loadConfiguration(_ directory: DataDirectory) throws -> NodeConfiguration {
        do {
            if let config { return try NodeConfiguration(contentsOfFile: config) }
            if FileManager.default.fileExists(atPath: directory.configPath) {
                return try NodeConfiguration(contentsOfFile: directory.configPath)
            }
            return NodeConfiguration()
        } catch {
            guard case .unreadable(let path, let reason) = error else { throw CLIError("\(error)") }
            let source = config == nil ? "the data directory's cairn.toml" : "--config"
            throw CLIError("cannot read configuration \(path) (\(source)): \(reason); expected a TOML file")
        }
    }
}

/// Closes the store and stops the loop once everything in front of it has stopped.
struct NodeService: Service {
    let node: Node

    func run() async throws {
        try? await gracefulShutdown()
        await node.beginShutdown()
        node.store.close()
        node.loop.shutdown()
    }
}

/// Ends every Server-Sent Events stream when shutdown begins, so that the HTTP server can drain.
struct EventStreamCloser: Service {
    let node: Node

    func run() async throws {
        try? await gracefulShutdown()
        await node.beginShutdown()
    }
}

extension DataDirectory {
    /// Where a member's signing-protection record for the network of `genesis` lives.
    func protectionPath(_ genesis: GenesisHash) -> String {
        (path as NSString).appendingPathComponent("quorum/protection-\(genesis.hex).jsonl")
    }
}

extension Genesis {
    /// Reads a genesis file, with an error that names it and says why it cannot be read.
    static func load(_ path: String) throws -> Genesis {
        let text: String
        do {
            text = try FileProblem.readText(path)
        } catch {
            throw CLIError("cannot read genesis \(path): \(error.reason); expected a genesis TOML file")
        }
        do {
            return try Genesis(toml: text)
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }
}
