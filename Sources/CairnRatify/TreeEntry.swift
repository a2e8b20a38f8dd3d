import CairnCore

/// One file of a tree: its path, its mode and the hash of its contents (`Docs/PROTOCOL.md` §7.2).
public struct TreeEntry: Hashable, Sendable {
    /// What kind of file an entry is, as its manifest byte.
    public enum Mode: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// A regular file whose owner may not execute it.
        case file = 0
        /// A regular file whose owner may execute it (`S_IXUSR`).
        case executable = 1
        /// A symbolic link, recorded by its target text and never followed.
        case symlink = 2

        public var description: String {
            switch self {
            case .file: "file"
            case .executable: "executable"
            case .symlink: "symlink"
            }
        }
    }

    /// The smallest encoded entry: a one-byte path.
    static let minEncodedBytes = 2 + 1 + 1 + Blake2b.digestBytes

    /// Where the file is in the tree.
    public let path: TreePath
    /// File, executable file or symlink.
    public let mode: Mode
    /// BLAKE2b-256 of the contents (of the target text for a symlink).
    public let content: ContentHash

    /// An entry.
    public init(path: TreePath, mode: Mode, content: ContentHash) {
        self.path = path
        self.mode = mode
        self.content = content
    }

    /// Appends `path_len` (u16), `path`, `mode` (u8) and `content` (32 bytes).
    func encode(into writer: inout ByteWriter) {
        writer.write(UInt16(path.bytes.count))
        writer.write(bytes: path.bytes)
        writer.write(mode.rawValue)
        writer.write(content)
    }

    /// The entry's encoding on its own, as its leaf hash covers it.
    var encoding: [UInt8] {
        var writer = ByteWriter(capacity: Self.minEncodedBytes - 1 + path.bytes.count)
        encode(into: &writer)
        return writer.bytes
    }
}
