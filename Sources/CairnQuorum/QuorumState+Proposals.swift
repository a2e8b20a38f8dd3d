import CairnCore

extension QuorumState {
    /// The block the running epoch's proposer of `height` announced, if stored (the smallest blob id if it announced
    /// several: they count for nothing, members sign one).
    public func proposal(at height: UInt64) -> QuorumProposal? {
        let epoch = currentEpoch
        guard let proposer = proposer(at: height) else { return nil }
        return proposals[QuorumSlot(epoch: epoch.number, height: height)]?
            .filter { $0.author == proposer }
            .min { $0.blob < $1.blob }
    }

    /// Whether this node holds vote set `id` and everything it lists (the empty vote set always).
    public func holds(voteSet id: BlobID) -> Bool {
        guard id != QuorumSignature.emptyVoteSet else { return true }
        guard let voteSet = voteSets[id] else { return false }
        return voteSet.slips.allSatisfy { slips[$0] != nil }
            && voteSet.candidacies.allSatisfy { candidacies[$0] != nil }
            && voteSet.equivocations.allSatisfy { signers[$0.low] != nil && signers[$0.high] != nil }
    }

    /// The vote set an honest proposer publishes now: every valid slip of a holder with voting stake (only each
    /// holder's latest when there are more than a vote set lists), every candidacy of a stake holder, and the first
    /// double sign found per stake holder. `nil` when all are empty (the empty vote set, which needs no blob).
    public func voteSetToPropose() -> QuorumVoteSet? {
        var held = slips.filter { votingStake(of: $0.value.author) > 0 }
        if held.count > QuorumVoteSet.maxSlips {
            var latest: [PublicKey: (id: BlobID, seq: UInt64)] = [:]
            for (id, slip) in held where (latest[slip.author]?.seq ?? 0) <= slip.seq {
                latest[slip.author] = (id, slip.seq)
            }
            held = held.filter { latest[$0.value.author]?.id == $0.key }
        }
        let slipIDs = held.keys.sorted().prefix(QuorumVoteSet.maxSlips)
        let candidacyIDs = candidacies.filter { stake.stake(of: $0.value) > 0 }.keys.sorted()
            .prefix(QuorumVoteSet.maxCandidacies)
        let pairs = equivocations.map(\.pair).sorted().prefix(QuorumVoteSet.maxEquivocations)
        guard !slipIDs.isEmpty || !candidacyIDs.isEmpty || !pairs.isEmpty else { return nil }
        // Each list is cut to its limit above, so the vote set is valid.
        return try! QuorumVoteSet(
            genesis: genesis.hash,
            slips: Array(slipIDs),
            candidacies: Array(candidacyIDs),
            equivocations: Array(pairs)
        )
    }

    /// The vote set stored under `id`, if any.
    public func voteSet(_ id: BlobID) -> QuorumVoteSet? { voteSets[id] }

    /// Whether `signer` has a stored signature of `value` for (`epoch`, `height`).
    public func hasSigned(_ signer: PublicKey, epoch: UInt64, height: UInt64, value: QuorumValue) -> Bool {
        chains[signer]?.valuesBySlot[QuorumSlot(epoch: epoch, height: height)]?[value] != nil
    }
}
