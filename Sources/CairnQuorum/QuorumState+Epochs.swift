import CairnCore

extension QuorumState {
    /// Recomputes epochs and decisions from the folded set, from genesis on.
    mutating func recompute() {
        let length = genesis.epochLengthHeights
        var epochs: [QuorumEpoch] = []
        var decisions: [QuorumDecision] = []
        var members = genesis.initialQuorum
        var number: UInt64 = 0
        var start: UInt64 = 1
        // Members whose double sign ended an epoch early: never elected again.
        var banned: Set<PublicKey> = []
        while true {
            let limit = start + length
            var height = start
            while height < limit, let value = decidedValue(epoch: number, height: height, members: members) {
                decisions.append(QuorumDecision(height: height, epoch: number, value: value))
                height += 1
            }
            assert(decisions.count == height - 1, "decided heights are contiguous from 1")
            let offenders = members.filter { member in
                chains[member]?.conflictEpochs.contains { $0 <= number } ?? false
            }
            let recall = recallTally(epoch: number, members: members)
            let reason: QuorumEpoch.EndReason
            if height == limit {
                reason = .length
            } else if !offenders.isEmpty {
                reason = .evidence(offenders)
                banned.formUnion(offenders)
            } else if recall.recalled {
                reason = .recall
            } else {
                epochs.append(QuorumEpoch(number: number, start: start, members: members, end: nil, endReason: nil))
                break
            }
            let ended = QuorumEpoch(number: number, start: start, members: members, end: height, endReason: reason)
            epochs.append(ended)
            var excluded = banned
            if height < limit, recall.recalled { excluded.formUnion(recall.dropped) }
            members = elect(epoch: number + 1, start: height, ending: ended, excluded: excluded, decisions: decisions)
            number += 1
            start = height
        }
        self.epochs = epochs
        self.decisions = decisions
    }

    /// The value every member signed for (`epoch`, `height`) with a counting signature; the smallest if several
    /// (only when every member signed two values). `nil` for no members.
    private mutating func decidedValue(epoch: UInt64, height: UInt64, members: [PublicKey]) -> QuorumValue? {
        guard !members.isEmpty else { return nil }
        let slot = QuorumSlot(epoch: epoch, height: height)
        var common: Set<QuorumValue>?
        for member in members {
            guard let values = chains[member]?.counted()[slot] else { return nil }
            common = common.map { $0.intersection(values) } ?? values
            if common!.isEmpty { return nil }
        }
        return common?.min()
    }

    /// Whether stored slips holding more than half of all stake recall `epoch`, and which of its members more than
    /// half of all stake drops. A holder's recall counts once it has stored any slip recalling the epoch (so the
    /// end of an epoch never depends on which slip came last).
    private func recallTally(epoch: UInt64, members: [PublicKey]) -> (recalled: Bool, dropped: Set<PublicKey>) {
        guard let holders = recalls[epoch] else { return (false, []) }
        let half = stake.totalStake / 2
        var total: UInt64 = 0
        var drops: [PublicKey: UInt64] = [:]
        for (holder, dropped) in holders {
            let coins = votingStake(of: holder)
            guard coins > 0 else { continue }
            total += coins
            for member in dropped where members.contains(member) { drops[member, default: 0] += coins }
        }
        return (total > half, Set(drops.filter { $0.value > half }.keys))
    }

    /// The members of the epoch starting at `start`: the committed vote set of the last decided height
    /// ≤ `start` − `vote_lag_heights` says who is a candidate, who voted for whom, and which double signs are
    /// known; the `quorum_size` candidates with the most committed stake win, ties by key bytes; empty seats go to
    /// the ending epoch's remaining members in key order.
    private func elect(
        epoch: UInt64,
        start: UInt64,
        ending: QuorumEpoch,
        excluded: Set<PublicKey>,
        decisions: [QuorumDecision]
    ) -> [PublicKey] {
        var excluded = excluded
        var tally: [PublicKey: UInt64] = [:]
        var candidates: Set<PublicKey> = []
        if start > genesis.voteLagHeights,
            let voteSet = voteSets[decisions[Int(start - genesis.voteLagHeights - 1)].value.voteSet]
        {
            candidates = Set(voteSet.candidacies.compactMap { candidacies[$0] })
            for pair in voteSet.equivocations {
                guard let signer = signers[pair.low], signers[pair.high] == signer,
                    let slot = chains[signer]?.conflict(pair), slot.epoch < epoch
                else { continue }
                excluded.insert(signer)
            }
            for slip in latestSlips(voteSet.slips) {
                let coins = votingStake(of: slip.author)
                guard coins > 0 else { continue }
                for candidate in slip.slip.candidates { tally[candidate, default: 0] += coins }
            }
        }
        let ranked = tally.filter { candidate, coins in
            coins > 0 && candidates.contains(candidate) && stake.stake(of: candidate) > 0
                && !excluded.contains(candidate)
        }
        .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var elected = ranked.prefix(genesis.quorumSize).map(\.key)
        for member in ending.members where elected.count < genesis.quorumSize {
            if !excluded.contains(member), !elected.contains(member) { elected.append(member) }
        }
        return elected.sorted()
    }

    /// Each holder's latest slip among `ids` (highest seq); a holder with two listed slips at one seq (a forked
    /// vote channel) counts nothing.
    private func latestSlips(_ ids: [BlobID]) -> [StoredSlip] {
        var latest: [PublicKey: StoredSlip] = [:]
        var forked: Set<PublicKey> = []
        for id in ids {
            guard let slip = slips[id] else { continue }
            if let current = latest[slip.author] {
                if current.seq == slip.seq { forked.insert(slip.author) }
                if slip.seq > current.seq { latest[slip.author] = slip }
            } else {
                latest[slip.author] = slip
            }
        }
        return latest.filter { !forked.contains($0.key) }.map(\.value)
    }

    /// The alerts for what changed between `before` and now.
    func changes(from before: (epochs: [QuorumEpoch], decisions: [QuorumDecision])) -> [QuorumAlert] {
        var alerts: [QuorumAlert] = []
        for (index, decision) in decisions.enumerated() {
            if index < before.decisions.count {
                if before.decisions[index] != decision {
                    alerts.append(.decisionRevised(old: before.decisions[index], new: decision))
                }
            } else {
                alerts.append(.decided(decision))
            }
        }
        for old in before.decisions.dropFirst(decisions.count) { alerts.append(.decisionRevised(old: old, new: nil)) }
        for (index, epoch) in epochs.enumerated() {
            if index < before.epochs.count {
                let old = before.epochs[index]
                if !old.sameElection(as: epoch) {
                    alerts.append(.electionRevised(old: old, new: epoch))
                } else if old.end == nil, epoch.end != nil {
                    alerts.append(.epochEnded(epoch))
                }
            } else {
                alerts.append(.election(epoch))
            }
        }
        for old in before.epochs.dropFirst(epochs.count) { alerts.append(.electionRevised(old: old, new: nil)) }
        return alerts
    }

    /// `censored` alerts for slips and candidacies held `vote_commit_heights` decided heights that the last decided
    /// vote set leaves out (neither them nor a later slip of their holder).
    mutating func censorship() -> [QuorumAlert] {
        guard let last = decisions.last else { return [] }
        let voteSet = voteSets[last.value.voteSet]
        let listedSlips = Set(voteSet?.slips ?? [])
        let listedCandidacies = Set(voteSet?.candidacies ?? [])
        var newestListed: [PublicKey: UInt64] = [:]
        for id in listedSlips {
            if let slip = slips[id] { newestListed[slip.author] = max(newestListed[slip.author] ?? 0, slip.seq) }
        }
        let candidates = Set(listedCandidacies.compactMap { candidacies[$0] })
        var alerts: [QuorumAlert] = []
        for (id, held) in heldSince.sorted(by: { $0.key < $1.key }) {
            let covered: Bool
            if let slip = slips[id] {
                covered = listedSlips.contains(id) || (newestListed[slip.author] ?? 0) > slip.seq
            } else {
                covered = listedCandidacies.contains(id) || candidates.contains(held.author)
            }
            if covered {
                heldSince[id] = nil
            } else if last.height >= held.height + genesis.voteCommitHeights {
                alerts.append(
                    .censored(blob: id, author: held.author, heldSinceHeight: held.height, decidedHeight: last.height)
                )
                heldSince[id] = nil
            }
        }
        return alerts
    }
}
