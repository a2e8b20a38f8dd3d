import CairnCore
import CairnQuorum
import Testing

@Suite struct QuorumStateTests {
    static let k = [testKey(0)] + (1...9).map { testKey(UInt8($0)) }
    static var members: [SigningKey] { [k[1], k[2], k[3]] }

    static func folded(_ world: QuorumWorld) -> QuorumState {
        var state = QuorumState(genesis: world.genesis)
        state.apply(contentsOf: world.blobs)
        return state
    }

    @Test func threeMembersDecideHeightsOneToThree() {
        var world = QuorumWorld(genesis: ruleGenesis())
        var state = QuorumState(genesis: world.genesis)
        var alerts: [QuorumAlert] = []
        for height: UInt64 in 1...3 {
            world.decide(Self.members, epoch: 0, height: height)
            alerts += state.apply(contentsOf: world.blobs.suffix(3))
        }
        #expect(state.lastDecidedHeight == 3)
        #expect(state.decisions.map(\.value.block) == [block(1), block(2), block(3)])
        #expect(state.currentEpoch.number == 0 && state.currentEpoch.end == nil)
        #expect(alerts == state.decisions.map { .decided($0) })
        #expect(state.proposer(at: 4) == state.members[0])
        #expect(state.epoch(at: 2)?.number == 0)
    }

    @Test func heightsAreDecidedInOrder() {
        var world = QuorumWorld(genesis: ruleGenesis())
        world.decide(Self.members, epoch: 0, height: 2)
        var state = Self.folded(world)
        #expect(state.lastDecidedHeight == 0)
        world.decide(Self.members, epoch: 0, height: 1)
        state = Self.folded(world)
        #expect(state.lastDecidedHeight == 2)
    }

    @Test func nonMemberSignatureCountsForNothing() {
        var world = QuorumWorld(genesis: ruleGenesis())
        world.decide([Self.k[1], Self.k[2], Self.k[4]], epoch: 0, height: 1)
        var state = Self.folded(world)
        #expect(state.lastDecidedHeight == 0)
        let counted = state.signatures(epoch: 0, height: 1)
        #expect(counted.count == 3)
        #expect(counted.filter(\.counts).map(\.signer).sorted() == [Self.k[1], Self.k[2]].map(\.publicKey).sorted())
        world.sign(Self.k[3], epoch: 0, height: 1)
        state = Self.folded(world)
        #expect(state.lastDecidedHeight == 1)
    }

    @Test func signatureForAnotherEpochCountsForNothing() {
        var world = QuorumWorld(genesis: ruleGenesis())
        world.decide(Self.members, epoch: 1, height: 1)
        #expect(Self.folded(world).lastDecidedHeight == 0)
    }

    @Test func epochEndsByLength() {
        var world = QuorumWorld(genesis: ruleGenesis(epochLength: 5))
        for height: UInt64 in 1...5 { world.decide(Self.members, epoch: 0, height: height) }
        let state = Self.folded(world)
        #expect(state.epochs.count == 2)
        #expect(state.epochs[0].end == 6 && state.epochs[0].endReason == .length)
        #expect(state.currentEpoch.number == 1 && state.currentEpoch.start == 6)
        // No committed votes: the seats go to the ending epoch's members.
        #expect(state.members == Self.members.map(\.publicKey).sorted())
    }

    /// Heights 1–3 decided with a vote set (from height 2) committing k5's slip for candidate k4.
    static func worldWithCommittedVote() -> QuorumWorld {
        var world = QuorumWorld(genesis: ruleGenesis())
        world.decide(members, epoch: 0, height: 1)
        let candidacy = world.candidacy(k[4])
        let slip = world.vote(k[5], for: [k[4]])
        let set = world.voteSet(k[1], slips: [slip], candidacies: [candidacy])
        world.decide(members, epoch: 0, height: 2, voteSet: set.id)
        world.decide(members, epoch: 0, height: 3, voteSet: set.id)
        return world
    }

    @Test func doubleSignEndsTheEpochAtTheFirstUndecidedHeightWithoutTheOffender() throws {
        var world = Self.worldWithCommittedVote()
        var state = Self.folded(world)
        #expect(state.lastDecidedHeight == 3)
        let first = world.sign(Self.k[2], epoch: 0, height: 4)
        let second = world.sign(Self.k[2], epoch: 0, height: 4, block: block(4, "b"))
        let alerts = state.apply(contentsOf: [first, second])
        guard case .equivocation(let found) = alerts.first else {
            Issue.record("no equivocation alert: \(alerts)")
            return
        }
        #expect(found.author == Self.k[2].publicKey && found.epoch == 0 && found.height == 4)
        #expect(QuorumRules(genesis: world.genesis).judge(found.evidence) == nil)
        #expect(found.evidenceID == found.evidence.id)
        #expect(state.epochs[0].end == 4)
        #expect(state.epochs[0].endReason == .evidence([Self.k[2].publicKey]))
        #expect(alerts.contains(.epochEnded(state.epochs[0])))
        #expect(alerts.contains(.election(state.epochs[1])))
        // k4 has k5's committed 50 coins; the other seats go to the remaining members, k2 excluded.
        #expect(state.currentEpoch.number == 1 && state.currentEpoch.start == 4)
        #expect(state.members == [Self.k[1], Self.k[3], Self.k[4]].map(\.publicKey).sorted())
        #expect(state.equivocators == [Self.k[2].publicKey])
        // The old epoch's members stop; the new one decides height 4.
        world.decide([Self.k[1], Self.k[3], Self.k[4]], epoch: 1, height: 4)
        state.apply(contentsOf: world.blobs)
        #expect(state.lastDecidedHeight == 4 && state.decision(at: 4)?.epoch == 1)
    }

    @Test func doubleSignOfADecidedHeightKeepsTheDecision() {
        var world = Self.worldWithCommittedVote()
        world.decide(Self.members, epoch: 0, height: 4)
        world.sign(Self.k[2], epoch: 0, height: 4, block: block(4, "b"))
        let state = Self.folded(world)
        #expect(state.decision(at: 4)?.value.block == block(4))
        #expect(state.epochs[0].end == 5 && state.epochs[0].endReason == .evidence([Self.k[2].publicKey]))
        #expect(!state.members.contains(Self.k[2].publicKey))
    }

    @Test func offenderSignaturesAfterTheOffenceCountForNothing() {
        // k2 signs 4 before it double-signs 3: its signature for 4 counts.
        var before = Self.worldWithCommittedVote()
        before.sign(Self.k[2], epoch: 0, height: 4)
        before.sign(Self.k[2], epoch: 0, height: 3, block: block(3, "b"))
        before.decide([Self.k[1], Self.k[3]], epoch: 0, height: 4)
        let kept = Self.folded(before)
        #expect(kept.lastDecidedHeight == 4 && kept.epochs[0].end == 5)
        // k2 double-signs 3 first, then signs 4: published after the offence, it counts for nothing.
        var after = Self.worldWithCommittedVote()
        after.sign(Self.k[2], epoch: 0, height: 3, block: block(3, "b"))
        after.sign(Self.k[2], epoch: 0, height: 4)
        after.decide([Self.k[1], Self.k[3]], epoch: 0, height: 4)
        let cut = Self.folded(after)
        #expect(cut.lastDecidedHeight == 3 && cut.epochs[0].end == 4)
    }

    @Test func forkedSignatureChannelCutsNothing() {
        // A second branch made later (same seq as a counted signature) cannot undo what counted.
        var world = Self.worldWithCommittedVote()
        let head = world.blobs.last { $0.author == Self.k[2].publicKey && $0.channel == QuorumChannel.signature }!
        world.decide(Self.members, epoch: 0, height: 4)
        let parent = world.blobs.first { $0.id == head.prev }
        world.sign(Self.k[2], epoch: 0, height: 3, block: block(3, "b"), after: .some(parent))
        let state = Self.folded(world)
        #expect(state.lastDecidedHeight == 4)
        #expect(state.equivocators == [Self.k[2].publicKey])
        #expect(state.epochs[0].end == 5)
    }

    @Test func withheldSignatureBlocksTheSignerUntilReleased() {
        var world = QuorumWorld(genesis: ruleGenesis())
        world.decide(Self.members, epoch: 0, height: 1)
        world.decide([Self.k[1], Self.k[3]], epoch: 0, height: 2)
        let withheld = world.sign(Self.k[2], epoch: 0, height: 2, record: false)
        world.decide(Self.members, epoch: 0, height: 3)
        var state = Self.folded(world)
        #expect(state.lastDecidedHeight == 1)
        #expect(state.signatures(epoch: 0, height: 3).first { $0.signer == Self.k[2].publicKey }?.counts == false)
        state.apply(withheld)
        #expect(state.lastDecidedHeight == 3)
    }

    @Test func recallByStakeMajorityEndsTheEpochAndDrops() {
        var world = QuorumWorld(genesis: ruleGenesis())
        world.decide(Self.members, epoch: 0, height: 1)
        world.decide(Self.members, epoch: 0, height: 2)
        let recall = QuorumVoteSlip.Recall(epoch: 0, drops: [Self.k[3].publicKey])
        // k1 100 + k4 60 + k5 50 = 210 of 445: not more than half.
        for holder in [1, 4, 5] { world.vote(Self.k[holder], for: [Self.k[1]], recall: recall) }
        // k7's 5 coins are below min_vote_stake and count for nothing.
        world.vote(Self.k[7], for: [Self.k[1]], recall: recall)
        var state = Self.folded(world)
        #expect(state.epochs.count == 1)
        world.vote(Self.k[6], for: [Self.k[1]], recall: recall)
        state = Self.folded(world)
        #expect(state.epochs[0].end == 3 && state.epochs[0].endReason == .recall)
        #expect(state.currentEpoch.start == 3)
        #expect(state.members == [Self.k[1], Self.k[2]].map(\.publicKey).sorted())
    }

    @Test func recallOfAFinishedEpochChangesNothing() {
        var world = QuorumWorld(genesis: ruleGenesis(epochLength: 2))
        world.decide(Self.members, epoch: 0, height: 1)
        world.decide(Self.members, epoch: 0, height: 2)
        let before = Self.folded(world)
        for holder in [1, 2, 3, 4] {
            world.vote(Self.k[holder], for: [Self.k[1]], recall: .init(epoch: 0, drops: [Self.k[1].publicKey]))
        }
        let after = Self.folded(world)
        #expect(after.epochs == before.epochs)
    }

    @Test func lateSlipChangesNoPastElection() {
        var world = Self.worldWithCommittedVote()
        let set = world.blobs.first { $0.channel == QuorumChannel.voteSet }!
        world.decide(Self.members, epoch: 0, height: 4, voteSet: set.id)
        world.decide(Self.members, epoch: 0, height: 5, voteSet: set.id)
        let before = Self.folded(world)
        #expect(before.currentEpoch.number == 1 && before.currentEpoch.start == 6)
        #expect(before.members.contains(Self.k[4].publicKey))
        // Published late and never committed: a big holder backs k6 and drops support for everyone else.
        world.candidacy(Self.k[6])
        world.vote(Self.k[1], for: [Self.k[6]])
        world.vote(Self.k[5], for: [Self.k[6]])
        let after = Self.folded(world)
        #expect(after.epochs == before.epochs)
        #expect(after.decisions == before.decisions)
    }

    @Test func electionRanksCommittedStakeWithTiesByKeyBytes() {
        var world = QuorumWorld(genesis: ruleGenesis(epochLength: 2))
        let candidates = [4, 5, 6, 7].map { Self.k[$0] }
        let candidacies = candidates.map { world.candidacy($0) }
        let slips = [
            world.vote(Self.k[1], for: [candidates[0], candidates[1]]),
            world.vote(Self.k[2], for: [candidates[2]]),
            world.vote(Self.k[3], for: [candidates[3]]),
            world.vote(Self.k[7], for: [candidates[0]]),  // 5 coins: below min_vote_stake
        ]
        let set = world.voteSet(Self.k[1], slips: slips, candidacies: candidacies)
        world.decide(Self.members, epoch: 0, height: 1, voteSet: set.id)
        world.decide(Self.members, epoch: 0, height: 2, voteSet: set.id)
        let state = Self.folded(world)
        // Four candidates with 100 each: the three smallest keys win.
        let expected = Array(candidates.map(\.publicKey).sorted().prefix(3))
        #expect(state.currentEpoch.start == 3)
        #expect(state.members == expected)
    }

    @Test func candidateWithoutCommittedCandidacyIsNotElected() {
        var world = QuorumWorld(genesis: ruleGenesis(epochLength: 1))
        world.candidacy(Self.k[4])  // stored, but no vote set lists it
        let slip = world.vote(Self.k[1], for: [Self.k[4]])
        let set = world.voteSet(Self.k[1], slips: [slip])
        world.decide(Self.members, epoch: 0, height: 1, voteSet: set.id)
        #expect(!Self.folded(world).members.contains(Self.k[4].publicKey))
    }

    @Test func forkedVoteChannelInTheVoteSetCountsNothing() {
        var world = QuorumWorld(genesis: ruleGenesis(epochLength: 1))
        let candidacy = world.candidacy(Self.k[4])
        let first = world.vote(Self.k[1], for: [Self.k[4]])
        let fork = world.publish(
            Self.k[1],
            QuorumChannel.vote,
            try! QuorumVoteSlip(genesis: world.genesis.hash, candidates: [Self.k[4].publicKey, Self.k[5].publicKey])
                .encoding,
            after: .some(nil)
        )
        #expect(fork.seq == first.seq)
        let set = world.voteSet(Self.k[2], slips: [first, fork], candidacies: [candidacy])
        world.decide(Self.members, epoch: 0, height: 1, voteSet: set.id)
        #expect(!Self.folded(world).members.contains(Self.k[4].publicKey))
    }

    @Test func latestCommittedSlipOfAHolderCounts() {
        var world = QuorumWorld(genesis: ruleGenesis(epochLength: 1))
        let candidacies = [world.candidacy(Self.k[4]), world.candidacy(Self.k[5])]
        let old = world.vote(Self.k[1], for: [Self.k[4]])
        let new = world.vote(Self.k[1], for: [Self.k[5]])
        let set = world.voteSet(Self.k[2], slips: [new, old], candidacies: candidacies)
        world.decide(Self.members, epoch: 0, height: 1, voteSet: set.id)
        let members = Self.folded(world).members
        #expect(members.contains(Self.k[5].publicKey) && !members.contains(Self.k[4].publicKey))
    }

    @Test func committedEvidenceExcludesFromLaterElections() {
        func world(committing: Bool) -> QuorumState {
            var world = QuorumWorld(genesis: ruleGenesis(epochLength: 1))
            let candidacy = world.candidacy(Self.k[4])
            let slip = world.vote(Self.k[1], for: [Self.k[4]])
            // k4, not a member, double-signs epoch 0 height 1.
            let a = world.sign(Self.k[4], epoch: 0, height: 1)
            let b = world.sign(Self.k[4], epoch: 0, height: 1, block: block(1, "b"))
            let pairs = committing ? [QuorumVoteSet.SignaturePair(a.id, b.id)] : []
            let set = world.voteSet(Self.k[2], slips: [slip], candidacies: [candidacy], equivocations: pairs)
            world.decide(Self.members, epoch: 0, height: 1, voteSet: set.id)
            return Self.folded(world)
        }
        // Not committed: k4 is elected, and its epoch ends at its start by the evidence against a member.
        let uncommitted = world(committing: false)
        #expect(uncommitted.equivocators == [Self.k[4].publicKey])
        #expect(uncommitted.epochs[1].members.contains(Self.k[4].publicKey))
        #expect(uncommitted.epochs[1].start == 2 && uncommitted.epochs[1].end == 2)
        #expect(uncommitted.epochs[1].endReason == .evidence([Self.k[4].publicKey]))
        #expect(!uncommitted.members.contains(Self.k[4].publicKey))
        // Committed: k4 is never elected.
        let committed = world(committing: true)
        #expect(committed.epochs.count == 2)
        #expect(!committed.members.contains(Self.k[4].publicKey))
    }

    @Test func evidenceForAFutureEpochWaits() {
        var world = QuorumWorld(genesis: ruleGenesis())
        world.sign(Self.k[1], epoch: 5, height: 1)
        world.sign(Self.k[1], epoch: 5, height: 1, block: block(1, "b"))
        let state = Self.folded(world)
        #expect(state.equivocations.map(\.author) == [Self.k[1].publicKey])
        #expect(state.epochs.count == 1 && state.currentEpoch.end == nil)
    }

    @Test func keyOutsideTheStakeTableRaisesNoEquivocation() {
        var world = QuorumWorld(genesis: ruleGenesis())
        world.sign(Self.k[9], epoch: 0, height: 1)
        world.sign(Self.k[9], epoch: 0, height: 1, block: block(1, "b"))
        var state = QuorumState(genesis: world.genesis)
        let alerts = state.apply(contentsOf: world.blobs)
        #expect(alerts.isEmpty)
        #expect(state.equivocators.isEmpty && state.equivocations.isEmpty)
    }

    @Test func slipLeftOutOfTheVoteSetsIsCensored() {
        var world = QuorumWorld(genesis: ruleGenesis(epochLength: 100))
        var state = QuorumState(genesis: world.genesis)
        let slip = world.vote(Self.k[4], for: [Self.k[1]])
        state.apply(slip)
        var censored: [QuorumAlert] = []
        for height: UInt64 in 1...3 {
            world.decide(Self.members, epoch: 0, height: height)
            censored += state.apply(contentsOf: world.blobs.suffix(3)).filter { $0.topic == "censored" }
        }
        // Held since height 0, vote_commit_heights 2: censored once height 2 is decided without it.
        #expect(
            censored == [.censored(blob: slip.id, author: Self.k[4].publicKey, heldSinceHeight: 0, decidedHeight: 2)]
        )
    }

    @Test func committedSlipIsNotCensored() {
        var world = QuorumWorld(genesis: ruleGenesis(epochLength: 100))
        var state = QuorumState(genesis: world.genesis)
        let slip = world.vote(Self.k[4], for: [Self.k[1]])
        state.apply(slip)
        let set = world.voteSet(Self.k[1], slips: [slip])
        var alerts: [QuorumAlert] = []
        for height: UInt64 in 1...4 {
            world.decide(Self.members, epoch: 0, height: height, voteSet: set.id)
            alerts += state.apply(contentsOf: world.blobs)
        }
        #expect(!alerts.contains { $0.topic == "censored" })
    }

    @Test func blobsOfAnotherGenesisOrChannelChangeNothing() {
        let other = ruleGenesis(quorumSize: 2, initial: [1, 2])
        var foreign = QuorumWorld(genesis: other)
        foreign.decide(Self.members, epoch: 0, height: 1)
        let unrelated = try! SignedBlob.sign(
            key: Self.k[1],
            channel: try! ChannelName("main"),
            seq: 1,
            prev: .zero,
            timestamp: 0,
            payload: [1]
        )
        var state = QuorumState(genesis: ruleGenesis())
        #expect(state.apply(contentsOf: foreign.blobs + [unrelated]).isEmpty)
        #expect(state.lastDecidedHeight == 0)
    }
}
