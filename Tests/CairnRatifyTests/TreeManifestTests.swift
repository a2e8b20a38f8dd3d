import CairnCore
import Testing

@testable import CairnRatify

/// Decoding refuses every manifest but the canonical one, with a typed error naming what is wrong.
struct TreeManifestTests {
    private static let vector = [UInt8](hex: TreeVectors.manifest)

    @Test func theVectorDecodesAndEncodesBackToItself() throws {
        let manifest = try TreeManifest.decode(Self.vector)
        #expect(manifest.encoding == Self.vector)
        #expect(manifest.root.hex == TreeVectors.root)
        #expect(try TreeManifest.decode(Self.vector, expecting: TreeRoot(hex: TreeVectors.root)!) == manifest)
        #expect(manifest.entry(at: try TreePath("build.sh"))?.mode == .executable)
        #expect(manifest.entry(at: try TreePath("src")) == nil)
    }

    @Test func everyTruncationIsRefused() {
        for length in 0..<Self.vector.count {
            do {
                _ = try TreeManifest.decode(Array(Self.vector[..<length]))
                Issue.record("\(length) bytes accepted")
            } catch {
                #expect(error.description.hasPrefix("manifest truncated in "), "\(length) bytes: \(error)")
            }
        }
        #expect(throws: TreeManifestError.truncated(field: "version")) { try TreeManifest.decode([]) }
        #expect(throws: TreeManifestError.truncated(field: "count")) { try TreeManifest.decode([1, 0, 0]) }
        #expect(throws: TreeManifestError.truncated(field: "entry 4 content")) {
            try TreeManifest.decode(Array(Self.vector.dropLast()))
        }
        // 95 bytes after the count cannot hold 5 entries of at least 36 bytes.
        #expect(throws: TreeManifestError.truncated(field: "entries")) {
            try TreeManifest.decode(Array(Self.vector[..<100]))
        }
        #expect(throws: TreeManifestError.truncated(field: "entry 0 path")) {
            try TreeManifest.decode([1, 0, 0, 0, 1, 0xff, 0xff] + [UInt8](repeating: 0, count: 40))
        }
    }

    @Test func aCountNoInputCouldHoldIsRefusedBeforeAnythingIsAllocated() {
        #expect(throws: TreeManifestError.truncated(field: "entries")) {
            try TreeManifest.decode([1, 0xff, 0xff, 0xff, 0xff] + [UInt8](repeating: 0, count: 100))
        }
    }

    @Test(arguments: [1, 2, 37])
    func trailingBytesAreRefused(count: Int) {
        #expect(throws: TreeManifestError.trailingBytes(count: count)) {
            try TreeManifest.decode(Self.vector + [UInt8](repeating: 0, count: count))
        }
    }

    @Test(arguments: [0, 2, 0xff] as [UInt8])
    func anotherVersionIsRefused(version: UInt8) {
        var bytes = Self.vector
        bytes[0] = version
        #expect(throws: TreeManifestError.unsupportedVersion(version)) { try TreeManifest.decode(bytes) }
    }

    @Test func unsortedEntriesAreRefused() {
        let bytes = rawManifest([(Array("b".utf8), 0), (Array("a".utf8), 0)])
        #expect(throws: TreeManifestError.notAscending(index: 1)) { try TreeManifest.decode(bytes) }
        // Per-directory order is not manifest order: `src/a` (2f) after `src.keep` (2e).
        let walkOrder = rawManifest([(Array("src/a".utf8), 0), (Array("src.keep".utf8), 0)])
        #expect(throws: TreeManifestError.notAscending(index: 1)) { try TreeManifest.decode(walkOrder) }
        // Byte order, not Unicode canonical order: NFC `é` (c3 a9) sorts after NFD `e` + U+0301 (65 cc 81).
        let nfcFirst = rawManifest([(Array("caf\u{e9}".utf8), 0), (Array("cafe\u{301}".utf8), 0)])
        #expect(throws: TreeManifestError.notAscending(index: 1)) { try TreeManifest.decode(nfcFirst) }
        #expect(throws: Never.self) {
            try TreeManifest.decode(rawManifest([(Array("cafe\u{301}".utf8), 0), (Array("caf\u{e9}".utf8), 0)]))
        }
    }

    @Test func duplicatePathsAreRefused() throws {
        let bytes = rawManifest([(Array("a".utf8), 0), (Array("b".utf8), 0), (Array("b".utf8), 1)])
        #expect(throws: TreeManifestError.duplicatePath(try TreePath("b"))) { try TreeManifest.decode(bytes) }
        #expect(throws: TreeManifestError.duplicatePath(try TreePath("b"))) {
            try TreeManifest(entries: [entry("b"), entry("a"), entry("b", .executable)])
        }
    }

    @Test func aPathThatIsBothAFileAndADirectoryIsRefused() throws {
        // `a-b` (2d) sorts between `a` and `a/c`, so the two are not neighbours.
        let bytes = rawManifest([(Array("a".utf8), 0), (Array("a-b".utf8), 0), (Array("a/c".utf8), 0)])
        #expect(throws: TreeManifestError.fileAndDirectory(try TreePath("a"))) { try TreeManifest.decode(bytes) }
        #expect(throws: TreeManifestError.fileAndDirectory(try TreePath("x/y"))) {
            try TreeManifest(entries: [entry("x/y/z"), entry("x/y")])
        }
        #expect(throws: Never.self) { try TreeManifest(entries: [entry("a"), entry("a-b/c"), entry("ab/c")]) }
    }

    @Test(arguments: [3, 4, 0x80, 0xff] as [UInt8])
    func anUnknownModeIsRefused(mode: UInt8) {
        let bytes = rawManifest([(Array("a".utf8), 0), (Array("b".utf8), mode)])
        #expect(throws: TreeManifestError.invalidMode(index: 1, value: mode)) { try TreeManifest.decode(bytes) }
    }

    @Test(
        arguments: [
            ([], .empty),
            (Array("/etc/passwd".utf8), .emptyComponent),
            (Array("a//b".utf8), .emptyComponent),
            (Array("a/".utf8), .emptyComponent),
            (Array("./a".utf8), .dotComponent(".")),
            (Array("a/../../b".utf8), .dotComponent("..")),
            (Array("a\nb".utf8), .controlCharacter(0x0a)),
            (Array("a\u{7f}".utf8), .controlCharacter(0x7f)),
            (Array("a\u{85}".utf8), .controlCharacter(0x85)),
            ([0x61, 0xff], .notUTF8),
            ([0xc0, 0xaf], .notUTF8),
            ([0xed, 0xa0, 0x80], .notUTF8),
            ([0x61, 0xc3], .notUTF8),
            (
                [UInt8](repeating: 0x61, count: TreePath.maxBytes + 1),
                .tooLong(bytes: TreePath.maxBytes + 1, limit: 4096)
            ),
        ] as [([UInt8], TreePathError)]
    )
    func aPathBreakingARuleIsRefused(path: [UInt8], reason: TreePathError) {
        #expect(throws: reason) { try TreePath(validating: path) }
        // An empty path makes the smallest entry one byte shorter than the count check assumes: pad it.
        let bytes = rawManifest([(Array("+".utf8), 0), (path, 0)]) + (path.isEmpty ? [0] : [])
        #expect(throws: TreeManifestError.invalidPath(index: 1, reason: reason)) { try TreeManifest.decode(bytes) }
    }

    @Test func pathsThatFollowTheRulesAreAccepted() throws {
        let paths = ["a", "a/b/c", ".git/HEAD", "..a", "a./.b", "a b\\c", "日本/語", String(repeating: "x", count: 4096)]
        for path in paths {
            #expect(try TreePath(path).description == path)
        }
    }

    @Test func aManifestThatDoesNotHashToTheRootIsRefused() throws {
        var bytes = Self.vector
        bytes[bytes.count - 1] ^= 1
        let changed = try TreeManifest.decode(bytes)
        let root = TreeRoot(hex: TreeVectors.root)!
        #expect(throws: TreeManifestError.rootMismatch(expected: root, actual: changed.root)) {
            try TreeManifest.decode(bytes, expecting: root)
        }
    }

    @Test func everySingleByteChangeIsRefusedOrChangesTheRoot() {
        let root = TreeRoot(hex: TreeVectors.root)!
        for index in Self.vector.indices {
            for value in [0, 1, 0x2f, 0x7f, 0x80, 0xff] as [UInt8] where value != Self.vector[index] {
                var bytes = Self.vector
                bytes[index] = value
                if let manifest = try? TreeManifest.decode(bytes) {
                    #expect(manifest.root != root, "byte \(index) = \(value) kept the root")
                    #expect(manifest.encoding == bytes)
                }
            }
        }
    }

    @Test func errorsPrintAsOneLineNamingWhatIsWrong() throws {
        #expect("\(TreeManifestError.duplicatePath(try TreePath("src/a")))" == "manifest lists src/a twice")
        #expect(
            "\(TreeManifestError.invalidPath(index: 3, reason: .notUTF8))" == "manifest entry 3: path not valid UTF-8"
        )
        #expect("\(TreeManifestError.invalidMode(index: 0, value: 9))" == "manifest entry 0: mode 9 is not 0, 1 or 2")
    }
}
