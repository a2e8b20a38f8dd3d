import Foundation

/// Where `cairn watch` hands each event: a line on standard output, or a command run with the line on its stdin.
enum WatchOutput: Sendable {
    case standardOutput
    /// Run with `/bin/sh -c`; the event counts as handled once it exits 0.
    case command(String)

    /// The first wait before running a failed command again; it doubles up to `maxRetryDelay`.
    static let firstRetryDelay: Duration = .milliseconds(500)
    static let maxRetryDelay: Duration = .seconds(30)

    /// Delivers `event`. A command that fails (exits non-zero, dies of a signal or cannot start) is reported with
    /// `report` and run again with the same line after a delay that doubles up to `maxRetryDelay`, until it succeeds:
    /// skipping it would lose the event, and every later event waits behind it.
    /// - Throws: `CLIError` when standard output cannot be written, `CancellationError` when cancelled while waiting.
    func deliver(_ event: WatchEvent, report: @Sendable (String) -> Void) async throws {
        let line = Array((event.jsonLine + "\n").utf8)
        switch self {
        case .standardOutput:
            let error = writeAll(line, to: STDOUT_FILENO)
            guard error == 0 else {
                throw CLIError("cannot write to standard output: \(String(cString: strerror(error)))")
            }
        case .command(let command):
            var delay = Self.firstRetryDelay
            while true {
                let failure = await Self.run(command, input: line)
                guard let failure else { return }
                report(
                    "--exec command \(failure) for event \(event.id) (\(event.topic)) of \(event.node); "
                        + "running it again in \(delay)"
                )
                try await Task.sleep(for: delay)
                delay = min(delay * 2, Self.maxRetryDelay)
            }
        }
    }

    /// Runs `command` with `input` on its stdin and waits for it; returns why it failed, `nil` when it exited 0.
    private static func run(_ command: String, input: [UInt8]) async -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let stdin = Pipe()
        process.standardInput = stdin
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            process.terminationHandler = { process in
                switch (process.terminationReason, process.terminationStatus) {
                case (.exit, 0): continuation.resume(returning: nil)
                case (.exit, let status): continuation.resume(returning: "exited with status \(status)")
                case (_, let signal): continuation.resume(returning: "was killed by signal \(signal)")
                }
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(returning: "could not start: \(error.localizedDescription)")
                return
            }
            // A command that does not read its stdin may close it first (EPIPE, with SIGPIPE ignored): its exit
            // status decides, not this write.
            _ = writeAll(input, to: stdin.fileHandleForWriting.fileDescriptor)
            try? stdin.fileHandleForWriting.close()
        }
        return outcome
    }
}
