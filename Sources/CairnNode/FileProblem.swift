import Foundation

/// Why a file or directory could not be read or created, in words (`is a directory`, `permission denied`), for the
/// one-line errors of the CLI and the configuration: never a Foundation error code.
public enum FileProblem {
    /// Reads a whole file as UTF-8 text.
    /// - Throws: `FileProblem.Failure` with the reason (`no such file or directory`, `is a directory`, not UTF-8).
    public static func readText(_ path: String) throws(Failure) -> String {
        guard let text = String(validating: try readBytes(path), as: UTF8.self) else {
            throw Failure(reason: "not UTF-8 text")
        }
        return text
    }

    /// Reads a whole file.
    /// - Throws: `FileProblem.Failure` with the reason (`no such file or directory`, `is a directory`).
    public static func readBytes(_ path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(errno: errno) }
        // A read-only descriptor has nothing to flush: a failed close loses nothing.
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(errno: errno) }
        guard info.st_mode & mode_t(S_IFMT) != mode_t(S_IFDIR) else { throw Failure(errno: EISDIR) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(errno: errno)
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return bytes
    }

    /// Creates a file that must not exist yet, with `mode` from the start (no window where it is world-readable),
    /// writes `bytes` and syncs it.
    /// - Throws: `FileProblem.Failure`; its `code` is `EEXIST` when the file exists. A failed `close` is reported
    ///   too: it can carry a write error the calls before did not see (NFS, a full disk).
    public static func createNew(_ path: String, bytes: [UInt8], mode: mode_t) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(errno: errno) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let code = written < 0 ? errno : written < bytes.count ? ENOSPC : fsync(fd) == 0 ? 0 : errno
        let closed = close(fd) == 0 ? 0 : errno
        guard code == 0, closed == 0 else { throw Failure(errno: code != 0 ? code : closed) }
    }

    /// Replaces `path` with `bytes` atomically: writes `path.tmp` beside it, then renames it over `path`, so a reader
    /// sees the old file or the new one, never a part (and nothing is left in a temporary directory elsewhere).
    /// - Throws: `FileProblem.Failure`; the temporary file is removed when the rename fails.
    public static func replace(_ path: String, bytes: [UInt8], mode: mode_t = 0o644) throws(Failure) {
        let temporary = path + ".tmp"
        if unlink(temporary) != 0, errno != ENOENT { throw Failure(errno: errno) }
        try createNew(temporary, bytes: bytes, mode: mode)
        guard rename(temporary, path) == 0 else {
            let code = errno
            _ = unlink(temporary)
            throw Failure(errno: code)
        }
    }

    /// `strerror`, starting lower case so that it reads inside a sentence.
    public static func describe(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// A file operation that failed, with the reason in words.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The reason, e.g. `is a directory`.
        public let reason: String
        /// The `errno` behind it, or 0.
        public let code: Int32

        init(reason: String) {
            self.reason = reason
            code = 0
        }

        init(errno code: Int32) {
            reason = FileProblem.describe(errno: code)
            self.code = code
        }

        public var description: String { reason }
    }
}
