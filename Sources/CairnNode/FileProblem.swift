import Foundation

/// Why a file or directory could not be read or created, in words (`is a directory`, `permission denied`), for the
/// one-line errors of the CLI and the configuration: never a Foundation error code.
public enum FileProblem {
    /// Reads a whole file as UTF-8 text.
    /// - Throws: `FileProblem.Failure` with the reason (`no such file or directory`, `is a directory`, not UTF-8).
    public static func readText(_ path: String) throws(Failure) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(reason: describe(errno: errno)) }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(reason: describe(errno: errno)) }
        guard info.st_mode & mode_t(S_IFMT) != mode_t(S_IFDIR) else { throw Failure(reason: describe(errno: EISDIR)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(reason: describe(errno: errno))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure(reason: "not UTF-8 text") }
        return text
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

        public var description: String { reason }
    }
}
