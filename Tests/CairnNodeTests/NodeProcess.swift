import Foundation

/// A real `cairn` process for multi-process tests; killed when the test ends.
final class NodeProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test that owns this value.
    let data: String
    let process: Process
    let logPath: String

    /// The `cairn` binary: `$CAIRN_BINARY`, else next to the test bundle in the build directory.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["CAIRN_BINARY"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("cairn").path
    }

    /// Runs `cairn` with `arguments` to completion and returns its exit status and outputs.
    static func run(_ arguments: [String], stdin: Data? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    /// Starts `cairn node` on `data` with the API on a free port chosen by the kernel; with a `launcher` (a command
    /// and its arguments, e.g. `prlimit --fsize=N --`), through it.
    init(data: String, listen: String = "127.0.0.1:0", extraArguments: [String] = [], launcher: [String] = []) throws {
        self.data = data
        logPath = data + "/node.log"
        try? FileManager.default.removeItem(atPath: data + "/api.addr")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        let command = launcher + [Self.binary, "node", "--data", data, "--api", "127.0.0.1:0", "--listen", listen]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + extraArguments
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// The API base URL, once the node has written it; `nil` if it did not within the deadline.
    func waitForAPI(timeout: Duration = .seconds(30)) async -> String? {
        let path = data + "/api.addr"
        let ready = await eventually(timeout: timeout) {
            FileManager.default.fileExists(atPath: path) || !self.process.isRunning
        }
        guard ready, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return "http://" + text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sends `signal` and waits for the process to end.
    func stop(signal: Int32 = SIGKILL) {
        if process.isRunning {
            kill(process.processIdentifier, signal)
        }
        process.waitUntilExit()
    }

    /// The process id.
    var pid: Int32 { process.processIdentifier }

    /// The number of open file descriptors of the process, from /proc.
    /// - Throws: when /proc cannot be read (the process ended, or no /proc): never a made-up 0.
    func openFileDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd").count
    }

    /// Resident memory of the process, from /proc.
    /// - Throws: when /proc cannot be read or has no `VmRSS` line: never a made-up 0.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw POSIXError(.ENOENT) }
        return kib * 1024
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A TCP port that was free a moment ago on 127.0.0.1 (the kernel's choice for port 0).
func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}
