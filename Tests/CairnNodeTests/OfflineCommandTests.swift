import CairnCore
import CairnQuorum
import Foundation
import Testing

/// `cairn key`, `cairn blob` and `cairn evidence`: signing and checking without a node, through the real binary.
@Suite struct OfflineCommandTests {
    private static func run(_ arguments: [String], stdin: Data? = nil) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let result = try NodeProcess.run(arguments, stdin: stdin)
        return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
    }

    @Test func aKeySignsABlobThatVerifiesAndAForkOfItIsEvidence() async throws {
        try await withTemporaryDirectory { root in
            let keyFile = root + "/author.key"
            let generated = try Self.run(["key", "generate", keyFile])
            #expect(generated.status == 0)
            let publicKey = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(PublicKey(hex: publicKey) != nil)
            #expect(try Self.run(["key", "show", keyFile]).stdout.hasPrefix(publicKey))
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            var ids: [String] = []
            for (index, text) in ["first", "second"].enumerated() {
                let payload = root + "/\(text).txt"
                try text.write(toFile: payload, atomically: false, encoding: .utf8)
                let signed = try Self.run([
                    "blob", "sign", "--key", keyFile, "--channel", "notes", "--seq", "1", "--timestamp",
                    "\(1_000 + index)", "--out", root + "/\(text).blob", payload,
                ])
                #expect(signed.status == 0, "\(signed.stderr)")
                ids.append(signed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let verified = try Self.run(["blob", "verify", root + "/first.blob"])
            #expect(verified.status == 0)
            #expect(verified.stdout.contains("\"id\":\"\(ids[0])\""))
            #expect(verified.stdout.contains("\"author\":\"\(publicKey)\""))

            let first = try SignedBlob.decode(Array(try Data(contentsOf: URL(fileURLWithPath: root + "/first.blob"))))
            let second = try SignedBlob.decode(Array(try Data(contentsOf: URL(fileURLWithPath: root + "/second.blob"))))
            let fork = try Evidence.channelFork(first, second)
            try Data(fork.encoding).write(to: URL(fileURLWithPath: root + "/fork.evidence"))
            let checked = try Self.run(["evidence", "verify", root + "/fork.evidence"])
            #expect(checked.status == 0, "\(checked.stderr)")
            #expect(checked.stdout.contains("\"id\":\"\(fork.id.hex)\""))
        }
    }

    /// Kind 2 is judged against the genesis it names: with it the double sign verifies, without it or against
    /// another network it does not.
    @Test func aQuorumDoubleSignVerifiesOfflineAgainstItsGenesis() async throws {
        try await withTemporaryDirectory { root in
            let genesisPath = GenesisProcessTests.genesis
            let genesis = try Genesis(contentsOfFile: genesisPath)
            // Two blobs at seq 1 (a fork as well): a member signing blocks a and b for one height.
            let halves = try ["a", "b"].map { variant in
                try SignedBlob.sign(
                    key: testKey(2),
                    channel: QuorumChannel.signature,
                    seq: 1,
                    prev: .zero,
                    timestamp: 1_000,
                    payload: QuorumSignature(
                        genesis: genesis.hash,
                        epoch: 0,
                        height: 4,
                        block: BlockHash(unchecked: Blake2b.hash256(Array(variant.utf8))),
                        voteSet: .zero
                    ).encoding
                )
            }
            let evidence = try QuorumRules(genesis: genesis).equivocation(halves[0], halves[1])
            let file = root + "/double-sign.evidence"
            try Data(evidence.encoding).write(to: URL(fileURLWithPath: file))

            let checked = try Self.run(["evidence", "verify", file, "--genesis", genesisPath])
            #expect(checked.status == 0, "\(checked.stderr)")
            #expect(checked.stdout.contains("\"id\":\"\(evidence.id.hex)\""))
            let withoutGenesis = try Self.run(["evidence", "verify", file])
            #expect(withoutGenesis.status != 0 && withoutGenesis.stderr.contains("--genesis FILE"))
            try QuorumProcessTests.genesisText().write(toFile: root + "/other.toml", atomically: false, encoding: .utf8)
            let otherNetwork = try Self.run(["evidence", "verify", file, "--genesis", root + "/other.toml"])
            #expect(otherNetwork.status != 0 && otherNetwork.stderr.contains("not a double sign of this genesis"))
        }
    }

    @Test func badInputsFailWithOneClearLine() async throws {
        try await withTemporaryDirectory { root in
            let keyFile = root + "/k.key"
            #expect(try Self.run(["key", "generate", keyFile]).status == 0)
            let again = try Self.run(["key", "generate", keyFile])
            #expect(again.status != 0 && again.stderr.contains("refusing to overwrite"))

            try "not a key".write(toFile: root + "/bad.key", atomically: false, encoding: .utf8)
            let badKey = try Self.run(["key", "show", root + "/bad.key"])
            #expect(badKey.status != 0 && badKey.stderr.contains("is not a key file"))

            let cases: [([String], String)] = [
                (
                    ["blob", "sign", "--key", keyFile, "--channel", "c", "--seq", "2", "--out", root + "/x", "-"],
                    "--prev is required"
                ),
                (
                    [
                        "blob", "sign", "--key", keyFile, "--channel", "c", "--seq", "1", "--prev",
                        String(repeating: "0", count: 64), "--out", root + "/x", "-",
                    ], "--prev must be omitted"
                ),
                (
                    ["blob", "sign", "--key", keyFile, "--channel", "c", "--seq", "0", "--out", root + "/x", "-"],
                    "--seq starts at 1"
                ),
                (
                    ["blob", "sign", "--key", keyFile, "--channel", "", "--seq", "1", "--out", root + "/x", "-"],
                    "--channel \"\": a channel name is 1 to 64 bytes"
                ),
                (
                    [
                        "blob", "sign", "--key", keyFile, "--channel", "c", "--seq", "2", "--prev", "xyz", "--out",
                        root + "/x", "-",
                    ], "--prev: expected 64"
                ),
                (["blob", "verify", root + "/missing"], "cannot read"),
                (["evidence", "verify", root + "/missing"], "cannot read"),
            ]
            for (arguments, message) in cases {
                let result = try Self.run(arguments, stdin: Data("payload".utf8))
                #expect(result.status != 0, "\(arguments)")
                #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: root + "/x"))

            // Garbage, a flipped signature bit and a truncation are all refused.
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: root + "/garbage"))
            #expect(try Self.run(["blob", "verify", root + "/garbage"]).stderr.contains("invalid blob"))
            #expect(try Self.run(["evidence", "verify", root + "/garbage"]).stderr.contains("invalid evidence"))
            let signed = try Self.run(
                ["blob", "sign", "--key", keyFile, "--channel", "c", "--seq", "1", "--out", root + "/ok.blob", "-"],
                stdin: Data("payload".utf8)
            )
            #expect(signed.status == 0)
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/ok.blob")))
            bytes[bytes.count - 1] ^= 1
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/flipped.blob"))
            let flipped = try Self.run(["blob", "verify", root + "/flipped.blob"])
            #expect(flipped.status != 0 && flipped.stderr.contains("invalid blob"))
            try Data(bytes.dropLast(10)).write(to: URL(fileURLWithPath: root + "/short.blob"))
            #expect(try Self.run(["blob", "verify", root + "/short.blob"]).status != 0)
        }
    }
}
