import CairnCore
import CairnProtocol

extension Simulation {
    /// One equivocation: two blobs of one author for one slot, and when each node first held proof of it.
    struct Fork {
        /// The interned blobs.
        let first: Int
        let second: Int
        /// The evidence any node builds from them.
        let evidence: Evidence
        /// When the two blobs were published (microseconds), `.max` until they are.
        var publishedAt = UInt64.max
        /// Whether each node was a member when it was published: the nodes expected to learn of it.
        var expected: [Bool]
        /// When each node first held the evidence (its store detected the fork, or a peer's evidence verified),
        /// `.max` if it never did.
        var alertedAt: [UInt64]
    }

    /// Signs each fork's two blobs (seq 1 of a channel of its own, two payloads) with a key drawn from the seed.
    func signForks() {
        for number in 0..<scenario.forks.count {
            var stream = SplitMix64(seed: SplitMix64.mix(seed, 0x464F_524B, UInt64(number)))
            let author = try! SigningKey(seed: stream.bytes(SigningKey.seedBytes))
            let channel = try! ChannelName("sim/fork/\(number)")
            let pair = (0..<2).map { side in
                try! SignedBlob.sign(
                    key: author,
                    channel: channel,
                    seq: 1,
                    prev: .zero,
                    timestamp: scenario.forks.atMilliseconds.lowerBound,
                    payload: Array("fork \(number) side \(side)".utf8)
                )
            }
            let evidence = try! Evidence.channelFork(pair[0], pair[1])
            let (first, second) = (intern(pair[0]), intern(pair[1]))
            forkByEvidence[evidence.id] = number
            forks.append(
                Fork(
                    first: first,
                    second: second,
                    evidence: evidence,
                    expected: [Bool](repeating: false, count: nodes.count),
                    alertedAt: [UInt64](repeating: .max, count: nodes.count)
                )
            )
        }
    }

    /// Two different members publish the fork's two blobs at the same instant.
    func publishFork(_ number: Int) {
        let members = honestIndices.filter { nodes[$0].isMember }
        guard members.count >= 2 else { return }
        let chosen = random.choose(2, from: members)
        forks[number].publishedAt = now
        for index in members {
            forks[number].expected[index] = true
            if forks[number].alertedAt[index] == .max { pendingAlerts += 1 }
        }
        for (side, index) in zip([forks[number].first, forks[number].second], chosen) {
            ingest(blobs[side], at: index)
        }
    }

    /// Times to alert: per published fork, the time until the last expected node held its evidence (`.max` when
    /// one never did), ascending, in microseconds.
    var timesToAlert: [UInt64] {
        forks.filter { $0.publishedAt != .max }.map { fork in
            var last: UInt64 = 0
            for index in fork.expected.indices where fork.expected[index] {
                guard fork.alertedAt[index] != .max else { return .max }
                last = max(last, fork.alertedAt[index] - fork.publishedAt)
            }
            return last
        }.sorted()
    }

    /// `index` holds proof of the fork with this evidence id.
    func alert(_ id: EvidenceID, at index: Int) {
        guard let number = forkByEvidence[id], forks[number].alertedAt[index] == .max else { return }
        forks[number].alertedAt[index] = now
        lastProgressAt = now
        if forks[number].expected[index] { pendingAlerts -= 1 }
    }
}
