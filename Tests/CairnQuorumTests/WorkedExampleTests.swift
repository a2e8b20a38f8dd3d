import CairnCore
import CairnQuorum
import Testing

/// The worked example of Docs/QUORUM.md, on the demo genesis (`Config/genesis.toml`).
@Suite struct WorkedExampleTests {
    @Test func threeMembersDecideThenOneDoubleSignsHeightFour() {
        let genesis = demoGenesis()
        let (m1, m2, m3, k4, k5) = (testKey(1), testKey(2), testKey(3), testKey(4), testKey(5))
        var world = QuorumWorld(genesis: genesis)
        var state = QuorumState(genesis: genesis)
        // Members in key order: 2 (8139…), 1 (8a88…), 3 (ed49…); the proposer of height h is members[(h - 1) % 3].
        #expect(state.members == [m2, m1, m3].map(\.publicKey))
        #expect(state.proposer(at: 2) == m1.publicKey)
        // Height 1: the empty vote set.
        world.decide([m1, m2, m3], epoch: 0, height: 1)
        // k4 declares itself, k5 (40 coins) votes for it; height 2's proposer (member 1) commits both.
        let candidacy = world.candidacy(k4)
        let slip = world.vote(k5, for: [k4])
        let set = world.voteSet(m1, slips: [slip], candidacies: [candidacy])
        world.decide([m1, m2, m3], epoch: 0, height: 2, voteSet: set.id)
        world.decide([m1, m2, m3], epoch: 0, height: 3, voteSet: set.id)
        state.apply(contentsOf: world.blobs)
        #expect(state.decisions.map(\.height) == [1, 2, 3])
        #expect(state.decisions.map(\.value.voteSet) == [.zero, set.id, set.id])
        // Member 2 signs two blocks for height 4 before the others sign it.
        let a = world.sign(m2, epoch: 0, height: 4, voteSet: set.id)
        let b = world.sign(m2, epoch: 0, height: 4, block: block(4, "b"), voteSet: set.id)
        let alerts = state.apply(contentsOf: [a, b])
        #expect(alerts.first?.topic == "equivocation")
        #expect(state.epochs[0].end == 4 && state.epochs[0].endReason == .evidence([m2.publicKey]))
        // Epoch 1 from height 4: the vote set of height 4 - 2 = 2 gives k4 40 coins; k1 and k3 keep the other seats.
        #expect(state.currentEpoch.number == 1 && state.currentEpoch.start == 4)
        #expect(state.members == [m1, k4, m3].map(\.publicKey))
        #expect(state.proposer(at: 4) == m1.publicKey)
        world.decide([m1, m3, k4], epoch: 1, height: 4, voteSet: set.id)
        state.apply(contentsOf: world.blobs)
        #expect(
            state.decision(at: 4) == QuorumDecision(height: 4, epoch: 1, value: .init(block: block(4), voteSet: set.id))
        )
        // Member 2's signatures for epoch 0 count for nothing in epoch 1, and a late one for 4 changes nothing.
        world.sign(m2, epoch: 1, height: 5)
        state.apply(contentsOf: world.blobs)
        #expect(state.lastDecidedHeight == 4)
    }
}
