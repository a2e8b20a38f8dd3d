import CairnCore

/// The canonical list of a tree's files (`Docs/PROTOCOL.md` §7.3): entries in ascending byte order of their paths,
/// no path twice, no path that is both a file and a directory. The root is a function of the manifest alone, so a
/// manifest handed over by anyone can be checked against a ratified root before it is trusted.
public struct TreeManifest: Hashable, Sendable {
    /// The format version byte.
    public static let version: UInt8 = 1

    /// The entries, in ascending byte order of their paths.
    public let entries: [TreeEntry]
    /// The root hash over `entries` (§7.4).
    public let root: TreeRoot

    /// A manifest of `entries` in any order.
    /// - Throws: `TreeManifestError.duplicatePath` or `.fileAndDirectory` when no directory could hold them.
    public init(entries: [TreeEntry]) throws(TreeManifestError) {
        let sorted = entries.sorted { $0.path < $1.path }
        for index in sorted.indices.dropFirst() where sorted[index - 1].path == sorted[index].path {
            throw .duplicatePath(sorted[index].path)
        }
        try Self.checkFilesAreNotDirectories(sorted)
        self.init(validated: sorted)
    }

    /// A manifest of entries already checked: ascending, unique, no file under another file.
    init(validated entries: [TreeEntry]) {
        precondition(entries.count <= Int(UInt32.max), "a manifest counts its entries in 32 bits")
        self.entries = entries
        self.root = TreeHash.root(of: entries)
    }

    /// The canonical encoding: `version`, `count` (u32), then each entry (§7.3).
    public var encoding: [UInt8] {
        let pathBytes = entries.reduce(0) { $0 + $1.path.bytes.count }
        var writer = ByteWriter(capacity: 5 + entries.count * (TreeEntry.minEncodedBytes - 1) + pathBytes)
        writer.write(Self.version)
        writer.write(UInt32(entries.count))
        for entry in entries {
            entry.encode(into: &writer)
        }
        return writer.bytes
    }

    /// The entry at `path`, if the manifest has one.
    public func entry(at path: TreePath) -> TreeEntry? {
        let index = Self.lowerBound(path.bytes, in: entries)
        return index < entries.count && entries[index].path == path ? entries[index] : nil
    }

    /// Decodes a manifest, refusing every encoding but the canonical one.
    /// - Throws: `TreeManifestError` naming the first field or entry that is wrong, in the order of §7.3.
    public static func decode(_ bytes: [UInt8]) throws(TreeManifestError) -> TreeManifest {
        var reader = ByteReader(bytes)
        let (version, count) = try fields { () throws(CoreError) in
            (try reader.readUInt8("version"), Int(try reader.readUInt32("count")))
        }
        guard version == Self.version else { throw .unsupportedVersion(version) }
        guard count <= reader.remaining / TreeEntry.minEncodedBytes else { throw .truncated(field: "entries") }
        var entries: [TreeEntry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let (pathBytes, modeByte, content) = try fields { () throws(CoreError) in
                let length = Int(try reader.readUInt16("entry \(index) path_len"))
                return (
                    try reader.readBytes(length, "entry \(index) path"),
                    try reader.readUInt8("entry \(index) mode"),
                    try reader.read(ContentHash.self, "entry \(index) content")
                )
            }
            let path: TreePath
            do { path = try TreePath(validating: pathBytes) } catch { throw .invalidPath(index: index, reason: error) }
            guard let mode = TreeEntry.Mode(rawValue: modeByte) else {
                throw .invalidMode(index: index, value: modeByte)
            }
            if let previous = entries.last?.path {
                guard previous != path else { throw .duplicatePath(path) }
                guard previous < path else { throw .notAscending(index: index) }
            }
            entries.append(TreeEntry(path: path, mode: mode, content: content))
        }
        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
        try checkFilesAreNotDirectories(entries)
        return TreeManifest(validated: entries)
    }

    /// Decodes a manifest and checks that it hashes to `root`.
    /// - Throws: `TreeManifestError` as `decode(_:)`, or `.rootMismatch` when the manifest is of another tree.
    public static func decode(_ bytes: [UInt8], expecting root: TreeRoot) throws(TreeManifestError) -> TreeManifest {
        let manifest = try decode(bytes)
        guard manifest.root == root else { throw .rootMismatch(expected: root, actual: manifest.root) }
        return manifest
    }

    /// Refuses a path `p` when another path starts with `p/`. Those paths sort together, right at or after `p/`,
    /// so one binary search per entry finds them.
    private static func checkFilesAreNotDirectories(_ sorted: [TreeEntry]) throws(TreeManifestError) {
        for entry in sorted {
            let directory = entry.path.bytes + [TreePath.separator]
            let index = lowerBound(directory, in: sorted)
            if index < sorted.count, sorted[index].path.bytes.starts(with: directory) {
                throw .fileAndDirectory(entry.path)
            }
        }
    }

    /// The first index of `entries` (ascending) whose path is not below `bytes`.
    private static func lowerBound(_ bytes: [UInt8], in entries: [TreeEntry]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].path.bytes.lexicographicallyPrecedes(bytes) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// Runs reads of fixed fields, turning a short input into `.truncated` naming the field.
    private static func fields<Value>(_ read: () throws(CoreError) -> Value) throws(TreeManifestError) -> Value {
        do {
            return try read()
        } catch {
            guard case .truncated(let field) = error else { preconditionFailure("ByteReader reads only truncate") }
            throw .truncated(field: field)
        }
    }
}
