import CairnQuorum

extension Scenario {
    /// A quorum network: every node loads the quorum plug-in with a genesis built from the simulation's node keys,
    /// the initial members sign heights one after another, and one of them may double-sign a height.
    ///
    /// The genesis: nodes 0 … `stakeHolders` − 1 hold `stakeCoins` coins each; `quorum_size` is `members`; epoch 0's
    /// members are nodes 0 … `members` − 1; the other genesis keys keep their defaults (Docs/QUORUM.md §1). Its
    /// network is the scenario's, and its hash goes into every replica's network key.
    struct Quorum: Sendable, Equatable {
        /// One member's double sign.
        struct Equivocation: Sendable, Equatable {
            /// The member (its node index, below `members`) that signs two blocks for `height`.
            var member: Int
            /// The height it signs twice.
            var height: UInt64
        }

        /// The quorum's size and epoch 0's members: nodes 0 … `members` − 1.
        var members = 5
        /// Nodes 0 … `stakeHolders` − 1 hold stake; at least `members`.
        var stakeHolders = 5
        /// The coins each holder has.
        var stakeCoins: UInt64 = 100
        /// Members sign heights 1 … `heights`.
        var heights: UInt64 = 10
        /// When height 1's block is available to the members, in virtual milliseconds.
        var startMilliseconds: UInt64 = 6_000
        /// Time between one height's block and the next, in milliseconds.
        var intervalMilliseconds: UInt64 = 1_000
        /// The double sign, if any.
        var equivocation: Equivocation?

        /// The most coins one holder may have, so that 10,000 holders' sum fits in 64 bits.
        static let maxStakeCoins = 1_000_000_000_000
        /// The most heights a scenario decides.
        static let maxHeights = 100_000

        /// Reads the `[quorum]` table of `scenario` (its nodes and churn already read).
        /// - Throws: `ScenarioError` naming the first bad key.
        init(reading section: inout TableReader, scenario: Scenario) throws(ScenarioError) {
            let largest = min(Genesis.maxQuorumSize, scenario.initialNodes)
            members = try section.int("members", default: members, in: 1...largest)
            stakeHolders = try section.int(
                "stake_holders",
                default: members,
                in: members...min(Genesis.maxStakeHolders, scenario.nodes)
            )
            stakeCoins = try section.uint("stake_coins", default: stakeCoins, in: 1...Self.maxStakeCoins)
            heights = try section.uint("heights", default: heights, in: 1...Self.maxHeights)
            startMilliseconds = try section.uint("start_ms", default: startMilliseconds, in: 0...86_400_000)
            intervalMilliseconds = try section.uint("interval_ms", default: intervalMilliseconds, in: 1...3_600_000)
            if var table = try section.table("equivocation") {
                // Its two signatures go to two different nodes outside the quorum.
                guard scenario.nodes - members >= 2 else {
                    throw .invalidValue(
                        key: section.key("members"),
                        value: "\(members)",
                        reason: "an equivocation needs two nodes outside the quorum (nodes is \(scenario.nodes))"
                    )
                }
                equivocation = Equivocation(
                    member: try table.int("member", default: nil, in: 0...(members - 1)),
                    height: try table.uint("height", default: nil, in: 1...Int(heights))
                )
                try table.finish()
            }
            try section.finish()
        }
    }
}
