import CairnCore
import CairnQuorum
import Foundation

/// An epoch as the quorum routes show it (u64 values as decimal strings).
struct QuorumEpochJSON: Codable, Sendable {
    let epoch: String
    let start: String
    /// The first height it does not hold, once it has ended.
    let end: String?
    /// `length`, `recall` or `evidence`, once it has ended.
    let endReason: String?
    /// The members a double sign ended it for.
    let offenders: [PublicKey]?
    let members: [PublicKey]

    init(_ epoch: QuorumEpoch) {
        self.epoch = String(epoch.number)
        start = String(epoch.start)
        end = epoch.end.map(String.init)
        switch epoch.endReason {
        case .length: (endReason, offenders) = ("length", nil)
        case .recall: (endReason, offenders) = ("recall", nil)
        case .evidence(let keys): (endReason, offenders) = ("evidence", keys)
        case nil: (endReason, offenders) = (nil, nil)
        }
        members = epoch.members
    }
}

/// A decided height.
struct QuorumDecisionJSON: Codable, Sendable {
    let height: String
    let epoch: String
    let block: BlockHash
    let voteSet: BlobID

    init(_ decision: QuorumDecision) {
        height = String(decision.height)
        epoch = String(decision.epoch)
        block = decision.value.block
        voteSet = decision.value.voteSet
    }
}

/// A double sign, as the `equivocation` event shows it.
struct QuorumEquivocationJSON: Codable, Sendable {
    let evidence: EvidenceID
    let author: PublicKey
    let epoch: String
    let height: String
    let first: BlobID
    let second: BlobID

    init(_ found: QuorumEquivocation) {
        evidence = found.evidenceID
        author = found.author
        epoch = String(found.epoch)
        height = String(found.height)
        first = found.first.id
        second = found.second.id
    }
}

/// `GET /v1/quorum`.
struct QuorumStatusJSON: Codable, Sendable {
    struct Participation: Codable, Sendable {
        let key: PublicKey
        let member: Bool
        let proposes: Bool
        let allowsDoubleSign: Bool
    }

    let genesis: GenesisHash
    let network: String
    let epoch: QuorumEpochJSON
    let epochs: [QuorumEpochJSON]
    let lastDecidedHeight: String
    let lastDecision: QuorumDecisionJSON?
    let nextHeight: String
    let proposer: PublicKey?
    let equivocators: [PublicKey]
    let equivocations: [QuorumEquivocationJSON]
    let replaying: Bool
    let node: Participation?

    init(_ status: QuorumStatus) {
        genesis = status.genesis
        network = status.network
        epoch = QuorumEpochJSON(status.epoch)
        epochs = status.epochs.map(QuorumEpochJSON.init)
        lastDecidedHeight = String(status.lastDecidedHeight)
        lastDecision = status.lastDecision.map(QuorumDecisionJSON.init)
        nextHeight = String(status.nextHeight)
        proposer = status.proposer
        equivocators = status.equivocations.map(\.author)
        equivocations = status.equivocations.map(QuorumEquivocationJSON.init)
        replaying = status.replaying
        node = status.participation.map {
            Participation(key: $0.key, member: $0.member, proposes: $0.proposes, allowsDoubleSign: $0.allowsDoubleSign)
        }
    }
}

/// `GET /v1/quorum/heights/{h}`.
struct QuorumHeightJSON: Codable, Sendable {
    struct Signature: Codable, Sendable {
        let signer: PublicKey
        let epoch: String
        let block: BlockHash
        let voteSet: BlobID
        let counts: Bool
    }

    struct Proposal: Codable, Sendable {
        let blob: BlobID
        let author: PublicKey
        let block: BlockHash
        let voteSet: BlobID
    }

    let height: String
    let decided: Bool
    let decision: QuorumDecisionJSON?
    let epoch: QuorumEpochJSON?
    let signatures: [Signature]
    let proposals: [Proposal]

    init(_ report: QuorumHeightReport) {
        height = String(report.height)
        decided = report.decision != nil
        decision = report.decision.map(QuorumDecisionJSON.init)
        epoch = report.epoch.map(QuorumEpochJSON.init)
        signatures = report.signatures.map {
            Signature(
                signer: $0.signer,
                epoch: String($0.epoch),
                block: $0.value.block,
                voteSet: $0.value.voteSet,
                counts: $0.counts
            )
        }
        proposals = report.proposals.map {
            Proposal(blob: $0.blob, author: $0.author, block: $0.block, voteSet: $0.voteSet)
        }
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

/// The answer to `POST /v1/quorum/signatures`.
struct SignatureJSON: Codable, Sendable {
    let id: BlobID
    let author: PublicKey
    let channel: String
    let seq: String
    let epoch: String
    let height: String
    let block: BlockHash
    let voteSet: BlobID
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
