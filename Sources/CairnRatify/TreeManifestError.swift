/// Why bytes are not a canonical manifest, or not the manifest of the root they were meant for. Each error names the
/// field, entry index or path at fault and prints as one line.
public struct TreeManifestError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case truncated(field: String)
        case trailingBytes(count: Int)
        case unsupportedVersion(UInt8)
        case invalidPath(index: Int, reason: TreePathError)
        case invalidMode(index: Int, value: UInt8)
        case notAscending(index: Int)
        case duplicatePath(TreePath)
        case fileAndDirectory(TreePath)
        case rootMismatch(expected: TreeRoot, actual: TreeRoot)
    }

    private let base: Base

    /// The bytes ended before `field` was complete (or the count promises more entries than the bytes can hold).
    public static func truncated(field: String) -> TreeManifestError { .init(base: .truncated(field: field)) }
    /// Bytes remain after the last entry.
    public static func trailingBytes(count: Int) -> TreeManifestError { .init(base: .trailingBytes(count: count)) }
    /// The version byte is not one this implementation reads.
    public static func unsupportedVersion(_ version: UInt8) -> TreeManifestError {
        .init(base: .unsupportedVersion(version))
    }
    /// Entry `index` has a path that breaks the path rules.
    public static func invalidPath(index: Int, reason: TreePathError) -> TreeManifestError {
        .init(base: .invalidPath(index: index, reason: reason))
    }
    /// Entry `index` has a mode byte other than 0, 1 or 2.
    public static func invalidMode(index: Int, value: UInt8) -> TreeManifestError {
        .init(base: .invalidMode(index: index, value: value))
    }
    /// Entry `index` sorts below the entry before it.
    public static func notAscending(index: Int) -> TreeManifestError { .init(base: .notAscending(index: index)) }
    /// Two entries have one path.
    public static func duplicatePath(_ path: TreePath) -> TreeManifestError { .init(base: .duplicatePath(path)) }
    /// `path` is a file and also holds other entries, which no directory can be.
    public static func fileAndDirectory(_ path: TreePath) -> TreeManifestError {
        .init(base: .fileAndDirectory(path))
    }
    /// The manifest is well-formed but hashes to `actual`, not to the root it was checked against.
    public static func rootMismatch(expected: TreeRoot, actual: TreeRoot) -> TreeManifestError {
        .init(base: .rootMismatch(expected: expected, actual: actual))
    }

    public var description: String {
        switch base {
        case .truncated(let field): "manifest truncated in \(field)"
        case .trailingBytes(let count): "manifest has \(count) trailing bytes"
        case .unsupportedVersion(let version): "unsupported manifest version \(version)"
        case .invalidPath(let index, let reason): "manifest entry \(index): path \(reason)"
        case .invalidMode(let index, let value): "manifest entry \(index): mode \(value) is not 0, 1 or 2"
        case .notAscending(let index): "manifest entry \(index) sorts below the entry before it"
        case .duplicatePath(let path): "manifest lists \(path) twice"
        case .fileAndDirectory(let path): "manifest lists \(path) as a file and as a directory"
        case .rootMismatch(let expected, let actual): "manifest hashes to \(actual), not \(expected)"
        }
    }
}
