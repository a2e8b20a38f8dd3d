import CairnCore
import Foundation
import Testing

/// Ratification on real node processes: a tree proposed at one node and voted on at three is ratified on all, and
/// `cairn tree check` accepts that tree and names the file of a tree with one byte changed.
@Suite(.serialized) struct RatifyProcessTests {
    @Test func aProposalVotedOnAtThreeNodesIsRatifiedOnAllAndCheckNamesAChangedFile() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            for index in 0..<3 {
                try await cluster.start(peers: index == 0 ? [] : [0], config: GenesisProcessTests.demoConfiguration)
            }
            let connected = try await eventually(timeout: .seconds(30)) {
                for index in 1..<3 where try await cluster.peerIDs(of: index).isEmpty { return false }
                return true
            }
            #expect(connected)
            let tree = root + "/tree"
            try FileManager.default.createDirectory(atPath: tree + "/src", withIntermediateDirectories: true)
            try "print(1)\n".write(toFile: tree + "/src/main.swift", atomically: false, encoding: .utf8)
            try "# readme\n".write(toFile: tree + "/README.md", atomically: false, encoding: .utf8)
            for byte in [1, 2, 3] as [UInt8] {
                try (Hex.encode(testKey(byte).seed) + "\n").write(
                    toFile: root + "/k\(byte)",
                    atomically: false,
                    encoding: .utf8
                )
            }
            func cairn(_ arguments: [String], on index: Int) throws -> (status: Int32, out: String, err: String) {
                let result = try NodeProcess.run(
                    arguments + ["--api", cluster.apis[index], "--data", cluster.nodes[index].data]
                )
                return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
            }

            let proposed = try cairn(["tree", "propose", tree, "--title", "release 1"], on: 0)
            #expect(proposed.status == 0, "\(proposed.err)")
            let rootHash = try #require(proposed.out.split(separator: " ").first.map(String.init))
            #expect(try NodeProcess.run(["tree", "hash", tree]).stdout == Data((rootHash + "\n").utf8))
            // Holders 1, 2 and 3 (300 of 400 coins) vote yes, each at another node.
            for (index, byte) in [(0, 1), (1, 2), (2, 3)] {
                let vote = try cairn(["tree", "vote", rootHash, "yes", "--key", root + "/k\(byte)"], on: index)
                #expect(vote.status == 0, "\(vote.err)")
            }
            let ratified = await eventually(timeout: .seconds(30)) {
                for index in 0..<3 {
                    guard let status = try? await cluster.get("/v1/ratify/\(rootHash)", on: index),
                        status["ratified"] as? Bool == true, status["yesStake"] as? String == "300",
                        (status["proposals"] as? [[String: Any]])?.first?["manifestValid"] as? Bool == true
                    else { return false }
                }
                return true
            }
            #expect(ratified, "the root was not ratified with a valid manifest at all three nodes")

            let accepted = try cairn(["tree", "check", tree, rootHash], on: 2)
            #expect(accepted.status == 0 && accepted.out.contains("ratified"), "\(accepted.out) \(accepted.err)")
            try "print(2)\n".write(toFile: tree + "/src/main.swift", atomically: false, encoding: .utf8)
            let refused = try cairn(["tree", "check", tree], on: 1)
            #expect(refused.status == 1, "\(refused.err)")
            #expect(refused.out.contains("not ratified") && refused.out.contains("~ src/main.swift"), "\(refused.out)")
            // diff by root hash: the node serves the proposal's manifest.
            let diff = try cairn(["tree", "diff", tree, rootHash], on: 0)
            #expect(diff.status == 1 && diff.out == "~ src/main.swift\n", "\(diff.out) \(diff.err)")
            let status = try cairn(["tree", "status", rootHash], on: 1)
            #expect(status.status == 0 && status.out.contains("\"ratified\":true"), "\(status.out)")
            let badVote = try cairn(["tree", "vote", rootHash, "maybe", "--key", root + "/k1"], on: 0)
            #expect(badVote.status != 0 && badVote.err.contains("yes or no"))
        }
    }
}
