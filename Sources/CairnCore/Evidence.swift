/// Proof that an author signed two different blobs for one slot. It needs no signature: anyone can check it.
public struct Evidence: Sendable, Hashable, CustomStringConvertible {
    /// What slot the two blobs both claim: an open set of one-byte codes.
    ///
    /// The core defines `channelFork`; other kinds (the quorum's double-sign, code 2) are defined and judged by the
    /// component that registers them. Evidence of a kind nothing on a node judges is neither stored nor forwarded.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The wire code.
        public let rawValue: UInt8

        /// Wraps a wire code.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Same author, channel and seq, different ids.
        public static let channelFork = Kind(rawValue: 1)

        public var description: String {
            self == .channelFork ? "channel-fork" : "kind-\(rawValue)"
        }
    }

    /// The only evidence format version.
    public static let formatVersion: UInt8 = 1
    /// The domain-separation prefix of the evidence id: ASCII `cairn/evidence/v1` and a zero byte.
    public static let idDomain: [UInt8] = Array("cairn/evidence/v1".utf8) + [0]

    /// The kind of conflict.
    public let kind: Kind
    /// The blob with the smaller id.
    public let first: SignedBlob
    /// The blob with the larger id.
    public let second: SignedBlob
    /// BLAKE2b-256 of `idDomain`, the kind byte and both blob ids in ascending order.
    public let id: EvidenceID

    public var description: String { "evidence \(id.hex.prefix(16)) \(kind) by \(first.author.hex.prefix(16))" }

    public static func == (lhs: Evidence, rhs: Evidence) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// Builds channel-fork evidence from two blobs in either order.
    /// - Throws: `CoreError.invalidEvidence` for one blob twice or two authors, `.evidenceWithoutConflict` when the
    ///   blobs claim different slots.
    public static func channelFork(_ a: SignedBlob, _ b: SignedBlob) throws(CoreError) -> Evidence {
        guard a.id != b.id else { throw .invalidEvidence(reason: "the two blobs are the same blob") }
        guard a.author == b.author else { throw .invalidEvidence(reason: "the blobs have different authors") }
        guard a.channel == b.channel, a.seq == b.seq else {
            throw .evidenceWithoutConflict(reason: "the blobs claim different slots")
        }
        return Evidence(kind: .channelFork, a, b)
    }

    /// Builds evidence of a kind that another component (the quorum plug-in) judges: only the structure is checked
    /// here; whether the pair really conflicts is for that component to say.
    /// - Throws: `CoreError.invalidEvidence` when the blobs are one blob or have different authors.
    public static func judged(kind: Kind, _ a: SignedBlob, _ b: SignedBlob) throws(CoreError) -> Evidence {
        if kind == .channelFork { return try channelFork(a, b) }
        guard a.id != b.id, a.author == b.author else {
            throw .invalidEvidence(reason: "evidence needs two different blobs by one author")
        }
        return Evidence(kind: kind, a, b)
    }

    /// The evidence id for a kind and two blob ids, in either order.
    public static func id(kind: Kind, _ a: BlobID, _ b: BlobID) -> EvidenceID {
        let (low, high) = a < b ? (a, b) : (b, a)
        return EvidenceID(unchecked: Blake2b.hash256(parts: [idDomain, [kind.rawValue], low.bytes, high.bytes]))
    }

    /// The canonical encoding: version, kind, then each blob (ascending id) behind a 4-byte big-endian length.
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: 10 + first.encoding.count + second.encoding.count)
        writer.write(Self.formatVersion)
        writer.write(kind.rawValue)
        for blob in [first, second] {
            writer.write(UInt32(blob.encoding.count))
            writer.write(bytes: blob.encoding)
        }
        return writer.bytes
    }

    /// Decodes and checks evidence: both blobs verify, are in ascending id order, and conflict.
    /// - Throws: a `CoreError` naming what is wrong.
    public static func decode(_ bytes: [UInt8], maxPayloadBytes: Int = SignedBlob.protocolMaxPayloadBytes)
        throws(CoreError) -> Evidence
    {
        try parse(bytes) { (blob) throws(CoreError) in try SignedBlob.decode(blob, maxPayloadBytes: maxPayloadBytes) }
    }

    /// Rebuilds evidence from an encoding this node verified before (read back from its own store): checks
    /// structure, order and conflict, but not the two signatures.
    /// - Throws: a `CoreError` when the bytes are not structurally valid evidence.
    public init(trustedEncoding bytes: [UInt8]) throws(CoreError) {
        self = try Self.parse(bytes) { (blob) throws(CoreError) in try SignedBlob(trustedEncoding: blob) }
    }

    private static func parse(_ bytes: [UInt8], blob decodeBlob: ([UInt8]) throws(CoreError) -> SignedBlob)
        throws(CoreError) -> Evidence
    {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8("evidence version")
        guard version == formatVersion else { throw .unsupportedVersion(version) }
        let kindByte = try reader.readUInt8("evidence kind")
        guard kindByte != 0 else { throw .unknownEvidenceKind(kindByte) }
        let kind = Kind(rawValue: kindByte)
        var blobs: [SignedBlob] = []
        for field in ["first blob", "second blob"] {
            let length = Int(try reader.readUInt32("\(field) length"))
            blobs.append(try decodeBlob(try reader.readBytes(length, field)))
        }
        try reader.expectEnd()
        guard blobs[0].id < blobs[1].id else { throw .invalidEvidence(reason: "blobs are not in ascending id order") }
        return try judged(kind: kind, blobs[0], blobs[1])
    }

    private init(kind: Kind, _ a: SignedBlob, _ b: SignedBlob) {
        self.kind = kind
        (first, second) = a.id < b.id ? (a, b) : (b, a)
        id = Self.id(kind: kind, a.id, b.id)
    }
}
