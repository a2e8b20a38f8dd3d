import CairnCore
import CairnQuorum
import Testing

/// A seeded run of a quorum network: holders publish candidacies and slips (some recalling), proposers publish vote
/// sets, members sign heights (sometimes one is missing), members and others double-sign, non-members sign. The
/// driver follows its own in-order state, as honest nodes would.
struct RandomQuorumRun {
    let genesis: Genesis
    private(set) var world: QuorumWorld
    private(set) var state: QuorumState
    private var random: SeededRandom
    private var slips: [SignedBlob] = []
    private var candidacies: [SignedBlob] = []
    /// Keys 1…7 hold stake; key 8 does not.
    static let keys = (1...8).map { testKey(UInt8($0)) }
    static let byPublicKey = Dictionary(uniqueKeysWithValues: keys.map { ($0.publicKey, $0) })

    init(seed: UInt64, steps: Int = 60) {
        random = SeededRandom(seed: seed)
        genesis = ruleGenesis(epochLength: 2 + seed % 4)
        world = QuorumWorld(genesis: genesis)
        state = QuorumState(genesis: genesis)
        for _ in 0..<steps { step() }
    }

    private mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }

    private mutating func record(_ blob: SignedBlob) { state.apply(blob) }

    private mutating func step() {
        let roll = Int.random(in: 0..<100, using: &random)
        let holders = Array(Self.keys.prefix(7))
        switch roll {
        case 0..<14:
            let holder = pick(holders)
            let count = Int.random(in: 1...3, using: &random)
            var candidates: [SigningKey] = []
            for _ in 0..<count { candidates.append(pick(Self.keys)) }
            var recall: QuorumVoteSlip.Recall?
            if Int.random(in: 0..<4, using: &random) == 0 {
                let drops = state.members.filter { _ in Bool.random(using: &random) }
                recall = .init(epoch: state.currentEpoch.number, drops: drops)
            }
            let blob = world.vote(holder, for: candidates, recall: recall)
            slips.append(blob)
            record(blob)
        case 14..<20:
            let blob = world.candidacy(pick(Self.keys))
            candidacies.append(blob)
            record(blob)
        case 20..<24:
            // A double sign of the height being worked on, by a member or anyone.
            let members = state.members
            let signer = !members.isEmpty && Bool.random(using: &random) ? pick(members) : pick(Self.keys).publicKey
            let epoch = state.currentEpoch.number
            let height = state.nextHeight
            record(world.sign(Self.byPublicKey[signer]!, epoch: epoch, height: height, block: block(height, "x")))
            record(world.sign(Self.byPublicKey[signer]!, epoch: epoch, height: height, block: block(height, "y")))
        case 24..<26:
            // A recall wave: holders of 260 of 445 coins recall the running epoch, dropping a random member.
            let epoch = state.currentEpoch
            let drops = epoch.members.isEmpty ? [] : [pick(epoch.members)]
            for holder in [0, 1, 3] {
                let blob = world.vote(
                    Self.keys[holder],
                    for: [pick(Self.keys)],
                    recall: .init(epoch: epoch.number, drops: drops)
                )
                slips.append(blob)
                record(blob)
            }
        case 26..<29:
            let signer = pick(Self.keys)
            record(world.sign(signer, epoch: state.currentEpoch.number, height: state.nextHeight))
        default:
            advance()
        }
    }

    /// The proposer publishes a vote set of everything known, and the members sign the next height.
    private mutating func advance() {
        let epoch = state.currentEpoch
        let height = state.nextHeight
        guard let proposer = state.proposer(at: height) else { return }
        var voteSet = QuorumSignature.emptyVoteSet
        if Int.random(in: 0..<5, using: &random) > 0 {
            let blob = world.voteSet(
                Self.byPublicKey[proposer]!,
                slips: slips,
                candidacies: candidacies,
                equivocations: state.equivocations.map(\.pair)
            )
            record(blob)
            voteSet = blob.id
        }
        for member in epoch.members where Int.random(in: 0..<14, using: &random) > 0 {
            record(world.sign(Self.byPublicKey[member]!, epoch: epoch.number, height: height, voteSet: voteSet))
        }
    }
}

/// What two states holding the same set must agree on.
struct QuorumOutcome: Equatable, CustomStringConvertible {
    let epochs: [QuorumEpoch]
    let decisions: [QuorumDecision]
    let equivocators: [PublicKey]

    init(_ state: QuorumState) {
        epochs = state.epochs
        decisions = state.decisions
        equivocators = state.equivocators
    }

    var description: String { "\(epochs.count) epochs, \(decisions.count) decided, \(equivocators.count) equivocators" }
}

@Suite struct QuorumPropertyTests {
    static let seeds: [UInt64] = Array(0..<30)
    static let ordersPerSeed = 10

    @Test(arguments: seeds)
    func anyOrderDuplicatesAndSplitsGiveTheSameOutcome(seed: UInt64) {
        let run = RandomQuorumRun(seed: seed)
        let blobs = run.world.blobs
        let reference = QuorumOutcome(run.state)
        var batch = QuorumState(genesis: run.genesis)
        batch.apply(contentsOf: blobs)
        #expect(QuorumOutcome(batch) == reference)
        var random = SeededRandom(seed: seed &* 0x9E37_79B9 &+ 1)
        for _ in 0..<Self.ordersPerSeed {
            var input = blobs
            for _ in 0..<Int.random(in: 0...blobs.count / 4, using: &random) {
                input.append(blobs[Int.random(in: 0..<blobs.count, using: &random)])
            }
            input.shuffle(using: &random)
            // Two nodes that each got part of the set, then the rest: one folds a batch, then blob by blob.
            let split = Int.random(in: 0...input.count, using: &random)
            var state = QuorumState(genesis: run.genesis)
            state.apply(contentsOf: input[..<split])
            for blob in input[split...] { state.apply(blob) }
            #expect(QuorumOutcome(state) == reference, "seed \(seed)")
        }
    }

    @Test(arguments: seeds)
    func lateSlipsAndCandidaciesChangeNoPastElection(seed: UInt64) {
        let run = RandomQuorumRun(seed: seed)
        var world = run.world
        var random = SeededRandom(seed: seed ^ 0x5EED)
        for _ in 0..<5 {
            let holder = RandomQuorumRun.keys[Int.random(in: 0..<7, using: &random)]
            let candidate = RandomQuorumRun.keys[Int.random(in: 0..<8, using: &random)]
            world.candidacy(candidate)
            world.vote(holder, for: [candidate], recall: nil)
        }
        var state = QuorumState(genesis: run.genesis)
        state.apply(contentsOf: world.blobs)
        // Nothing late is committed, and no recall was added: every epoch and decision stays.
        #expect(QuorumOutcome(state) == QuorumOutcome(run.state))
    }

    @Test func runsCoverEveryWayAnEpochEnds() {
        var reasons: Set<String> = []
        var epochs = 0
        var decided = 0
        for seed in Self.seeds {
            let state = RandomQuorumRun(seed: seed).state
            epochs += state.epochs.count
            decided += state.decisions.count
            for epoch in state.epochs {
                switch epoch.endReason {
                case .length: reasons.insert("length")
                case .recall: reasons.insert("recall")
                case .evidence: reasons.insert("evidence")
                case nil: break
                }
            }
        }
        #expect(reasons == ["length", "recall", "evidence"], "\(reasons)")
        #expect(epochs > 2 * Self.seeds.count)
        #expect(decided > 10 * Self.seeds.count)
    }
}
