import CairnCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The directory walk (`Docs/PROTOCOL.md` §7.1–7.2): lists a directory's files, symlinks and subdirectories by
/// their raw names, hashes each file by streaming it through BLAKE2b-256, and hands the entries to `TreeManifest`,
/// which does the rest of the hashing. Memory grows with the number of files, never with their sizes.
public enum TreeScanner {
    /// How much of a file is read into memory at once.
    public static let readChunkBytes = 64 * 1024

    /// The manifest of the tree at `directory` (a symlink to a directory is followed at the top only).
    /// - Throws: `TreeScanError` naming the directory or the path inside it that cannot be hashed.
    public static func scan(_ directory: String) throws(TreeScanError) -> TreeManifest {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            switch errno {
            case ENOENT: throw .notFound(directory)
            case ENOTDIR: throw .notADirectory(directory)
            case let code: throw .unreadable(path: directory, errno: code)
            }
        }
        var entries: [TreeEntry] = []
        try walk(descriptor, prefix: [], into: &entries)
        // Byte order of whole paths, not a directory at a time: `src.keep` (2e) sorts before `src/a` (2f).
        entries.sort { $0.path < $1.path }
        return TreeManifest(validated: entries)
    }

    /// What differs between `expected` and the tree at `directory`.
    /// - Throws: `TreeScanError` as `scan(_:)`.
    public static func diff(_ expected: TreeManifest, against directory: String) throws(TreeScanError) -> TreeDiff {
        TreeDiff(expected: expected, found: try scan(directory))
    }

    /// Adds the entries under the directory open at `descriptor` (which it closes), whose path is `prefix`.
    private static func walk(_ descriptor: Int32, prefix: [UInt8], into entries: inout [TreeEntry])
        throws(TreeScanError)
    {
        guard let stream = fdopendir(descriptor) else {
            let code = errno
            close(descriptor)
            throw .unreadable(path: location(prefix), errno: code)
        }
        defer { closedir(stream) }
        let directory = dirfd(stream)
        for name in try names(stream, prefix: prefix) {
            let bytes = prefix.isEmpty ? name : prefix + [TreePath.separator] + name
            let path = try treePath(bytes)
            var info = stat()
            guard withCName(name, { fstatat(directory, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                throw .unreadable(path: path.description, errno: errno)
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let child = withCName(name) { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard child >= 0 else { throw .unreadable(path: path.description, errno: errno) }
                try walk(child, prefix: bytes, into: &entries)
            case S_IFREG:
                entries.append(try file(name, in: directory, path: path))
            case S_IFLNK:
                let target = try linkTarget(name, in: directory, path: path)
                entries.append(TreeEntry(path: path, mode: .symlink, content: ContentHash(of: target)))
            default:
                throw .unsupportedType(path, type: typeName(info.st_mode))
            }
        }
    }

    /// Every name in a directory but `.` and `..`, as raw bytes.
    private static func names(_ stream: OpaquePointer, prefix: [UInt8]) throws(TreeScanError) -> [[UInt8]] {
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                guard errno == 0 else { throw .unreadable(path: location(prefix), errno: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != Array(".".utf8), name != Array("..".utf8) {
                names.append(name)
            }
        }
    }

    /// Checks a path found on disk against the path rules.
    private static func treePath(_ bytes: [UInt8]) throws(TreeScanError) -> TreePath {
        do {
            return try TreePath(validating: bytes)
        } catch .notUTF8 {
            throw .nonUTF8Name(bytes)
        } catch {
            throw .invalidName(bytes, reason: error)
        }
    }

    /// Hashes a regular file's contents a chunk at a time and reads its owner's execute bit, both from one open
    /// descriptor, so a file swapped for something else between the listing and the read is caught.
    private static func file(_ name: [UInt8], in directory: Int32, path: TreePath) throws(TreeScanError) -> TreeEntry {
        // O_NONBLOCK: if a FIFO took the file's place, opening it must not wait for a writer.
        let descriptor = withCName(name) { openat(directory, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard descriptor >= 0 else { throw .unreadable(path: path.description, errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .unreadable(path: path.description, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unsupportedType(path, type: typeName(info.st_mode)) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readChunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = Blake2b.Hasher()
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw .unreadable(path: path.description, errno: errno)
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        let mode: TreeEntry.Mode = info.st_mode & S_IXUSR != 0 ? .executable : .file
        return TreeEntry(path: path, mode: mode, content: ContentHash(unchecked: hasher.finalize()))
    }

    /// A symlink's target text, as stored; never followed.
    private static func linkTarget(_ name: [UInt8], in directory: Int32, path: TreePath) throws(TreeScanError)
        -> [UInt8]
    {
        var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = withCName(name) { cName in
            target.withUnsafeMutableBytes {
                readlinkat(directory, cName, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count)
            }
        }
        guard count >= 0 else { throw .unreadable(path: path.description, errno: errno) }
        guard count < target.count else { throw .unreadable(path: path.description, errno: ENAMETOOLONG) }
        return Array(target[..<count])
    }

    /// A directory's path for an error: `.` for the tree's top.
    private static func location(_ prefix: [UInt8]) -> String {
        prefix.isEmpty ? "." : TreePath.display(prefix)
    }

    /// Calls `body` with `name` as a NUL-terminated C string.
    private static func withCName<Result>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) -> Result) -> Result {
        (name + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }

    /// What a file that is neither a regular file, a directory nor a symlink is, for the error.
    private static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "FIFO"
        case S_IFSOCK: "socket"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        default: "special file"
        }
    }
}
