import CairnCore

extension QuorumRules {
    /// Judges verified evidence of kind 2 from the pair alone: two `quorum/sig` blobs of this genesis by one author
    /// in the stake table, for the same (epoch, height), with a different block hash or vote set.
    /// - Returns: why it is not evidence, or `nil` when it is.
    public func judge(_ evidence: Evidence) -> EquivocationRefusal? {
        guard evidence.kind == Self.equivocationKind else { return .wrongKind(evidence.kind.rawValue) }
        do {
            _ = try conflict(evidence.first, evidence.second)
            return nil
        } catch {
            return error
        }
    }

    /// Builds kind-2 evidence from two signed blobs in either order.
    /// - Throws: `EquivocationRefusal` saying why the pair is not a double sign.
    public func equivocation(_ a: SignedBlob, _ b: SignedBlob) throws(EquivocationRefusal) -> Evidence {
        _ = try conflict(a, b)
        do {
            return try Evidence.judged(kind: Self.equivocationKind, a, b)
        } catch {
            // `conflict` already proved two different blobs by one author, all `judged` checks.
            preconditionFailure("kind-2 evidence of a checked pair failed to build: \(error)")
        }
    }

    /// The two signatures when `a` and `b` are a double sign.
    /// - Throws: `EquivocationRefusal`, checked in the order of Docs/QUORUM.md.
    func conflict(_ a: SignedBlob, _ b: SignedBlob) throws(EquivocationRefusal) -> (QuorumSignature, QuorumSignature) {
        guard a.id != b.id else { throw .sameBlob }
        guard a.author == b.author else { throw .differentAuthors }
        var signatures: [QuorumSignature] = []
        for blob in [a, b] {
            guard blob.channel == QuorumChannel.signature else { throw .notSignatureChannel(blob.channel.value) }
            do {
                signatures.append(try QuorumSignature(decoding: Array(blob.payload)))
            } catch {
                throw .malformedSignature(error)
            }
        }
        for signature in signatures where signature.genesis != genesis.hash {
            throw .otherGenesis(signature.genesis)
        }
        guard genesis.stakeTable.contains(a.author) else { throw .outsideStakeTable(a.author) }
        let (first, second) = (signatures[0], signatures[1])
        guard first.epoch == second.epoch else {
            throw .differentEpochs(min(first.epoch, second.epoch), max(first.epoch, second.epoch))
        }
        guard first.height == second.height else {
            throw .differentHeights(min(first.height, second.height), max(first.height, second.height))
        }
        guard first.value != second.value else { throw .sameValue }
        return (first, second)
    }
}
