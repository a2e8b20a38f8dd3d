import CairnCore
import Foundation
import Logging
import TOMLKit

/// Why the data directory could not be set up or read.
public enum DataDirectoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `cairn init` found an existing node key and will not overwrite it.
    case alreadyInitialised(path: String)
    /// A required file is missing.
    case missing(path: String)
    /// A file exists but does not hold what it should.
    case malformed(path: String, reason: String)
    /// A file or directory operation failed.
    case io(path: String, reason: String)
    /// Another process (a running node, or `cairn quorum protection import`) holds the directory's lock.
    case locked(path: String)

    public var description: String {
        switch self {
        case .alreadyInitialised(let path): "\(path) already holds a node key; refusing to overwrite it"
        case .missing(let path): "\(path) does not exist (run `cairn init` first)"
        case .malformed(let path, let reason): "\(path) is malformed: \(reason)"
        case .io(let path, let reason): "\(path): \(reason)"
        case .locked(let path):
            "\(path) is locked: another node (or a protection import) is running on this data directory; "
                + "one process per data directory"
        }
    }
}

/// The node's data directory: `node.key`, `api.token`, `cairn.toml` and the database.
public struct DataDirectory: Sendable {
    /// The directory.
    public let path: String

    /// Uses `path` as it is.
    public init(path: String) {
        self.path = path
    }

    /// `--data DIR`, else `$CAIRN_HOME`, else `~/.cairn`.
    public static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> DataDirectory
    {
        if let explicit, !explicit.isEmpty { return DataDirectory(path: explicit) }
        if let home = environment["CAIRN_HOME"], !home.isEmpty { return DataDirectory(path: home) }
        let userHome = environment["HOME"] ?? NSHomeDirectory()
        return DataDirectory(path: (userHome as NSString).appendingPathComponent(".cairn"))
    }

    /// The node's Ed25519 seed, 64 hex characters, mode 0600.
    public var keyPath: String { file("node.key") }
    /// The API bearer token, mode 0600.
    public var tokenPath: String { file("api.token") }
    /// The configuration file.
    public var configPath: String { file("cairn.toml") }
    /// The LMDB environment directory.
    public var databasePath: String { file("db") }
    /// Written by a running node: the address its HTTP API is bound to (useful with port 0).
    public var apiAddressPath: String { file("api.addr") }

    /// Creates the directory, a node key, an API token and a commented configuration file.
    /// - Parameter network: written into the configuration as `node.network`.
    /// - Throws: `DataDirectoryError.alreadyInitialised` when a node key exists.
    public func initialise(network: String) throws(DataDirectoryError) {
        guard !FileManager.default.fileExists(atPath: keyPath) else { throw .alreadyInitialised(path: keyPath) }
        try ensureIdentity()
        if !FileManager.default.fileExists(atPath: configPath) {
            // TOMLKit writes the value, so that quotes and backslashes in the name are escaped.
            let assignment: TOMLTable = ["network": network]
            let text = NodeConfiguration.defaultFileText.replacingOccurrences(
                of: "# network = \"cairn\"",
                with: assignment.convert().trimmingCharacters(in: .whitespacesAndNewlines)
            )
            try write(Array(text.utf8), to: configPath, mode: 0o644)
        }
    }

    /// Creates the directory, node key and API token where they are missing; keeps existing ones.
    /// - Throws: `DataDirectoryError.io` when a file cannot be written.
    public func ensureIdentity() throws(DataDirectoryError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw .io(path: path, reason: FileProblem.describe(errno: ENOTDIR))
        }
        try makeDirectories()
        if !FileManager.default.fileExists(atPath: keyPath) {
            try write(Array((Hex.encode(SigningKey.generate().seed) + "\n").utf8), to: keyPath, mode: 0o600)
        }
        if !FileManager.default.fileExists(atPath: tokenPath) {
            try write(Array((Hex.encode(SigningKey.generate().seed) + "\n").utf8), to: tokenPath, mode: 0o600)
        }
    }

    /// Written by a running node: the address its peer-to-peer listener is bound to.
    public var meshAddressPath: String { file("p2p.addr") }

    /// Reads the node key.
    /// - Throws: `DataDirectoryError.missing` or `.malformed`.
    public func loadKey() throws(DataDirectoryError) -> SigningKey {
        let text = try read(keyPath)
        guard let seed = Hex.decode(text), let key = try? SigningKey(seed: seed) else {
            throw .malformed(path: keyPath, reason: "expected 64 hexadecimal characters")
        }
        return key
    }

    /// Reads the API token.
    /// - Throws: `DataDirectoryError.missing` or `.malformed`.
    public func loadToken() throws(DataDirectoryError) -> String {
        let token = try read(tokenPath)
        guard token.utf8.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw .malformed(path: tokenPath, reason: "expected at least 16 printable ASCII characters")
        }
        return token
    }

    /// The lock file a running node holds.
    public var lockPath: String { file("lock") }

    /// Takes the directory's exclusive lock (`flock` on `lock`), held while the returned object lives: one node per
    /// data directory.
    /// - Throws: `DataDirectoryError.locked` when another process holds it, `.io` when the file cannot be opened.
    public func lock() throws(DataDirectoryError) -> DataDirectoryLock {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: lockPath, reason: FileProblem.describe(errno: errno)) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            // The flock's failure is the error to report; a failed close of the unlocked descriptor adds nothing.
            _ = close(fd)
            if code == EWOULDBLOCK { throw .locked(path: path) }
            throw .io(path: lockPath, reason: FileProblem.describe(errno: code))
        }
        return DataDirectoryLock(descriptor: fd)
    }

    /// `mkdir -p` with mode 0700, so that a failure has its errno (`not a directory`, `permission denied`).
    private func makeDirectories() throws(DataDirectoryError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            guard mkdir(prefix, 0o700) != 0 else { continue }
            let code = errno
            var isDirectory: ObjCBool = false
            if code == EEXIST, FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                continue
            }
            throw .io(path: path, reason: FileProblem.describe(errno: code == EEXIST ? ENOTDIR : code))
        }
    }

    private func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    private func read(_ file: String) throws(DataDirectoryError) -> String {
        guard FileManager.default.fileExists(atPath: file) else { throw .missing(path: file) }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
            throw .malformed(path: file, reason: "not readable UTF-8 text")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a file with `mode` from the start (no window where it is world-readable).
    private func write(_ bytes: [UInt8], to file: String, mode: mode_t) throws(DataDirectoryError) {
        do {
            try FileProblem.createNew(file, bytes: bytes, mode: mode)
        } catch {
            throw .io(path: file, reason: error.reason)
        }
    }
}

/// A data directory's exclusive lock, held while this object lives (or until the process ends).
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        // Closing the descriptor drops the `flock`; a failure leaves nothing to undo, but is not silent.
        if close(descriptor) != 0 {
            Logger(label: "cairn.data").warning(
                "could not close the data directory's lock file",
                metadata: ["error": "\(FileProblem.describe(errno: errno))"]
            )
        }
    }
}
