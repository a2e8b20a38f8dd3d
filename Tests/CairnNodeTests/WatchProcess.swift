import Foundation

/// A `cairn watch` process whose stdout and stderr go to files, for multi-process tests; killed when dropped.
final class WatchProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test that owns this value.
    let process: Process
    let stdoutPath: String
    let stderrPath: String

    /// Starts `cairn watch` with `arguments`; its outputs go to new files in `directory`.
    init(_ arguments: [String], outputsIn directory: String) throws {
        let name = UUID().uuidString
        stdoutPath = "\(directory)/watch-\(name).out"
        stderrPath = "\(directory)/watch-\(name).err"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: NodeProcess.binary)
        process.arguments = ["watch"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Every complete line printed so far, parsed as a JSON object (a line that is not one fails the test).
    var lines: [[String: Any]] {
        let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? ["unparsed": String(line)]
        }
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits for the process to end.
    func stop(signal: Int32 = SIGKILL) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
    }

    /// The records of every state file in `directory`, by the node URL its first line names: the `e` and `p` lines.
    static func stateRecords(in directory: String) -> [String: [String]] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var records: [String: [String]] = [:]
        for file in files where file.hasSuffix(".state") {
            guard let text = try? String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8) else { continue }
            let lines = text.split(separator: "\n").map(String.init)
            guard let header = lines.first else { continue }
            let node = String(header.split(separator: " ").last ?? "")
            records[node] = lines.filter { $0.hasPrefix("e ") || $0.hasPrefix("p ") }
        }
        return records
    }

    deinit { stop() }
}

extension [String: Any] {
    /// `data.FIELD` of a watcher's JSON line.
    func data(_ field: String) -> String? {
        (self["data"] as? [String: Any])?[field] as? String
    }
}
