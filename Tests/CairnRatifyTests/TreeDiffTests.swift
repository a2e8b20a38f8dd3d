import CairnCore
import Foundation
import Testing

@testable import CairnRatify

/// Each kind of change to a tree changes its root, and the diff names exactly the paths that changed.
struct TreeDiffTests {
    /// Builds the vector tree, applies `change` (a shell script), and returns the diff from the vector manifest.
    private func diffAfter(_ change: String) throws -> (diff: TreeDiff, root: TreeRoot) {
        let directory = ScratchDirectory()
        try directory.run(TreeVectors.shellScript)
        let expected = try TreeManifest.decode([UInt8](hex: TreeVectors.manifest))
        try directory.run(change)
        let found = try directory.scan()
        let diff = try TreeScanner.diff(expected, against: directory.path)
        #expect(diff == TreeDiff(expected: expected, found: found))
        return (diff, found.root)
    }

    private func lines(_ diff: TreeDiff) -> [String] { diff.changes.map(\.description) }

    @Test func anUnchangedTreeHasNoDiff() throws {
        let (diff, root) = try diffAfter(":")
        #expect(diff.isEmpty)
        #expect(root.hex == TreeVectors.root)
    }

    @Test func oneByteChangedIsNamed() throws {
        let (diff, root) = try diffAfter("printf 'Cairn tree hash vectoR\\n' > README.md")
        #expect(root.hex != TreeVectors.root)
        #expect(lines(diff) == ["~ README.md"])
        #expect(diff.changes[0].kind == .changed)
        #expect(diff.changes[0].expected?.mode == diff.changes[0].found?.mode)
    }

    @Test func aModeChangeIsNamed() throws {
        let (diff, root) = try diffAfter("chmod -x build.sh; chmod u+x src.keep")
        #expect(root.hex != TreeVectors.root)
        #expect(lines(diff) == ["~ build.sh", "~ src.keep"])
        #expect(diff.changes.map { $0.found!.mode } == [.file, .executable])
        #expect(diff.changes.allSatisfy { $0.expected!.content == $0.found!.content })
    }

    @Test func groupAndOtherExecuteBitsAreNotRecorded() throws {
        let (diff, root) = try diffAfter("chmod go-x build.sh; chmod go+x README.md")
        #expect(diff.isEmpty)
        #expect(root.hex == TreeVectors.root)
    }

    @Test func addedAndRemovedFilesAreNamed() throws {
        let (diff, root) = try diffAfter("rm src/caf*; : > new; mkdir -p deep/er; printf x > deep/er/file")
        #expect(root.hex != TreeVectors.root)
        #expect(lines(diff) == ["+ deep/er/file", "+ new", "- src/café.txt"])
        #expect(diff.changes.map(\.kind) == [.added, .added, .removed])
    }

    @Test func aSymlinkIsComparedByItsTargetText() throws {
        let (retargeted, _) = try diffAfter("rm latest; ln -s ./build.sh latest")
        #expect(lines(retargeted) == ["~ latest"])
        let (replaced, _) = try diffAfter("rm latest; cp build.sh latest")
        #expect(lines(replaced) == ["~ latest"])
        #expect(replaced.changes[0].found?.mode == .executable)
        // The link's target changing changes nothing about the link.
        let (followed, _) = try diffAfter("printf 'changed\\n' > build.sh")
        #expect(lines(followed) == ["~ build.sh"])
    }

    @Test func emptyDirectoriesChangeNothing() throws {
        let (diff, root) = try diffAfter("rmdir logs; mkdir -p more/empty/dirs")
        #expect(diff.isEmpty)
        #expect(root.hex == TreeVectors.root)
    }

    @Test func aFileReplacedByADirectoryIsARemovalAndAnAddition() throws {
        let (diff, _) = try diffAfter("rm src.keep; mkdir src.keep; : > src.keep/x")
        #expect(lines(diff) == ["- src.keep", "+ src.keep/x"])
    }

    @Test func aRenameIsARemovalAndAnAddition() throws {
        let (diff, _) = try diffAfter("mv README.md README")
        #expect(lines(diff) == ["+ README", "- README.md"])
    }
}
