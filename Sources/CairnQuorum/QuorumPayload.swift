import CairnCore

/// A decoded quorum payload, by channel.
public enum QuorumPayload: Sendable, Hashable {
    /// `quorum/candidacy`.
    case candidacy(QuorumCandidacy)
    /// `quorum/vote`.
    case vote(QuorumVoteSlip)
    /// `quorum/voteset`.
    case voteSet(QuorumVoteSet)
    /// `quorum/sig`.
    case signature(QuorumSignature)
    /// `quorum/block`.
    case block(QuorumBlock)

    /// Decodes the payload of a blob on a quorum channel.
    /// - Throws: `QuorumPayloadError.unknownChannel` for a channel the quorum does not define, else the decoder's
    ///   error.
    public init(channel: ChannelName, payload: [UInt8]) throws(QuorumPayloadError) {
        switch channel {
        case QuorumChannel.candidacy: self = .candidacy(try QuorumCandidacy(decoding: payload))
        case QuorumChannel.vote: self = .vote(try QuorumVoteSlip(decoding: payload))
        case QuorumChannel.voteSet: self = .voteSet(try QuorumVoteSet(decoding: payload))
        case QuorumChannel.signature: self = .signature(try QuorumSignature(decoding: payload))
        case QuorumChannel.block: self = .block(try QuorumBlock(decoding: payload))
        default: throw .unknownChannel(channel.value)
        }
    }

    /// The genesis hash the payload names.
    public var genesis: GenesisHash {
        switch self {
        case .candidacy(let payload): payload.genesis
        case .vote(let payload): payload.genesis
        case .voteSet(let payload): payload.genesis
        case .signature(let payload): payload.genesis
        case .block(let payload): payload.genesis
        }
    }

    /// The channel the payload belongs on.
    public var channel: ChannelName {
        switch self {
        case .candidacy: QuorumChannel.candidacy
        case .vote: QuorumChannel.vote
        case .voteSet: QuorumChannel.voteSet
        case .signature: QuorumChannel.signature
        case .block: QuorumChannel.block
        }
    }

    /// The canonical encoding.
    public var encoding: [UInt8] {
        switch self {
        case .candidacy(let payload): payload.encoding
        case .vote(let payload): payload.encoding
        case .voteSet(let payload): payload.encoding
        case .signature(let payload): payload.encoding
        case .block(let payload): payload.encoding
        }
    }
}
