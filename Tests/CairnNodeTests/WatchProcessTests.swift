import CairnCore
import Foundation
import Testing

/// `cairn watch` against real `cairn node` processes on 127.0.0.1.
@Suite(.serialized) struct WatchProcessTests {
    /// Posts the halves of a fork to nodes 0 and 1 and waits until both have recorded its evidence.
    /// - Parameter channel: tells forks apart (`MeshEvidenceTests.fork`'s channel is `forked-CHANNEL`).
    /// - Returns: the evidence id.
    static func splitFork(channel: UInt64, across cluster: MeshCluster) async throws -> String {
        let (first, second) = try MeshEvidenceTests.fork(seq: channel)
        let evidence = Evidence.id(kind: .channelFork, first.id, second.id).hex
        try await cluster.publishSigned(first.encoding, on: 0)
        try await cluster.publishSigned(second.encoding, on: 1)
        let recorded = try await eventually(timeout: .seconds(30)) {
            guard try await cluster.hasEvidence(evidence, on: 0) else { return false }
            return try await cluster.hasEvidence(evidence, on: 1)
        }
        #expect(recorded, "the fork's evidence did not reach both nodes")
        return evidence
    }

    /// A fork split across two nodes is printed once although both report it; a watcher killed and restarted on
    /// the same state prints what was published meanwhile, once, and repeats nothing.
    @Test func evidenceFromTwoNodesIsPrintedOnceAndARestartRepeatsNothing() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            try await cluster.start(peers: [0])
            #expect(try await eventually(timeout: .seconds(30)) { try await cluster.peerIDs(of: 1).count == 1 })
            let state = root + "/watch-state"
            let arguments = [
                "--api", cluster.apis[0], "--api", cluster.apis[1], "--topics", "evidence", "--state", state,
            ]

            let first = try WatchProcess(arguments, outputsIn: root)
            let before = try await Self.splitFork(channel: 60, across: cluster)
            // Both nodes' copies were taken in: one printed, the other skipped, each recorded in its node's file.
            let bothSeen = await eventually(timeout: .seconds(30)) {
                let records = WatchProcess.stateRecords(in: state)
                return cluster.apis.allSatisfy { records[$0]?.count == 1 }
            }
            #expect(bothSeen, "the watcher did not take in both nodes' events: \(first.stderr)")
            #expect(first.lines.map { $0.data("id") } == [before])
            #expect(first.lines.first?["topic"] as? String == "evidence")
            first.stop(signal: SIGKILL)

            let during = try await Self.splitFork(channel: 61, across: cluster)
            let second = try WatchProcess(arguments, outputsIn: root)
            defer { second.stop() }
            let caughtUp = await eventually(timeout: .seconds(30)) {
                let records = WatchProcess.stateRecords(in: state)
                return cluster.apis.allSatisfy { records[$0]?.count == 2 }
            }
            #expect(caughtUp, "the restarted watcher did not take in both nodes' events: \(second.stderr)")
            #expect(second.lines.map { $0.data("id") } == [during])
            #expect(second.stderr.contains("connected, resuming after event"))
        }
    }

    /// `--exec` gets the event's JSON line on stdin; a command that fails is reported and run again with the same
    /// line, and the event counts as handled only once it succeeded.
    @Test func execGetsTheLineAndAFailingCommandIsRunAgain() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            let received = root + "/received"
            let marker = root + "/failed-once"
            let command = "if [ -e \(marker) ]; then cat >> \(received); else touch \(marker); exit 3; fi"
            let watcher = try WatchProcess(
                ["--api", cluster.apis[0], "--topics", "blob", "--state", root + "/state", "--exec", command],
                outputsIn: root
            )
            defer { watcher.stop() }
            let id = try await cluster.publish(on: 0, payload: "for the command")
            let handled = await eventually(timeout: .seconds(30)) {
                WatchProcess.stateRecords(in: root + "/state")[cluster.apis[0]]?.count == 1
            }
            #expect(handled, "the event was not recorded: \(watcher.stderr)")
            let text = try String(contentsOfFile: received, encoding: .utf8)
            let lines = text.split(separator: "\n")
            #expect(lines.count == 1)
            let line = try #require(
                try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any]
            )
            #expect(line["node"] as? String == cluster.apis[0])
            #expect(line["topic"] as? String == "blob")
            #expect(line["id"] as? String == "1")
            #expect(line.data("id") == id)
            #expect(watcher.stderr.contains("--exec command exited with status 3 for event 1 (blob)"))
            #expect(watcher.lines.isEmpty)
        }
    }

    /// A watcher that comes back after the node dropped events it had not seen is told so (a `lost` line and a line
    /// on stderr), then gets every event the node kept.
    @Test func watcherThatFellBehindTheRetentionIsTold() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start(config: MeshCluster.testConfiguration + "\n[events]\nretention = 3\n")
            let arguments = ["--api", cluster.apis[0], "--topics", "blob", "--state", root + "/state"]
            let first = try WatchProcess(arguments, outputsIn: root)
            _ = try await cluster.publish(on: 0, payload: "seen")
            #expect(await eventually(timeout: .seconds(30)) { first.lines.count == 1 }, "\(first.stderr)")
            first.stop(signal: SIGTERM)
            #expect(first.process.terminationStatus == 0)

            var kept: [String] = []
            for index in 0..<5 {
                let id = try await cluster.publish(on: 0, payload: "while away \(index)")
                if index >= 2 { kept.append(id) }
            }
            let second = try WatchProcess(arguments, outputsIn: root)
            defer { second.stop() }
            #expect(await eventually(timeout: .seconds(30)) { second.lines.count == 4 }, "\(second.stderr)")
            let lines = second.lines
            #expect(lines.first?["topic"] as? String == "lost")
            #expect(lines.first?.data("after") == "1")
            #expect(lines.first?.data("oldest") == "4")
            #expect(lines.dropFirst().map { $0.data("id") } == kept)
            #expect(second.stderr.contains("fell behind"))
        }
    }

    /// A state file that is not one the watcher wrote stops it with one line naming the file (it is not reset:
    /// starting over would run the command again for every event the node keeps).
    @Test func garbageStateFileIsAClearError() async throws {
        try await withTemporaryDirectory { root in
            let state = root + "/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            let file = state + "/http_127.0.0.1_1.state"
            try "cairn-watch 1 http://127.0.0.1:1\ne 12 not-a-key\np 13\n".write(
                toFile: file,
                atomically: false,
                encoding: .utf8
            )
            let result = try NodeProcess.run(["watch", "--api", "http://127.0.0.1:1", "--state", state])
            #expect(result.status == 1)
            #expect(result.stderr.contains("\(file) is unreadable at line 2"))
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stdout.isEmpty)
        }
    }

    /// A last line cut short (the watcher died while appending it) is ignored and dropped from the file: the watcher
    /// resumes after the last complete record.
    @Test func incompleteLastLineOfAStateFileIsIgnored() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            var ids: [String] = []
            for index in 0..<5 { ids.append(try await cluster.publish(on: 0, payload: "blob \(index)")) }
            let state = root + "/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            let node = cluster.apis[0]
            let file =
                state + "/" + node.replacingOccurrences(of: "://", with: "_").replacingOccurrences(of: ":", with: "_")
            let key = String(repeating: "ab", count: 16)
            try "cairn-watch 1 \(node)\ne 3 \(key)\ne 4 12".write(
                toFile: file + ".state",
                atomically: false,
                encoding: .utf8
            )
            let watcher = try WatchProcess(["--api", node, "--topics", "blob", "--state", state], outputsIn: root)
            defer { watcher.stop() }
            #expect(await eventually(timeout: .seconds(30)) { watcher.lines.count == 2 }, "\(watcher.stderr)")
            #expect(watcher.lines.map { $0.data("id") } == Array(ids.suffix(2)))
            #expect(watcher.stderr.contains("resuming after event 3"))
            #expect(WatchProcess.stateRecords(in: state)[node]?.first == "p 3")
        }
    }

    /// A second watcher on a state directory in use is refused.
    @Test func secondWatcherOnOneStateDirectoryIsRefused() async throws {
        try await withTemporaryDirectory { root in
            let arguments = ["--api", "http://127.0.0.1:1", "--state", root + "/state"]
            let first = try WatchProcess(arguments, outputsIn: root)
            defer { first.stop() }
            #expect(await eventually { first.stderr.contains("following 1 node") }, "\(first.stderr)")
            let second = try NodeProcess.run(["watch"] + arguments)
            #expect(second.status == 1)
            #expect(second.stderr.contains("another cairn watch is using the state directory"))
        }
    }

    @Test(arguments: [
        ["--api", "ftp://127.0.0.1:7701"],
        ["--api", "nonsense"],
        ["--api", "http://127.0.0.1:7701/?topics=blob"],
        ["--topics", "blob,,evidence"],
        ["--exec", " "],
    ])
    func badFlagsFailWithOneLine(_ arguments: [String]) throws {
        let result = try NodeProcess.run(["watch", "--state", "/nonexistent/never-created"] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
