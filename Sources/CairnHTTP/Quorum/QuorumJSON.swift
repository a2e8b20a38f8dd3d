import CairnAPI
import CairnCore
import CairnQuorum
import Foundation

// The quorum routes answer with the types swift-openapi-generator builds from Docs/openapi.yaml (module CairnAPI);
// these initialisers fill them from the plug-in's values, u64 as decimal strings. The request bodies keep their own
// decoders, which also read a u64 sent as a JSON number.

extension Components.Schemas.QuorumEpoch {
    init(_ epoch: CairnQuorum.QuorumEpoch) {
        let reason: EndReasonPayload?
        var offenders: [PublicKey]?
        switch epoch.endReason {
        case .length: reason = .length
        case .recall: reason = .recall
        case .evidence(let keys): (reason, offenders) = (.evidence, keys)
        case nil: reason = nil
        }
        self.init(
            epoch: String(epoch.number),
            start: String(epoch.start),
            end: epoch.end.map(String.init),
            endReason: reason,
            offenders: offenders?.map(\.hex),
            members: epoch.members.map(\.hex)
        )
    }
}

extension Components.Schemas.QuorumDecision {
    init(_ decision: CairnQuorum.QuorumDecision) {
        self.init(
            height: String(decision.height),
            epoch: String(decision.epoch),
            block: decision.value.block.hex,
            voteSet: decision.value.voteSet.hex
        )
    }
}

extension Components.Schemas.QuorumEquivocation {
    init(_ found: CairnQuorum.QuorumEquivocation) {
        self.init(
            evidence: found.evidenceID.hex,
            author: found.author.hex,
            epoch: String(found.epoch),
            height: String(found.height),
            first: found.first.id.hex,
            second: found.second.id.hex
        )
    }
}

extension Components.Schemas.QuorumStatus {
    /// `GET /v1/quorum`.
    init(_ status: CairnQuorum.QuorumStatus) {
        self.init(
            genesis: status.genesis.hex,
            network: status.network,
            epoch: .init(status.epoch),
            epochs: status.epochs.map(Components.Schemas.QuorumEpoch.init),
            lastDecidedHeight: String(status.lastDecidedHeight),
            lastDecision: status.lastDecision.map(Components.Schemas.QuorumDecision.init),
            nextHeight: String(status.nextHeight),
            proposer: status.proposer?.hex,
            equivocators: status.equivocations.map(\.author.hex),
            equivocations: status.equivocations.map(Components.Schemas.QuorumEquivocation.init),
            replaying: status.replaying,
            node: status.participation.map {
                NodePayload(
                    key: $0.key.hex,
                    member: $0.member,
                    proposes: $0.proposes,
                    allowsDoubleSign: $0.allowsDoubleSign
                )
            }
        )
    }
}

extension Components.Schemas.QuorumHeight {
    /// `GET /v1/quorum/heights/{h}`.
    init(_ report: QuorumHeightReport) {
        self.init(
            height: String(report.height),
            decided: report.decision != nil,
            decision: report.decision.map(Components.Schemas.QuorumDecision.init),
            epoch: report.epoch.map(Components.Schemas.QuorumEpoch.init),
            signatures: report.signatures.map {
                SignaturesPayloadPayload(
                    signer: $0.signer.hex,
                    epoch: String($0.epoch),
                    block: $0.value.block.hex,
                    voteSet: $0.value.voteSet.hex,
                    counts: $0.counts
                )
            },
            proposals: report.proposals.map {
                ProposalsPayloadPayload(
                    blob: $0.blob.hex,
                    author: $0.author.hex,
                    block: $0.block.hex,
                    voteSet: $0.voteSet.hex
                )
            }
        )
    }
}

/// The body of `POST /v1/quorum/signatures`.
struct SignRequestJSON: Decodable, Sendable {
    let height: UInt64
    let block: BlockHash
    let voteSet: BlobID?

    enum CodingKeys: String, CodingKey {
        case height, block, voteSet
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        height = try container.decodeDecimal(.height)
        block = try container.decode(BlockHash.self, forKey: .block)
        voteSet = try container.decodeIfPresent(BlobID.self, forKey: .voteSet)
    }
}

/// The body of `POST /v1/quorum/votes`.
struct VoteRequestJSON: Decodable, Sendable {
    struct Recall: Decodable, Sendable {
        let epoch: UInt64
        let drops: [PublicKey]

        enum CodingKeys: String, CodingKey {
            case epoch, drops
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            epoch = try container.decodeDecimal(.epoch)
            drops = try container.decodeIfPresent([PublicKey].self, forKey: .drops) ?? []
        }
    }

    let candidates: [PublicKey]
    let recall: Recall?
}

extension KeyedDecodingContainer {
    /// A u64 sent as a decimal string (the API's form) or as a JSON number up to 2⁵³.
    func decodeDecimal(_ key: Key) throws -> UInt64 {
        if let text = try? decode(String.self, forKey: key) {
            guard let value = UInt64(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key,
                    in: self,
                    debugDescription: "expected a decimal integer string, got \"\(text)\""
                )
            }
            return value
        }
        return try decode(UInt64.self, forKey: key)
    }
}
