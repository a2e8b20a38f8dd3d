import CairnCore
import CairnProtocol

extension QuorumPlugin {
    /// The data proposer mode puts in the block it announces for (`epoch`, `height`).
    public static func proposerBlockData(epoch: UInt64, height: UInt64) -> [UInt8] {
        Array("cairn proposer block, epoch \(epoch), height \(height)".utf8)
    }

    /// Checks a request to sign `block` at `height` as this node, records it in the slashing protection, and returns
    /// the signature to publish on `quorum/sig`. The caller publishes it (the record is durable first).
    ///
    /// The vote set is `voteSet` when given; else that of the block the height's proposer announced, if it announced
    /// this block; else the last decided height's (the empty vote set before any decision).
    /// - Throws: `QuorumSigningError` when the node is not a member of the running epoch, `height` is not the first
    ///   undecided one, the vote set is not held, another value was signed for this slot (unless double signs are
    ///   allowed), or the record cannot be written.
    public mutating func prepareSignature(height: UInt64, block: BlockHash, voteSet: BlobID? = nil)
        throws(QuorumSigningError) -> QuorumSignature
    {
        guard !replaying else { throw .notLive }
        guard var signer else { throw .noSigner }
        let epoch = state.currentEpoch
        guard epoch.members.contains(signer.key) else { throw .notMember(key: signer.key, epoch: epoch.number) }
        guard height == state.nextHeight else { throw .notNextHeight(height: height, next: state.nextHeight) }
        let chosen =
            voteSet
            ?? state.proposal(at: height).flatMap { $0.block == block ? $0.voteSet : nil }
            ?? state.decisions.last?.value.voteSet
            ?? QuorumSignature.emptyVoteSet
        guard state.holds(voteSet: chosen) else { throw .voteSetNotHeld(chosen) }
        let value = QuorumValue(block: block, voteSet: chosen)
        guard signer.allowsDoubleSign || signer.protection.permits(epoch: epoch.number, height: height, value: value)
        else {
            throw .doubleSign(
                epoch: epoch.number,
                height: height,
                signed: signer.protection.signedValues(epoch: epoch.number, height: height)
            )
        }
        do {
            try signer.protection.record(.init(epoch: epoch.number, height: height, value: value))
        } catch {
            throw .protection(error)
        }
        self.signer = signer
        // nextHeight is at least 1.
        return try! QuorumSignature(
            genesis: state.genesis.hash,
            epoch: epoch.number,
            height: height,
            block: block,
            voteSet: chosen
        )
    }

    /// Adds records from a signing-protection export (a restore).
    /// - Returns: how many were new.
    /// - Throws: `SigningProtectionError` when they cannot be written, `QuorumSigningError.noSigner` without a key.
    public mutating func importProtection(_ records: [SigningProtection.Record]) throws -> Int {
        guard var signer else { throw QuorumSigningError.noSigner }
        let added = try signer.protection.merge(records)
        self.signer = signer
        return added
    }

    // MARK: Proposer mode

    /// Remembers the vote sets this node published (proposer mode names them in its blocks).
    mutating func noteOwnVoteSet(_ blob: SignedBlob) {
        guard blob.channel == QuorumChannel.voteSet, blob.author == signer?.key,
            case .voteSet(let voteSet)? = try? QuorumPayload(channel: blob.channel, payload: Array(blob.payload))
        else { return }
        if ownVoteSets[voteSet] == nil { ownVoteSets[voteSet] = blob.id }
        if pendingVoteSet == voteSet { pendingVoteSet = nil }
    }

    /// Proposer mode: announce the next height's block when it is this member's turn (and the pace allows), and sign the proposer's block
    /// once everything its vote set lists is held. Nothing when proposer mode is off or this node is not a member.
    mutating func proposerActions(now: UInt64) -> [PluginAction] {
        guard !replaying, let signer, signer.proposes, state.members.contains(signer.key) else { return [] }
        let epoch = state.currentEpoch.number
        let height = state.nextHeight
        // Slots below the next height are behind us: keep the two sets to the heights still open.
        if proposed.contains(where: { $0.height < height }) { proposed = proposed.filter { $0.height >= height } }
        if signedHere.contains(where: { $0.height < height }) { signedHere = signedHere.filter { $0.height >= height } }
        var actions: [PluginAction] = []
        let due = lastProgressAt.map { now >= $0 + signer.proposeIntervalMilliseconds } ?? true
        if due, state.proposer(at: height) == signer.key, state.proposal(at: height) == nil,
            !proposed.contains(QuorumSlot(epoch: epoch, height: height))
        {
            actions += announce(epoch: epoch, height: height)
        }
        let slot = QuorumSlot(epoch: epoch, height: height)
        if !signedHere.contains(slot), let proposal = state.proposal(at: height),
            state.holds(voteSet: proposal.voteSet),
            !state.hasSigned(signer.key, epoch: epoch, height: height, value: proposal.value),
            let signature = try? prepareSignature(height: height, block: proposal.block, voteSet: proposal.voteSet)
        {
            signedHere.insert(slot)
            actions.append(.publish(QuorumChannel.signature, payload: signature.encoding))
        }
        return actions
    }

    /// The blobs that announce this member's block for (`epoch`, `height`): its vote set first when it has changed,
    /// and the block once the vote set's id is known (its blob committed).
    private mutating func announce(epoch: UInt64, height: UInt64) -> [PluginAction] {
        let voteSetID: BlobID
        if let voteSet = state.voteSetToPropose() {
            if let published = ownVoteSets[voteSet] {
                voteSetID = published
            } else {
                guard pendingVoteSet != voteSet else { return [] }
                pendingVoteSet = voteSet
                return [.publish(QuorumChannel.voteSet, payload: voteSet.encoding)]
            }
        } else {
            voteSetID = QuorumSignature.emptyVoteSet
        }
        proposed.insert(QuorumSlot(epoch: epoch, height: height))
        // The data is a few dozen bytes, within the block limit.
        let block = try! QuorumBlock(
            genesis: state.genesis.hash,
            epoch: epoch,
            height: height,
            voteSet: voteSetID,
            data: Self.proposerBlockData(epoch: epoch, height: height)
        )
        return [.publish(QuorumChannel.block, payload: block.encoding)]
    }
}
