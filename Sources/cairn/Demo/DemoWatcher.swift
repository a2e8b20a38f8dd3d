import Foundation
import Synchronization

/// A `cairn watch` process following one node of the demo: each line it prints, with the time it arrived.
final class DemoWatcher: Sendable {
    private let process: Process
    private let lines = Mutex<[(at: ContinuousClock.Instant, line: String)]>([])

    /// Starts `cairn watch --api API --topics TOPICS` with its state in `stateDirectory`.
    init(api: String, topics: String, stateDirectory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DemoCluster.binary)
        process.arguments = ["watch", "--api", api, "--topics", topics, "--state", stateDirectory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CLIError("cannot start cairn watch: \(error.localizedDescription)")
        }
        self.process = process
        let reader = output.fileHandleForReading
        // A thread of its own: reading the pipe blocks until the watcher prints.
        Thread.detachNewThread { [self] in
            var pending = Data()
            while true {
                let chunk = reader.availableData
                guard !chunk.isEmpty else { return }
                pending += chunk
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    self.lines.withLock { $0.append((ContinuousClock.now, line)) }
                }
            }
        }
    }

    /// The first line containing `text` and when it arrived, waiting up to `timeout` for it.
    func line(containing text: String, timeout: Duration) async throws -> (at: ContinuousClock.Instant, line: String) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = lines.withLock({ $0.first { $0.line.contains(text) } }) { return found }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw CLIError("the watcher printed no line with \(text) within \(timeout)")
    }

    /// Stops the watcher (SIGTERM: it finishes the event at hand and exits).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
