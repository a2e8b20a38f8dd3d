import CairnCore

/// An (epoch, height) pair: the slot a signature claims.
struct QuorumSlot: Hashable, Sendable {
    let epoch: UInt64
    let height: UInt64
}

/// One signer's `quorum/sig` channel as stored, and which of its signatures count.
///
/// The order a signer published in comes from its own channel: each blob names its predecessor (`prev`). A
/// signature counts only when its whole chain back to seq 1 is stored (nothing the signer withheld can precede
/// it), and not when an *offending* blob is a strict ancestor of it. An offending blob is a signature that
/// conflicts with one of its own ancestors (same epoch and height, another block or vote set): the signer
/// published it knowing the first, and everything it published after it counts for nothing. Two conflicting
/// blobs on different branches (a fork) cut nothing, so a branch made later cannot undo what counted before.
struct QuorumSignatureChain: Sendable {
    struct Link: Sendable {
        let blob: SignedBlob
        /// `nil` when the payload is not a signature of this genesis: it still holds its place in the chain.
        let signature: QuorumSignature?
    }

    private(set) var links: [BlobID: Link] = [:]
    /// Every stored signature's value per slot, with one blob per value (anchored or not): the double signs.
    private(set) var valuesBySlot: [QuorumSlot: [QuorumValue: BlobID]] = [:]
    /// Epochs in which the signer has a double sign.
    private(set) var conflictEpochs: Set<UInt64> = []
    private var countedCache: [QuorumSlot: Set<QuorumValue>]?

    /// Adds a blob of the channel; returns the first blob it conflicts with, if any.
    mutating func add(_ blob: SignedBlob, signature: QuorumSignature?) -> SignedBlob? {
        guard links[blob.id] == nil else { return nil }
        links[blob.id] = Link(blob: blob, signature: signature)
        countedCache = nil
        guard let signature else { return nil }
        let slot = QuorumSlot(epoch: signature.epoch, height: signature.height)
        var values = valuesBySlot[slot, default: [:]]
        guard values[signature.value] == nil else { return nil }
        let other = values.first.flatMap { links[$0.value]?.blob }
        values[signature.value] = blob.id
        valuesBySlot[slot] = values
        if other != nil { conflictEpochs.insert(signature.epoch) }
        return other
    }

    /// The values of the counting signatures per slot.
    mutating func counted() -> [QuorumSlot: Set<QuorumValue>] {
        if let countedCache { return countedCache }
        let result = computeCounted()
        countedCache = result
        return result
    }

    /// Whether two stored signatures conflict: the ids of a double sign of this signer, and its slot.
    func conflict(_ pair: QuorumVoteSet.SignaturePair) -> QuorumSlot? {
        guard let a = links[pair.low]?.signature, let b = links[pair.high]?.signature,
            a.epoch == b.epoch, a.height == b.height, a.value != b.value
        else { return nil }
        return QuorumSlot(epoch: a.epoch, height: a.height)
    }

    private func computeCounted() -> [QuorumSlot: Set<QuorumValue>] {
        var children: [BlobID: [BlobID]] = [:]
        var roots: [BlobID] = []
        for (id, link) in links {
            if link.blob.seq == 1 {
                roots.append(id)
            } else if let parent = links[link.blob.prev], parent.blob.seq + 1 == link.blob.seq {
                children[link.blob.prev, default: []].append(id)
            }
        }
        var counted: [QuorumSlot: Set<QuorumValue>] = [:]
        // The values signed on the current path, with how many path blobs signed each (to undo on the way back).
        var path: [QuorumSlot: [QuorumValue: Int]] = [:]
        enum Step {
            case enter(BlobID, offended: Bool)
            case leave(QuorumSlot, QuorumValue)
        }
        var stack: [Step] = roots.map { .enter($0, offended: false) }
        while let step = stack.popLast() {
            switch step {
            case .leave(let slot, let value):
                path[slot]![value]! -= 1
                if path[slot]![value]! == 0 { path[slot]![value] = nil }
            case .enter(let id, let offended):
                let link = links[id]!
                var offending = false
                if let signature = link.signature {
                    let slot = QuorumSlot(epoch: signature.epoch, height: signature.height)
                    let value = signature.value
                    if !offended { counted[slot, default: []].insert(value) }
                    offending = path[slot].map { $0.keys.contains { $0 != value } } ?? false
                    path[slot, default: [:]][value, default: 0] += 1
                    stack.append(.leave(slot, value))
                }
                for child in children[id] ?? [] {
                    stack.append(.enter(child, offended: offended || offending))
                }
            }
        }
        return counted
    }
}
