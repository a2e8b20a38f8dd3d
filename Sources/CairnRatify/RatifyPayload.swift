import CairnCore
import CairnQuorum

/// A decoded ratification payload. Every payload starts with the genesis hash and the version byte `0x01`; integers
/// are big-endian; trailing bytes are refused, so each payload has exactly one encoding (Docs/PROTOCOL.md,
/// "Ratification payloads").
public enum RatifyPayload: Sendable, Hashable {
    case proposal(RatifyProposal)
    case manifestPart(RatifyManifestPart)
    case vote(RatifyVote)

    /// The only payload version.
    public static let formatVersion: UInt8 = 1

    /// Decodes the payload of a blob on `channel`.
    /// - Throws: `RatifyPayloadError` naming the first problem.
    public init(channel: ChannelName, payload: [UInt8]) throws(RatifyPayloadError) {
        switch channel {
        case RatifyChannel.proposal: self = .proposal(try RatifyProposal(decoding: payload))
        case RatifyChannel.manifest: self = .manifestPart(try RatifyManifestPart(decoding: payload))
        case RatifyChannel.vote: self = .vote(try RatifyVote(decoding: payload))
        default: throw .unknownChannel(channel.value)
        }
    }

    /// The genesis the payload names.
    public var genesis: GenesisHash {
        switch self {
        case .proposal(let proposal): proposal.genesis
        case .manifestPart(let part): part.genesis
        case .vote(let vote): vote.genesis
        }
    }
}

/// A proposal (`ratify/proposal`, by any key): a tree's root hash, a title, and the blobs that carry its manifest.
public struct RatifyProposal: Sendable, Hashable {
    /// The longest title, in bytes.
    public static let maxTitleBytes = 200
    /// The most manifest parts a proposal lists.
    public static let maxParts = 1024

    /// The network's genesis hash.
    public let genesis: GenesisHash
    /// The root hash of the proposed tree.
    public let root: TreeRoot
    /// A title, 1 to 200 bytes of UTF-8.
    public let title: String
    /// The `ratify/manifest` blobs whose chunks, concatenated in this order, are the manifest.
    public let parts: [BlobID]

    /// A proposal.
    /// - Throws: `RatifyPayloadError` for an empty or long title, no or too many parts, or a part listed twice.
    public init(genesis: GenesisHash, root: TreeRoot, title: String, parts: [BlobID]) throws(RatifyPayloadError) {
        let titleBytes = title.utf8.count
        guard (1...Self.maxTitleBytes).contains(titleBytes) else {
            throw .countOutOfRange(field: "title", count: titleBytes, allowed: 1...Self.maxTitleBytes)
        }
        guard (1...Self.maxParts).contains(parts.count) else {
            throw .countOutOfRange(field: "parts", count: parts.count, allowed: 1...Self.maxParts)
        }
        var seen: Set<BlobID> = []
        for (index, part) in parts.enumerated() where !seen.insert(part).inserted { throw .duplicatePart(index: index) }
        self.genesis = genesis
        self.root = root
        self.title = title
        self.parts = parts
    }

    /// Decodes a payload.
    /// - Throws: `RatifyPayloadError` naming the first problem.
    public init(decoding bytes: [UInt8]) throws(RatifyPayloadError) {
        var reader = RatifyPayloadReader(bytes)
        let genesis = try reader.header()
        let root = try reader.read(TreeRoot.self, "root")
        let titleLength = Int(try reader.uint16("title length"))
        guard (1...Self.maxTitleBytes).contains(titleLength) else {
            throw .countOutOfRange(field: "title", count: titleLength, allowed: 1...Self.maxTitleBytes)
        }
        guard let title = String(validating: try reader.bytes(titleLength, "title"), as: UTF8.self) else {
            throw .invalidTitle
        }
        let count = Int(try reader.uint16("part count"))
        guard (1...Self.maxParts).contains(count) else {
            throw .countOutOfRange(field: "parts", count: count, allowed: 1...Self.maxParts)
        }
        var parts: [BlobID] = []
        for _ in 0..<count { parts.append(try reader.read(BlobID.self, "part id")) }
        try reader.expectEnd()
        try self.init(genesis: genesis, root: root, title: title, parts: parts)
    }

    /// The canonical encoding.
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: 32 + 1 + 32 + 2 + title.utf8.count + 2 + 32 * parts.count)
        writer.write(genesis)
        writer.write(RatifyPayload.formatVersion)
        writer.write(root)
        writer.write(UInt16(title.utf8.count))
        writer.write(bytes: title.utf8)
        writer.write(UInt16(parts.count))
        for part in parts { writer.write(part) }
        return writer.bytes
    }
}

/// A chunk of a proposal's manifest (`ratify/manifest`): manifests longer than one blob are split across several.
public struct RatifyManifestPart: Sendable, Hashable {
    /// The network's genesis hash.
    public let genesis: GenesisHash
    /// The chunk, at least one byte.
    public let chunk: [UInt8]

    /// A part carrying `chunk`.
    /// - Throws: `RatifyPayloadError.countOutOfRange` for an empty chunk.
    public init(genesis: GenesisHash, chunk: [UInt8]) throws(RatifyPayloadError) {
        guard !chunk.isEmpty else { throw .countOutOfRange(field: "chunk", count: 0, allowed: 1...Int(Int32.max)) }
        self.genesis = genesis
        self.chunk = chunk
    }

    /// Decodes a payload: the header, then the chunk (the rest).
    /// - Throws: `RatifyPayloadError` naming the first problem.
    public init(decoding bytes: [UInt8]) throws(RatifyPayloadError) {
        var reader = RatifyPayloadReader(bytes)
        let genesis = try reader.header()
        try self.init(genesis: genesis, chunk: try reader.rest())
    }

    /// The canonical encoding.
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: 33 + chunk.count)
        writer.write(genesis)
        writer.write(RatifyPayload.formatVersion)
        writer.write(bytes: chunk)
        return writer.bytes
    }
}

/// A stake holder's vote on a root (`ratify/vote`): yes or no. Per holder and root, the vote with the highest seq on
/// the holder's channel counts; a forked vote channel counts nothing.
public struct RatifyVote: Sendable, Hashable {
    /// The network's genesis hash.
    public let genesis: GenesisHash
    /// The root voted on.
    public let root: TreeRoot
    /// Yes (`true`) or no.
    public let yes: Bool

    /// A vote.
    public init(genesis: GenesisHash, root: TreeRoot, yes: Bool) {
        self.genesis = genesis
        self.root = root
        self.yes = yes
    }

    /// Decodes a payload.
    /// - Throws: `RatifyPayloadError` naming the first problem.
    public init(decoding bytes: [UInt8]) throws(RatifyPayloadError) {
        var reader = RatifyPayloadReader(bytes)
        genesis = try reader.header()
        root = try reader.read(TreeRoot.self, "root")
        let choice = try reader.uint8("choice")
        guard choice <= 1 else { throw .invalidChoice(choice) }
        yes = choice == 1
        try reader.expectEnd()
    }

    /// The canonical encoding (66 bytes).
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: 66)
        writer.write(genesis)
        writer.write(RatifyPayload.formatVersion)
        writer.write(root)
        writer.write(UInt8(yes ? 1 : 0))
        return writer.bytes
    }
}

/// `PayloadReader` for ratification payloads, failing with `RatifyPayloadError`.
typealias RatifyPayloadReader = PayloadReader<RatifyPayloadError>

extension PayloadReader where Failure == RatifyPayloadError {
    init(_ bytes: [UInt8]) {
        self.init(bytes, truncated: { .truncated(field: $0) }, trailing: { .trailingBytes(count: $0) })
    }

    /// Reads the genesis hash and checks the version byte.
    mutating func header() throws(RatifyPayloadError) -> GenesisHash {
        let genesis = try read(GenesisHash.self, "genesis hash")
        let version = try uint8("version")
        guard version == RatifyPayload.formatVersion else { throw .unsupportedVersion(version) }
        return genesis
    }

    /// Everything left.
    mutating func rest() throws(RatifyPayloadError) -> [UInt8] {
        try bytes(remaining, "chunk")
    }
}
