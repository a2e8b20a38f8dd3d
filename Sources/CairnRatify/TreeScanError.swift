#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a directory could not be hashed. Each error names the directory, or the path inside the tree, at fault and
/// prints as one line.
public struct TreeScanError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case notFound(String)
        case notADirectory(String)
        case unreadable(path: String, errno: Int32)
        case nonUTF8Name([UInt8])
        case invalidName([UInt8], reason: TreePathError)
        case unsupportedType(TreePath, type: String)
    }

    private let base: Base

    /// The directory to hash does not exist.
    public static func notFound(_ directory: String) -> TreeScanError { .init(base: .notFound(directory)) }
    /// The path to hash is not a directory.
    public static func notADirectory(_ path: String) -> TreeScanError { .init(base: .notADirectory(path)) }
    /// A directory, file or symlink could not be opened or read; `errno` says why.
    public static func unreadable(path: String, errno: Int32) -> TreeScanError {
        .init(base: .unreadable(path: path, errno: errno))
    }
    /// A name in the tree is not valid UTF-8; `path` is its raw bytes from the tree's top.
    public static func nonUTF8Name(_ path: [UInt8]) -> TreeScanError { .init(base: .nonUTF8Name(path)) }
    /// A path in the tree breaks another path rule (a control character, too long).
    public static func invalidName(_ path: [UInt8], reason: TreePathError) -> TreeScanError {
        .init(base: .invalidName(path, reason: reason))
    }
    /// A FIFO, socket or device, which a tree cannot hold.
    public static func unsupportedType(_ path: TreePath, type: String) -> TreeScanError {
        .init(base: .unsupportedType(path, type: type))
    }

    public var description: String {
        switch base {
        case .notFound(let directory): "no such directory: \(directory)"
        case .notADirectory(let path): "not a directory: \(path)"
        case .unreadable(let path, let code): "cannot read \(path): \(String(cString: strerror(code)))"
        case .nonUTF8Name(let path): "name is not valid UTF-8: \(TreePath.display(path))"
        case .invalidName(let path, let reason): "invalid name \(TreePath.display(path)): \(reason)"
        case .unsupportedType(let path, let type): "\(path) is a \(type); a tree holds files, directories and symlinks"
        }
    }
}
