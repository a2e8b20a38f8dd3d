import CairnCore
import CairnProtocol
import CairnQuorum

extension Simulation {
    /// The scenario's quorum network: its genesis, which nodes sign, the double sign, and which nodes have reached
    /// the end the run waits for.
    ///
    /// Members sign as honest members do: a member signs height h (its plug-in's running epoch, the block of h, the
    /// empty vote set) once h's block is available and its own plug-in has decided h − 1, and only if it is a member
    /// of that epoch; once per (epoch, height). The equivocator instead, when it would sign its height, makes two
    /// conflicting signatures with its key at the same seq of its `quorum/sig` channel (a fork) and posts them
    /// pre-signed to two different nodes outside the quorum at the same instant; it signs nothing afterwards.
    struct QuorumRun {
        /// An (epoch, height) a member signed.
        struct Signed: Hashable {
            let member: Int
            let epoch: UInt64
            let height: UInt64
        }

        /// The scenario's settings.
        let settings: Scenario.Quorum
        /// The genesis every node loads.
        let genesis: Genesis
        /// Epoch 0's members, by node index.
        let members: Range<Int>
        /// Per node: it has decided every height and, with a double sign, recorded its kind-2 evidence. A node's
        /// store survives restarts, so this never becomes false again.
        var done: [Bool]
        /// What each member signed.
        var signed: Set<Signed> = []
        /// When the double sign's two signatures were posted (microseconds), once they were.
        var postedAt: UInt64?
        /// The nodes the two signatures were posted to.
        var postedTo: [Int] = []

        /// The domain of the simulated application's block hashes.
        static let blockDomain = Array("cairn-sim/block".utf8) + [0]

        /// The quorum of `scenario`, its genesis built from the node keys of `seed`.
        init(scenario: Scenario, settings: Scenario.Quorum, seed: UInt64) {
            self.settings = settings
            let holders = (0..<settings.stakeHolders).map { index in
                var stream = Simulation.nodeStream(seed: seed, index: index)
                return Simulation.nodeKey(from: &stream).publicKey
            }
            // The scenario's checks keep every value in the genesis's ranges.
            genesis = try! Genesis(
                network: scenario.network,
                stake: holders.map { (key: $0, coins: settings.stakeCoins) },
                quorumSize: settings.members,
                initialQuorum: Array(holders.prefix(settings.members))
            )
            members = 0..<settings.members
            done = [Bool](repeating: false, count: scenario.nodes + scenario.hostileCount)
        }

        /// When `height`'s block is available to the members, in microseconds.
        func blockMicros(_ height: UInt64) -> UInt64 {
            (settings.startMilliseconds + (height - 1) * settings.intervalMilliseconds) * 1000
        }

        /// The block an honest member signs for `height`; `variant` 1 is the equivocator's second block.
        static func block(_ height: UInt64, variant: UInt8 = 0) -> BlockHash {
            var data = ByteWriter(capacity: 9)
            data.write(height)
            data.write(variant)
            return BlockHash(unchecked: Blake2b.hash256(parts: [blockDomain, data.bytes]))
        }
    }

    /// The plug-ins every node of the scenario loads: the quorum's, for a scenario with a quorum.
    static func plugins(for quorum: QuorumRun?) -> [any Plugin] {
        guard let quorum else { return [] }
        return [QuorumPlugin(genesis: quorum.genesis)]
    }

    /// A new node's plug-ins.
    func makePlugins() -> [any Plugin] { Self.plugins(for: quorum) }

    /// A height's block became available: the members that may sign it do.
    func quorumBlockAvailable(_ height: UInt64) {
        for member in quorum?.members ?? 0..<0 { signDue(at: member) }
    }

    /// The node's plug-ins changed: note whether it reached the end the run waits for, and let a member sign.
    func pluginsAdvanced(at index: Int) {
        guard quorum != nil else { return }
        if !quorum!.done[index], reachedQuorumEnd(index) {
            quorum!.done[index] = true
            pendingQuorumNodes -= 1
        }
        if nodes[index].isQuorumMember { signDue(at: index) }
    }

    private func quorumState(at index: Int) -> QuorumState? {
        nodes[index].plugins?.plugin(QuorumPlugin.self)?.state
    }

    private func reachedQuorumEnd(_ index: Int) -> Bool {
        guard let state = quorumState(at: index), state.lastDecidedHeight >= quorum!.settings.heights else {
            return false
        }
        return quorum!.settings.equivocation == nil
            || nodes[index].evidence.contains { $0.kind == QuorumRules.equivocationKind }
    }

    /// A member signs the next height when it may (see `QuorumRun`); the equivocator double-signs its height.
    private func signDue(at index: Int) {
        guard nodes[index].isUp, let state = quorumState(at: index) else { return }
        let settings = quorum!.settings
        let height = state.nextHeight
        let epoch = state.currentEpoch
        guard height <= settings.heights, quorum!.blockMicros(height) <= now,
            epoch.members.contains(nodes[index].identity.publicKey)
        else { return }
        if let equivocation = settings.equivocation, equivocation.member == index {
            // Silent after its offence.
            guard quorum!.postedAt == nil else { return }
            if height == equivocation.height {
                postDoubleSign(by: index, epoch: epoch.number, height: height)
                return
            }
        }
        guard quorum!.signed.insert(QuorumRun.Signed(member: index, epoch: epoch.number, height: height)).inserted
        else { return }
        publish(
            channel: QuorumChannel.signature,
            payload: signature(epoch: epoch.number, height: height, block: QuorumRun.block(height)),
            at: index
        )
    }

    /// Two signatures by the member for one (epoch, height) and one seq of its channel, with different blocks,
    /// posted pre-signed to two different up nodes outside the quorum.
    private func postDoubleSign(by index: Int, epoch: UInt64, height: UInt64) {
        let outside = honestIndices.filter { nodes[$0].isUp && !nodes[$0].isQuorumMember }
        guard outside.count >= 2 else { return }
        let head = nodes[index].heads[QuorumChannel.signature]
        let halves = [UInt8(0), 1].map { variant in
            // The key is the node's own, the payload a well-formed signature: signing cannot fail.
            try! SignedBlob.sign(
                key: nodes[index].identity,
                channel: QuorumChannel.signature,
                seq: (head?.seq ?? 0) + 1,
                prev: head?.id ?? .zero,
                timestamp: nowMilliseconds,
                payload: signature(epoch: epoch, height: height, block: QuorumRun.block(height, variant: variant))
            )
        }
        let targets = random.choose(2, from: outside)
        quorum!.postedAt = now
        quorum!.postedTo = targets
        for (half, target) in zip(halves, targets) { ingest(half, at: target) }
    }

    private func signature(epoch: UInt64, height: UInt64, block: BlockHash) -> [UInt8] {
        // Heights start at 1.
        try! QuorumSignature(
            genesis: quorum!.genesis.hash,
            epoch: epoch,
            height: height,
            block: block,
            voteSet: QuorumSignature.emptyVoteSet
        ).encoding
    }
}
