import CairnCore
import Foundation
import Testing

@testable import CairnRatify

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the directory walk refuses, each with a typed error naming the path.
struct TreeScanTests {
    /// Creates a file whose name is `name`'s raw bytes, which `FileManager` cannot spell.
    private func createFile(named name: [UInt8], in directory: String) {
        let path = Array(directory.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        #expect(descriptor >= 0)
        close(descriptor)
    }

    @Test(
        arguments: [[0x62, 0x61, 0x64, 0xff], [0x63, 0x61, 0x66, 0xe9], [0xc0, 0xaf], [0xed, 0xa0, 0x80]] as [[UInt8]]
    )
    func aNameThatIsNotUTF8IsRefusedNamingIt(name: [UInt8]) throws {
        let directory = ScratchDirectory()
        try directory.run("mkdir -p src/deep")
        createFile(named: name, in: directory.path + "/src/deep")
        let path = Array("src/deep/".utf8) + name
        #expect(throws: TreeScanError.nonUTF8Name(path)) { try directory.scan() }
    }

    @Test func aNonUTF8DirectoryNameIsRefusedBeforeAnythingInIt() throws {
        let directory = ScratchDirectory()
        try directory.run("mkdir \"$(printf 'd\\377')\" && : > \"$(printf 'd\\377')/f\"")
        #expect(throws: TreeScanError.nonUTF8Name([0x64, 0xff])) { try directory.scan() }
        #expect(
            "\(TreeScanError.nonUTF8Name(Array("src/caf".utf8) + [0xe9] + Array(".txt".utf8)))"
                == "name is not valid UTF-8: src/caf\\xe9.txt"
        )
    }

    @Test func aNameWithAControlCharacterIsRefusedAndPrintsOnOneLine() throws {
        let directory = ScratchDirectory()
        try directory.run("printf x > \"$(printf 'a\\nb')\"")
        let error = #expect(throws: TreeScanError.self) { try directory.scan() }
        #expect(error == .invalidName(Array("a\nb".utf8), reason: .controlCharacter(0x0a)))
        #expect(error?.description == "invalid name a\\x0ab: holds the control character U+000A")
    }

    @Test func aMissingDirectoryOrAFileIsRefused() throws {
        let directory = ScratchDirectory()
        try directory.run(": > file")
        #expect(throws: TreeScanError.notFound(directory.path + "/absent")) {
            try TreeScanner.scan(directory.path + "/absent")
        }
        #expect(throws: TreeScanError.notADirectory(directory.path + "/file")) {
            try TreeScanner.scan(directory.path + "/file")
        }
    }

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let directory = ScratchDirectory()
        try directory.run("mkdir sub && mkfifo sub/pipe")
        #expect(throws: TreeScanError.unsupportedType(try TreePath("sub/pipe"), type: "FIFO")) { try directory.scan() }
    }

    @Test(.enabled(if: geteuid() != 0, "root reads files whatever their mode"))
    func anUnreadableFileIsRefusedNamingIt() throws {
        let directory = ScratchDirectory()
        try directory.run("mkdir sub && : > sub/secret && chmod 000 sub/secret")
        #expect(throws: TreeScanError.unreadable(path: "sub/secret", errno: EACCES)) { try directory.scan() }
    }

    @Test func aSymlinkToADirectoryIsRecordedNotFollowed() throws {
        let directory = ScratchDirectory()
        try directory.run("mkdir real && printf x > real/file && ln -s real alias && ln -s /nonexistent dangling")
        let manifest = try directory.scan()
        #expect(manifest.entries.map(\.path.description) == ["alias", "dangling", "real/file"])
        #expect(
            manifest.entries[0]
                == TreeEntry(path: try TreePath("alias"), mode: .symlink, content: ContentHash(of: Array("real".utf8)))
        )
        #expect(manifest.entries[1].content == ContentHash(of: Array("/nonexistent".utf8)))
    }

    @Test func theTopDirectoryMayBeASymlink() throws {
        let directory = ScratchDirectory()
        try directory.run("mkdir tree && cd tree\n" + TreeVectors.shellScript + "\ncd .. && ln -s tree link")
        #expect(try TreeScanner.scan(directory.path + "/link").root.hex == TreeVectors.root)
    }

    @Test func dotGitIsHashedLikeAnyOtherDirectory() throws {
        let directory = ScratchDirectory()
        try directory.run("mkdir .git && printf 'ref: refs/heads/main\\n' > .git/HEAD && : > .gitignore")
        #expect(try directory.scan().entries.map(\.path.description) == [".git/HEAD", ".gitignore"])
    }
}
