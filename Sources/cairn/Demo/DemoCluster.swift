import CairnCore
import CairnNode
import Foundation

/// The demo's node processes: each on 127.0.0.1 with kernel-chosen ports, in a temporary directory that `stop`
/// removes with everything in it.
final class DemoCluster: @unchecked Sendable {
    // @unchecked: only the demo's main task starts and stops the processes; the rest is immutable after start.

    /// One running node.
    struct Member {
        let index: Int
        let key: SigningKey
        let directory: DataDirectory
        let process: Process
        let client: NodeClient
        let api: String
    }

    /// The temporary directory holding every node's data.
    let root: String
    private(set) var nodes: [Member] = []

    /// A cluster rooted in a fresh temporary directory.
    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-demo-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create \(root): \(error.localizedDescription)")
        }
    }

    /// The `cairn` binary running now, to start nodes with.
    static var binary: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Starts a node signing with `key`, peering with the nodes already started.
    /// - Parameters:
    ///   - key: the node's key (a member's key makes it a member).
    ///   - network: `node.network`.
    ///   - genesis: the genesis file.
    ///   - extraArguments: more `cairn node` flags.
    func start(key: SigningKey, network: String, genesis: String, extraArguments: [String] = []) async throws -> Member
    {
        let index = nodes.count + 1
        let directory = DataDirectory(path: (root as NSString).appendingPathComponent("node\(index)"))
        do {
            try directory.initialise(network: network)
        } catch {
            throw CLIError(error.description)
        }
        // The demo's keys are the genesis's: replace the generated one.
        guard
            FileManager.default.createFile(
                atPath: directory.keyPath,
                contents: Data((Hex.encode(key.seed) + "\n").utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else { throw CLIError("cannot write \(directory.keyPath)") }
        let peers = nodes.suffix(2).flatMap { member -> [String] in
            guard let address = try? String(contentsOfFile: member.directory.meshAddressPath, encoding: .utf8) else {
                return []
            }
            return ["--peer", address.trimmingCharacters(in: .whitespacesAndNewlines)]
        }
        let log = (directory.path as NSString).appendingPathComponent("node.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments =
            [
                "node", "--data", directory.path, "--genesis", genesis, "--listen", "127.0.0.1:0", "--api",
                "127.0.0.1:0",
            ] + peers + extraArguments
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        do {
            try process.run()
        } catch {
            throw CLIError("cannot start \(Self.binary) node: \(error.localizedDescription)")
        }
        let address = try await Self.waitForFile(directory.apiAddressPath, process: process, log: log)
        _ = try await Self.waitForFile(directory.meshAddressPath, process: process, log: log)
        let api = "http://" + address
        let client = try NodeClient(api: api, token: try directory.loadToken(), data: DataOption(), needsToken: true)
        let member = Member(index: index, key: key, directory: directory, process: process, client: client, api: api)
        nodes.append(member)
        return member
    }

    /// Stops every node (SIGTERM, then SIGKILL after a deadline) and removes the directory.
    func stop() {
        for node in nodes where node.process.isRunning { kill(node.process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(10)
        for node in nodes {
            while node.process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
            if node.process.isRunning {
                kill(node.process.processIdentifier, SIGKILL)
                node.process.waitUntilExit()
            }
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The last lines of a node's log, for an error message.
    func logTail(_ member: Member, lines: Int = 15) -> String {
        let path = (member.directory.path as NSString).appendingPathComponent("node.log")
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private static func waitForFile(_ path: String, process: Process, log: String) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard process.isRunning else {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw CLIError(
                    "a demo node exited at start:\n\(output.split(separator: "\n").suffix(10).joined(separator: "\n"))"
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CLIError("a demo node did not write \(path) within 30 s")
    }
}
