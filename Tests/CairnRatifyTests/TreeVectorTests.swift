import CairnCore
import Foundation
import Testing

@testable import CairnRatify

/// The tree hash against the vectors of `Docs/PROTOCOL.md` §7.6 and the independent script that printed them.
struct TreeVectorTests {
    private static var vectorEntries: [TreeEntry] {
        TreeVectors.entries.map {
            TreeEntry(
                path: try! TreePath($0.path),
                mode: TreeEntry.Mode(rawValue: $0.mode)!,
                content: ContentHash(hex: $0.content)!
            )
        }
    }

    @Test func theVectorEntriesEncodeToTheSpecManifestAndRoot() throws {
        let manifest = try TreeManifest(entries: Self.vectorEntries.reversed())
        #expect(Hex.encode(manifest.encoding) == TreeVectors.manifest)
        #expect(manifest.root.hex == TreeVectors.root)
        #expect(manifest.entries.map { Hex.encode(TreeHash.leaf($0)) } == TreeVectors.entries.map(\.leaf))
    }

    @Test func theEmptyTreeHasTheSpecRoot() throws {
        #expect(try TreeManifest(entries: []).root.hex == TreeVectors.emptyTreeRoot)
        #expect(Hex.encode(try TreeManifest(entries: []).encoding) == "0100000000")
        let directory = ScratchDirectory()
        try directory.run("mkdir -p a/b/c d")
        #expect(try directory.scan().root.hex == TreeVectors.emptyTreeRoot)
    }

    @Test func theVectorContentsHashToTheSpecContentHashes() {
        let contents = ["Cairn tree hash vector\n", "#!/bin/sh\necho built\n", "build.sh", "", "ünïcode\n"]
        #expect(contents.map { ContentHash(of: Array($0.utf8)).hex } == TreeVectors.entries.map(\.content))
    }

    @Test func aTreeBuiltByAShellScriptHashesToTheVector() throws {
        let directory = ScratchDirectory()
        try directory.run(TreeVectors.shellScript)
        let manifest = try directory.scan()
        #expect(manifest.entries.map(\.path.description) == TreeVectors.entries.map(\.path))
        #expect(Hex.encode(manifest.encoding) == TreeVectors.manifest)
        #expect(manifest.root.hex == TreeVectors.root)
    }

    @Test(.enabled(if: python3 != nil, "python3 is not on the PATH"))
    func theReferenceScriptPrintsTheVectorsAndAgreesOnTheShellBuiltTree() throws {
        let printed = try pythonReference()
        #expect(printed.manifest == TreeVectors.manifest)
        #expect(printed.root == TreeVectors.root)
        #expect(printed.emptyTreeRoot == TreeVectors.emptyTreeRoot)
        #expect(printed.entries.map(\.leaf) == TreeVectors.entries.map(\.leaf))

        let directory = ScratchDirectory()
        try directory.run(TreeVectors.shellScript + "\nprintf 'more\\n' > src/more; chmod +x src/more; mkdir -p x/y")
        let reference = try pythonReference([directory.path])
        let manifest = try directory.scan()
        #expect(Hex.encode(manifest.encoding) == reference.manifest)
        #expect(manifest.root.hex == reference.root)
    }

    @Test(.enabled(if: python3 != nil, "python3 is not on the PATH"))
    func theReferenceScriptAgreesOnThisRepositorysSources() throws {
        let sources = repositoryRoot + "/Sources"
        #expect(try TreeScanner.scan(sources).root.hex == pythonReference([sources]).root)
    }

    @Test(arguments: [
        0, 1, 1000, TreeScanner.readChunkBytes - 1, TreeScanner.readChunkBytes, 3 * TreeScanner.readChunkBytes + 7,
    ])
    func aFileStreamedInChunksHashesAsInOneCall(size: Int) throws {
        let directory = ScratchDirectory()
        let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        FileManager.default.createFile(atPath: directory.path + "/blob", contents: Data(content))
        #expect(
            try directory.scan().entries == [
                TreeEntry(path: try TreePath("blob"), mode: .file, content: ContentHash(of: content))
            ]
        )
    }

    /// RFC 6962 §2.1 as written: split at the largest power of two below the count.
    private static func rfc6962(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        guard leaves.count > 1 else { return leaves.first! }
        var split = 1
        while split * 2 < leaves.count { split *= 2 }
        let middle = leaves.startIndex + split
        return TreeHash.node(rfc6962(leaves[..<middle]), rfc6962(leaves[middle...]))
    }

    @Test func theBottomUpMerkleTreeIsRFC6962sForEveryCountUpTo70() {
        for count in 1...70 {
            let leaves = (0..<count).map { Blake2b.hash256([UInt8(truncatingIfNeeded: $0)]) }
            #expect(TreeHash.merkle(leaves) == Self.rfc6962(leaves[...]), "\(count) leaves")
        }
    }
}
