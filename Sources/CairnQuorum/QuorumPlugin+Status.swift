import CairnCore

/// The quorum as one node sees it: what `GET /v1/quorum` and `cairn quorum status` show.
public struct QuorumStatus: Sendable {
    /// This node's part, when the plug-in has a signing key.
    public struct Participation: Sendable {
        /// The node's key.
        public let key: PublicKey
        /// Whether it is a member of the running epoch.
        public let member: Bool
        /// Whether it runs proposer mode.
        public let proposes: Bool
        /// Whether slashing protection is off (`--unsafe-allow-double-sign`).
        public let allowsDoubleSign: Bool
    }

    /// The genesis hash.
    public let genesis: GenesisHash
    /// The network name.
    public let network: String
    /// Every epoch so far; the last one runs.
    public let epochs: [QuorumEpoch]
    /// The highest decided height, 0 when none is.
    public let lastDecidedHeight: UInt64
    /// The last decision, if any.
    public let lastDecision: QuorumDecision?
    /// The first undecided height.
    public let nextHeight: UInt64
    /// The running epoch's proposer of the next height.
    public let proposer: PublicKey?
    /// The first double sign found per stake-table key, in key order.
    public let equivocations: [QuorumEquivocation]
    /// Whether the store is still being replayed (the view is not current yet).
    public let replaying: Bool
    /// This node's part.
    public let participation: Participation?

    /// The running epoch.
    public var epoch: QuorumEpoch { epochs[epochs.count - 1] }
}

/// One height as one node sees it: what `GET /v1/quorum/heights/{h}` shows.
public struct QuorumHeightReport: Sendable {
    /// A stored signature for the height.
    public struct Signature: Sendable {
        /// The signer.
        public let signer: PublicKey
        /// The epoch it names.
        public let epoch: UInt64
        /// What it signed.
        public let value: QuorumValue
        /// Whether it counts (a member of that epoch, chain complete, not after an offence).
        public let counts: Bool
    }

    /// The height.
    public let height: UInt64
    /// The decision, if the height is decided.
    public let decision: QuorumDecision?
    /// The epoch that decided it, or the running one for a height not decided yet; `nil` for height 0.
    public let epoch: QuorumEpoch?
    /// Every stored signature naming the height, by epoch, then signer.
    public let signatures: [Signature]
    /// Blocks announced for the height (proposer mode), by epoch.
    public let proposals: [QuorumProposal]
}

extension QuorumPlugin {
    /// The quorum as this node sees it now.
    public func status() -> QuorumStatus {
        QuorumStatus(
            genesis: state.genesis.hash,
            network: state.genesis.network,
            epochs: state.epochs,
            lastDecidedHeight: state.lastDecidedHeight,
            lastDecision: state.decisions.last,
            nextHeight: state.nextHeight,
            proposer: state.proposer(at: state.nextHeight),
            equivocations: state.equivocations,
            replaying: replaying,
            participation: signer.map { signer in
                .init(
                    key: signer.key,
                    member: state.members.contains(signer.key),
                    proposes: signer.proposes,
                    allowsDoubleSign: signer.allowsDoubleSign
                )
            }
        )
    }

    /// One height's signatures, proposals and decision.
    public mutating func report(height: UInt64) -> QuorumHeightReport {
        var signatures: [QuorumHeightReport.Signature] = []
        var proposals: [QuorumProposal] = []
        for epoch in state.epochs.map(\.number) {
            for found in state.signatures(epoch: epoch, height: height) {
                signatures.append(.init(signer: found.signer, epoch: epoch, value: found.value, counts: found.counts))
            }
            proposals += (state.proposals[QuorumSlot(epoch: epoch, height: height)] ?? []).sorted { $0.blob < $1.blob }
        }
        return QuorumHeightReport(
            height: height,
            decision: state.decision(at: height),
            epoch: state.epoch(at: height),
            signatures: signatures,
            proposals: proposals
        )
    }
}
