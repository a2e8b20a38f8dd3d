import ArgumentParser
import AsyncHTTPClient
import CairnNode
import Foundation

/// `cairn watch`: follows the events of one or more nodes at once, merged and de-duplicated by what they are about.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the events of one or more nodes: one JSON line per event, or a command per event.",
        discussion: """
            Prints {"node", "id", "topic", "data"} per event (or runs --exec with that line on stdin), once per fact \
            however many nodes report it, and resumes each node after the last event handled, from the state \
            directory. Exit status: 0 after SIGINT or SIGTERM; 1 when it cannot go on (a state file it cannot read \
            or write, another watcher on the state directory, standard output closed); 64 for bad flags. Nodes that \
            cannot be reached never end it: it reports them on stderr and reconnects.
            """
    )

    /// Exit status for bad flags (BSD `EX_USAGE`, as the argument parser uses).
    static let usageExitCode: Int32 = 64

    @Option(
        name: .customLong("api"),
        help: "A node's HTTP API; repeat it to follow several (default: http://127.0.0.1:7701)."
    )
    var apis: [String] = []

    @Option(help: "Comma-separated topics, passed to each node (default: every topic it serves).")
    var topics: String?

    @Option(name: .customLong("exec"), help: "Run this command (/bin/sh -c) per event with its JSON line on stdin.")
    var command: String?

    @Option(help: "Directory of the per-node state files (default: DATA/watch).")
    var state: String?

    @Option(help: "API bearer token (default: the data directory's api.token, when there is one).")
    var token: String?

    @OptionGroup var data: DataOption

    func run() async throws {
        let nodes: [String]
        do {
            nodes = try normalisedNodes()
            try checkFlags()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode(Self.usageExitCode)
        }
        // Write errors (a closed stdout, a command that does not read its stdin) come back as errors, not signals.
        signal(SIGPIPE, SIG_IGN)
        let directory = DataDirectory.resolve(data.path)
        let stateDirectory = state ?? directory.path + "/watch"
        let watchState: WatchState
        do {
            watchState = try WatchState(directory: stateDirectory, nodes: nodes)
        } catch {
            throw CLIError(error.description)
        }
        let report: @Sendable (String) -> Void = { line in
            FileHandle.standardError.write(Data("cairn watch: \(line)\n".utf8))
        }
        let sink = WatchSink(
            state: watchState,
            output: command.map(WatchOutput.command) ?? .standardOutput,
            report: report
        )
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(read: WatchFollower.idleTimeout)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let token = token ?? (try? directory.loadToken())
        var followers: [(WatchFollower, UInt64?)] = []
        for node in nodes {
            let follower = WatchFollower(node: node, topics: topics, token: token, client: client, report: report)
            followers.append((follower, await watchState.position(of: node)))
        }
        report("following \(nodes.count) node\(nodes.count == 1 ? "" : "s"); state in \(stateDirectory)")
        let watching = Task { [followers] in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (follower, position) in followers {
                    group.addTask { try await follower.run(after: position, handle: sink.handle) }
                }
                try await group.waitForAll()
            }
        }
        let signals = Self.cancel(watching, on: [SIGINT, SIGTERM])
        defer { signals.forEach { $0.cancel() } }
        let outcome = await watching.result
        try? await client.shutdown()
        switch outcome {
        case .success: return
        case .failure(let error as WatchStateError): throw CLIError(error.description)
        case .failure(let error) where error is CancellationError || watching.isCancelled: return
        case .failure(let error): throw error
        }
    }

    /// The `--api` URLs without a trailing slash, each once, in order.
    private func normalisedNodes() throws -> [String] {
        var nodes: [String] = []
        for api in apis.isEmpty ? ["http://127.0.0.1:7701"] : apis {
            let url = try NodeClient.url(api)
            guard url.query == nil, url.fragment == nil else {
                throw CLIError("--api must be a node's base URL without a query or fragment, got \"\(api)\"")
            }
            var node = url.absoluteString
            while node.hasSuffix("/") { node.removeLast() }
            if !nodes.contains(node) { nodes.append(node) }
        }
        return nodes
    }

    private func checkFlags() throws {
        if let topics, topics.split(separator: ",", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw CLIError("--topics must be comma-separated topic names, got \"\(topics)\"")
        }
        if let command, command.allSatisfy(\.isWhitespace) {
            throw CLIError("--exec needs a command")
        }
        if let state, state.isEmpty {
            throw CLIError("--state needs a directory")
        }
    }

    /// Cancels `task` when one of `signals` arrives (they no longer end the process by themselves).
    private static func cancel(_ task: Task<Void, any Error>, on signals: [Int32]) -> [any DispatchSourceSignal] {
        signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
    }
}
