import Foundation

/// A fresh directory under the system's temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    /// The absolute path.
    public let path: String

    /// Creates `<tmp>/cairn-bench-<label>-<uuid>`.
    public init(label: String) throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("cairn-bench-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Removes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
