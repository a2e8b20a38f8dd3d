import Foundation
import Testing

/// `cairn tree hash` and `cairn tree diff` through the real binary: output, manifest file, exit statuses, errors.
@Suite struct TreeCommandTests {
    /// The tree of `Docs/PROTOCOL.md` §7.6 and its root.
    private static let vectorTree =
        "umask 022; mkdir -p src logs; printf 'Cairn tree hash vector\\n' > README.md; "
        + "printf '#!/bin/sh\\necho built\\n' > build.sh; chmod +x build.sh; : > src.keep; "
        + "printf '\\303\\274n\\303\\257code\\n' > \"src/caf$(printf '\\303\\251').txt\"; ln -s build.sh latest"
    private static let vectorRoot = "cb3beec70f0c0195acc15788b7ba799113480a4253f1507115d2ab5e22ed846e"

    private static func cairn(_ arguments: [String], stdin: Data? = nil) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let result = try NodeProcess.run(["tree"] + arguments, stdin: stdin)
        return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
    }

    private static func sh(_ script: String, in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(script)")
    }

    @Test func hashPrintsTheRootAndWritesTheManifestThatDiffReadsBack() async throws {
        try await withTemporaryDirectory { root in
            let tree = root + "/tree"
            try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: false)
            try Self.sh(Self.vectorTree, in: tree)
            let hashed = try Self.cairn(["hash", tree, "--manifest", root + "/tree.manifest"])
            #expect(hashed.status == 0, "\(hashed.stderr)")
            #expect(hashed.stdout == Self.vectorRoot + "\n")
            let manifest = try Data(contentsOf: URL(fileURLWithPath: root + "/tree.manifest"))
            #expect(manifest.count == 224)

            let same = try Self.cairn(["diff", tree, root + "/tree.manifest", "--root", Self.vectorRoot])
            #expect(same.status == 0 && same.stdout.isEmpty && same.stderr.isEmpty, "\(same)")
            #expect(try Self.cairn(["diff", tree, "-"], stdin: manifest).status == 0)

            try Self.sh(
                "printf 'Cairn tree hash vectoR\\n' > README.md; chmod -x build.sh; rm src.keep; : > new",
                in: tree
            )
            let changed = try Self.cairn(["diff", tree, root + "/tree.manifest"])
            #expect(changed.status == 1)
            #expect(changed.stdout == "~ README.md\n~ build.sh\n+ new\n- src.keep\n")
            #expect(changed.stderr.isEmpty)
            #expect(try Self.cairn(["hash", tree]).stdout != Self.vectorRoot + "\n")
        }
    }

    @Test func diffRefusesAManifestOfAnotherRootOrMalformedWithExitStatus2() async throws {
        try await withTemporaryDirectory { root in
            let tree = root + "/tree"
            try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: false)
            try Self.sh(Self.vectorTree, in: tree)
            #expect(try Self.cairn(["hash", tree, "--manifest", root + "/m"]).status == 0)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/m"))
            let other = String(repeating: "ab", count: 32)
            let cases: [([String], String)] = [
                (
                    ["diff", tree, root + "/m", "--root", other],
                    "/m: manifest hashes to \(Self.vectorRoot), not \(other)"
                ),
                (["diff", tree, root + "/m", "--root", "xyz"], "--root: expected 64 hexadecimal characters"),
                (["diff", tree, root + "/absent"], "cannot read"),
                (["diff", root + "/absent", root + "/m"], "no such directory"),
            ]
            bytes.append(0)
            try bytes.write(to: URL(fileURLWithPath: root + "/trailing"))
            try bytes.prefix(100).write(to: URL(fileURLWithPath: root + "/truncated"))
            let malformed: [([String], String)] = [
                (["diff", tree, root + "/trailing"], "/trailing: manifest has 1 trailing bytes"),
                (["diff", tree, root + "/truncated"], "/truncated: manifest truncated in entries"),
            ]
            for (arguments, message) in cases + malformed {
                let result = try Self.cairn(arguments)
                #expect(result.status == 2, "\(arguments): \(result)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            }
        }
    }

    @Test func hashFailsWithOneLineNamingWhatItCannotHash() async throws {
        try await withTemporaryDirectory { root in
            try Self.sh(
                "mkdir bad && : > \"bad/$(printf 'caf\\351')\" && mkdir ctl && : > \"ctl/$(printf 'a\\033b')\"",
                in: root
            )
            try Self.sh("mkdir fifo && mkfifo fifo/p && : > file", in: root)
            let cases: [(String, String)] = [
                (root + "/bad", "name is not valid UTF-8: caf\\xe9"),
                (root + "/ctl", "invalid name a\\x1bb: holds the control character U+001B"),
                (root + "/fifo", "p is a FIFO"),
                (root + "/absent", "no such directory: \(root)/absent"),
                (root + "/file", "not a directory: \(root)/file"),
            ]
            for (directory, message) in cases {
                let result = try Self.cairn(["hash", directory])
                #expect(result.status == 1, "\(directory): \(result)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderr.contains(message), "\(directory): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            }
        }
    }
}
