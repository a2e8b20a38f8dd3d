import CairnCore
import CairnQuorum
import Testing

@Suite struct GenesisTests {
    static let keys = (1...5).map { testKey(UInt8($0)).publicKey.hex }

    /// A valid genesis document with `replace` applied to its lines and `extra` appended to the top table.
    static func document(
        quorumSize: String = "2",
        initial: String = "[\"\(keys[0])\", \"\(keys[1])\"]",
        extra: String = "",
        stake: String = "\(keys[0]) = 100\n\(keys[1]) = 50\n\(keys[2]) = 25"
    ) -> String {
        """
        network = "test"
        quorum_size = \(quorumSize)
        initial_quorum = \(initial)
        \(extra)
        [stake]
        \(stake)
        """
    }

    @Test func configExampleParsesAndMatchesTheReferenceVector() {
        let genesis = demoGenesis()
        #expect(genesis.network == "cairn-demo")
        #expect(genesis.quorumSize == 3)
        #expect(genesis.minVoteStake == 10)
        #expect(genesis.voteLagHeights == 2)
        #expect(genesis.voteCommitHeights == 4)
        #expect(genesis.epochLengthHeights == 100)
        #expect(genesis.stallAlertMilliseconds == 10_000)
        #expect(genesis.stakeTable.totalStake == 400)
        #expect(genesis.initialQuorum == [2, 1, 3].map { testKey($0).publicKey })
        #expect(Hex.encode(genesis.encoding) == ReferenceVectors.genesisEncoding)
        #expect(genesis.hash.hex == ReferenceVectors.genesisHash)
    }

    @Test func hashIgnoresOrderCaseAndComments() throws {
        let a = try Genesis(toml: Self.document())
        let shuffled = """
            # a comment
            initial_quorum = ["\(Self.keys[1].uppercased())", "\(Self.keys[0])"]
            [stake]
            \(Self.keys[2]) = 25
            \(Self.keys[1].uppercased()) = 50
            \(Self.keys[0]) = 100
            """
        let b = try Genesis(toml: "network = \"test\"\nquorum_size = 2\n" + shuffled)
        #expect(a == b)
        #expect(a.hash == b.hash)
        let c = try Genesis(
            toml: Self.document(stake: "\(Self.keys[0]) = 100\n\(Self.keys[1]) = 50\n\(Self.keys[2]) = 26")
        )
        #expect(c.hash != a.hash)
    }

    @Test func defaultsApplyToOptionalKeys() throws {
        let genesis = try Genesis(toml: Self.document())
        #expect(genesis.minVoteStake == Genesis.defaultMinVoteStake)
        #expect(genesis.voteLagHeights == Genesis.defaultVoteLagHeights)
        #expect(genesis.voteCommitHeights == Genesis.defaultVoteCommitHeights)
        #expect(genesis.epochLengthHeights == Genesis.defaultEpochLengthHeights)
        #expect(genesis.stallAlertMilliseconds == Genesis.defaultStallAlertMilliseconds)
    }

    static let badKey = String(repeating: "zz", count: 32)

    /// Each bad document and the key its error must name.
    static let garbage: [(name: String, text: String, key: String?)] = [
        ("unknown top key", document(extra: "quorum_sise = 3"), "quorum_sise"),
        ("missing network", document().replacingOccurrences(of: "network = \"test\"\n", with: ""), "network"),
        ("missing quorum_size", document().replacingOccurrences(of: "quorum_size = 2\n", with: ""), "quorum_size"),
        (
            "missing initial_quorum",
            document(initial: "[]").replacingOccurrences(of: "initial_quorum = []\n", with: ""),
            "initial_quorum"
        ),
        ("missing stake", "network = \"t\"\nquorum_size = 1\ninitial_quorum = [\"\(keys[0])\"]", "stake"),
        ("empty network", document().replacingOccurrences(of: "\"test\"", with: "\"\""), "network"),
        (
            "long network",
            document().replacingOccurrences(of: "\"test\"", with: "\"\(String(repeating: "n", count: 65))\""),
            "network"
        ),
        ("network not a string", document().replacingOccurrences(of: "\"test\"", with: "7"), "network"),
        ("bad hex in stake", document(stake: "\(badKey) = 5\n\(keys[0]) = 100\n\(keys[1]) = 50"), "stake.\(badKey)"),
        ("short key in stake", document(stake: "abcd = 5\n\(keys[0]) = 100\n\(keys[1]) = 50"), "stake.abcd"),
        ("zero stake", document(stake: "\(keys[0]) = 100\n\(keys[1]) = 50\n\(keys[2]) = 0"), "stake.\(keys[2])"),
        ("negative stake", document(stake: "\(keys[0]) = 100\n\(keys[1]) = 50\n\(keys[2]) = -4"), "stake.\(keys[2])"),
        ("stake not a number", document(stake: "\(keys[0]) = 100\n\(keys[1]) = \"50\""), "stake.\(keys[1])"),
        (
            "duplicate key by case", document(stake: "\(keys[0]) = 100\n\(keys[1]) = 50\n\(keys[1].uppercased()) = 5"),
            "stake.\(keys[1])"
        ),
        (
            "stake overflow",
            document(stake: "\(keys[0]) = 9223372036854775807\n\(keys[1]) = 9223372036854775807\n\(keys[2]) = 9"),
            "stake.\(keys[2])"
        ),
        ("stake not a table", document().replacingOccurrences(of: "[stake]", with: "stake = 5\n[other]"), "stake"),
        ("quorum_size zero", document(quorumSize: "0"), "quorum_size"),
        ("quorum_size above holders", document(quorumSize: "4"), "quorum_size"),
        ("quorum_size negative", document(quorumSize: "-1"), "quorum_size"),
        ("quorum_size a float", document(quorumSize: "2.5"), "quorum_size"),
        (
            "initial member outside the table", document(initial: "[\"\(keys[0])\", \"\(keys[4])\"]"),
            "initial_quorum[1]"
        ),
        (
            "initial member twice", document(initial: "[\"\(keys[0])\", \"\(keys[0].uppercased())\"]"),
            "initial_quorum[1]"
        ),
        ("initial member bad hex", document(initial: "[\"\(keys[0])\", \"xyz\"]"), "initial_quorum[1]"),
        ("initial member not a string", document(initial: "[\"\(keys[0])\", 5]"), "initial_quorum[1]"),
        ("more initial members than seats", document(quorumSize: "1"), "initial_quorum"),
        ("no initial member", document(initial: "[]"), "initial_quorum"),
        ("zero vote lag", document(extra: "vote_lag_heights = 0"), "vote_lag_heights"),
        ("zero vote commit", document(extra: "vote_commit_heights = 0"), "vote_commit_heights"),
        ("zero epoch length", document(extra: "epoch_length_heights = 0"), "epoch_length_heights"),
        ("huge stall alert", document(extra: "stall_alert_ms = 604800001"), "stall_alert_ms"),
        ("negative min stake", document(extra: "min_vote_stake = -10"), "min_vote_stake"),
        ("not TOML", "network = = 3", nil),
    ]

    @Test(arguments: garbage)
    func garbageIsRefusedNamingTheKey(_ testCase: (name: String, text: String, key: String?)) {
        #expect(throws: GenesisError.self, "\(testCase.name)") { try Genesis(toml: testCase.text) }
        do {
            _ = try Genesis(toml: testCase.text)
        } catch {
            #expect(error.key == testCase.key, "\(testCase.name): \(error)")
        }
    }

    @Test func unreadableFileIsATypedError() {
        #expect(throws: GenesisError.self) { try Genesis(contentsOfFile: "/nonexistent/genesis.toml") }
        do {
            _ = try Genesis(contentsOfFile: "/nonexistent/genesis.toml")
        } catch {
            #expect(error.key == nil)
            #expect(error.description.contains("/nonexistent/genesis.toml"))
        }
    }

    @Test func stakeTableAnswersThroughStakeSource() {
        let genesis = demoGenesis()
        let source: any StakeSource = genesis.stakeTable
        #expect(source.stake(of: testKey(4).publicKey) == 60)
        #expect(source.stake(of: testKey(9).publicKey) == 0)
        #expect(source.totalStake == 400)
        #expect(genesis.stakeTable.keys == genesis.stakeTable.keys.sorted())
    }
}
