import CairnCore
import CairnRatify
import Foundation

/// The vectors of `Docs/PROTOCOL.md` §7.6, printed by `scripts/tree-vectors.py` (hashlib only, no Cairn code).
enum TreeVectors {
    /// (path, mode byte, content hash, leaf hash) in manifest order.
    static let entries: [(path: String, mode: UInt8, content: String, leaf: String)] = [
        (
            "README.md", 0, "e4aef519adfe98022e26521e986f44f35abb3e68e59ebdb48b29669526904f87",
            "d981c57dd4ec398f44424be4cf5f56315c8bafbe3addf21b23f96075eca68164"
        ),
        (
            "build.sh", 1, "5aac012674b203d4dcc04fb606c7e8c0d53d117ee6144bea4cddc6f2f8d11c8d",
            "2d0ffd7a8b66bfa1452f2344912d716dd04771e38011c7ab5537a6aadb07bc89"
        ),
        (
            "latest", 2, "9319a52e53db95785829663f495743aaf60f2e4a01d5d26320c47b4ac41c7cf5",
            "450026c4129019fad0fd1f69297412b7e792922b73b964e0af728b420d2048b7"
        ),
        (
            "src.keep", 0, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
            "d049863c0d7fc406aa41c69f039d0baa55d213ae34e1db075b1cc2b602ddc89e"
        ),
        (
            "src/café.txt", 0, "eec984ddc62afc40cdb83d2b2fb97ed6ac6b4bf3adb5ff78ec4d0c3d7120fa3b",
            "e930299bd7f926401418116ce609240905870d3f4d2b310898b880bad525e32e"
        ),
    ]
    static let manifest =
        "01000000050009524541444d452e6d6400e4aef519adfe98022e26521e986f44f35abb3e68e59ebdb48b29669526904f8700086275696c642e7368015aac012674b203d4dcc04fb606c7e8c0d53d117ee6144bea4cddc6f2f8d11c8d00066c6174657374029319a52e53db95785829663f495743aaf60f2e4a01d5d26320c47b4ac41c7cf500087372632e6b656570000e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8000d7372632f636166c3a92e74787400eec984ddc62afc40cdb83d2b2fb97ed6ac6b4bf3adb5ff78ec4d0c3d7120fa3b"
    static let root = "cb3beec70f0c0195acc15788b7ba799113480a4253f1507115d2ab5e22ed846e"
    static let emptyTreeRoot = "5e95b10b5b6f2cfeab99939c59c5c5aa8674791fdb80dfe3fb514624e8082455"

    /// The vector tree as a shell script builds it: four files (one empty, one executable, one in a subdirectory
    /// with a non-ASCII name), a symlink and an empty directory.
    static let shellScript = """
        umask 022
        mkdir -p src logs
        printf 'Cairn tree hash vector\\n' > README.md
        printf '#!/bin/sh\\necho built\\n' > build.sh
        chmod +x build.sh
        : > src.keep
        printf '\\303\\274n\\303\\257code\\n' > "src/caf$(printf '\\303\\251').txt"
        ln -s build.sh latest
        """
}

extension [UInt8] {
    /// Decodes hex that the test itself wrote.
    init(hex: String) { self = Hex.decode(hex)! }
}

/// A fresh empty directory under the system's temporary directory, removed by `remove()`.
struct ScratchDirectory: ~Copyable {
    let path: String

    init() {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("cairn-tree-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit {
        // Restore permissions a test may have taken away, so the removal succeeds.
        _ = try? shell("chmod -R u+rwx . 2>/dev/null", in: path)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Runs `script` with `/bin/sh -c` in this directory.
    @discardableResult
    func run(_ script: String) throws -> String { try shell(script, in: path) }

    /// The manifest of this directory.
    func scan() throws(TreeScanError) -> TreeManifest { try TreeScanner.scan(path) }
}

/// What a shell script run by a test printed, after it exited 0.
struct ShellError: Error, CustomStringConvertible {
    let description: String
}

/// Runs `script` with `/bin/sh -c` in `directory`; returns its standard output.
@discardableResult
func shell(_ script: String, in directory: String) throws -> String {
    try run("/bin/sh", ["-c", script], in: directory)
}

/// Runs `executable` with `arguments` in `directory`; returns its standard output, failing on a non-zero exit.
func run(_ executable: String, _ arguments: [String], in directory: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ShellError(
            description: "\(executable) \(arguments) exited \(process.terminationStatus): "
                + String(decoding: stderr, as: UTF8.self)
        )
    }
    return String(decoding: stdout, as: UTF8.self)
}

/// The repository's root, for `scripts/tree-vectors.py`.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// `python3` on the `PATH`, if there is one.
let python3: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    .map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// `scripts/tree-vectors.py` run with `arguments`, decoded.
func pythonReference(_ arguments: [String] = []) throws -> PythonVectors {
    let output = try run(python3!, [repositoryRoot + "/scripts/tree-vectors.py"] + arguments, in: repositoryRoot)
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(PythonVectors.self, from: Data(output.utf8))
}

/// What `scripts/tree-vectors.py` prints.
struct PythonVectors: Decodable {
    struct Entry: Decodable {
        let path: String
        let mode: UInt8
        let content: String
        let leaf: String
    }

    let entries: [Entry]
    let manifest: String
    let root: String
    let emptyTreeRoot: String?
}

/// An entry for manifest tests: the content hash of `content`.
func entry(_ path: String, _ mode: TreeEntry.Mode = .file, _ content: String = "") -> TreeEntry {
    TreeEntry(path: try! TreePath(path), mode: mode, content: ContentHash(of: Array(content.utf8)))
}

/// The manifest encoding of entries in the given order, valid or not: for decoder tests.
func rawManifest(_ entries: [(path: [UInt8], mode: UInt8)], version: UInt8 = 1) -> [UInt8] {
    var writer = ByteWriter()
    writer.write(version)
    writer.write(UInt32(entries.count))
    for entry in entries {
        writer.write(UInt16(entry.path.count))
        writer.write(bytes: entry.path)
        writer.write(entry.mode)
        writer.write(ContentHash(of: entry.path))
    }
    return writer.bytes
}
