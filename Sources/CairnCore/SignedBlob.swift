/// A blob signed by its author: the unit Cairn stores and replicates.
///
/// A value of this type has passed every check: it was either made by `sign` or decoded by `decode`, which
/// verify structure, canonical form and signature. The only way around that is `init(trustedEncoding:)`, for
/// bytes the store itself wrote after verifying them.
public struct SignedBlob: Sendable, Hashable, CustomStringConvertible {
    /// The only format version this implementation reads and writes.
    public static let formatVersion: UInt8 = 1
    /// The hard protocol cap on payload size; nodes enforce their own, smaller `max_blob_bytes`.
    public static let protocolMaxPayloadBytes = 16 * 1024 * 1024
    /// The default node limit on payload size (1 MiB).
    public static let defaultMaxPayloadBytes = 1024 * 1024
    /// The domain-separation prefix of the signed message: ASCII `cairn/blob/v1` and a zero byte.
    public static let signatureDomain: [UInt8] = Array("cairn/blob/v1".utf8) + [0]
    /// Bytes of a blob's encoding besides the channel name and payload.
    public static let fixedOverheadBytes = 1 + 32 + 1 + 8 + 32 + 8 + 4 + 64

    /// The author's Ed25519 public key.
    public let author: PublicKey
    /// The channel name; with `author`, it names the channel.
    public let channel: ChannelName
    /// The position in the channel, from 1.
    public let seq: UInt64
    /// The id of the author's previous blob on this channel, zero for seq 1.
    public let prev: BlobID
    /// Milliseconds since the Unix epoch, as claimed by the author.
    public let timestamp: UInt64
    /// The canonical encoding, signature included.
    public let encoding: [UInt8]
    /// BLAKE2b-256 of `encoding`.
    public let id: BlobID
    private let payloadRange: Range<Int>

    /// The payload bytes.
    public var payload: ArraySlice<UInt8> { encoding[payloadRange] }
    /// The 64-byte Ed25519 signature.
    public var signature: ArraySlice<UInt8> { encoding[(encoding.count - SigningKey.signatureBytes)...] }

    public var description: String { "blob \(id.hex.prefix(16)) \(channel)#\(seq)" }

    public static func == (lhs: SignedBlob, rhs: SignedBlob) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// Signs a new blob.
    /// - Throws: `CoreError.invalidSeq`, `.invalidPrev` or `.blobTooLarge` when the fields are not a valid blob.
    public static func sign<Payload: Collection>(
        key: SigningKey,
        channel: ChannelName,
        seq: UInt64,
        prev: BlobID,
        timestamp: UInt64,
        payload: Payload
    ) throws(CoreError) -> SignedBlob where Payload.Element == UInt8 {
        try checkChain(seq: seq, prev: prev)
        guard payload.count <= protocolMaxPayloadBytes else {
            throw .blobTooLarge(size: payload.count, limit: protocolMaxPayloadBytes)
        }
        let channelBytes = channel.utf8
        var writer = ByteWriter(
            capacity: signatureDomain.count + fixedOverheadBytes + channelBytes.count + payload.count
        )
        writer.write(bytes: signatureDomain)
        writer.write(formatVersion)
        writer.write(key.publicKey)
        writer.write(UInt8(channelBytes.count))
        writer.write(bytes: channelBytes)
        writer.write(seq)
        writer.write(prev)
        writer.write(timestamp)
        writer.write(UInt32(payload.count))
        writer.write(bytes: payload)
        var message = writer.bytes
        let signature = message.withUnsafeBytes { key.sign($0) }
        message.removeFirst(signatureDomain.count)
        message.append(contentsOf: signature)
        let payloadStart = message.count - SigningKey.signatureBytes - payload.count
        return SignedBlob(
            author: key.publicKey,
            channel: channel,
            seq: seq,
            prev: prev,
            timestamp: timestamp,
            encoding: message,
            payloadRange: payloadStart..<payloadStart + payload.count
        )
    }

    /// Decodes and verifies a canonical encoding.
    /// - Parameters:
    ///   - bytes: exactly one encoded blob, nothing before or after it.
    ///   - maxPayloadBytes: the largest payload accepted.
    /// - Throws: a `CoreError` naming the first problem found; the signature is checked last.
    public static func decode(_ bytes: [UInt8], maxPayloadBytes: Int = defaultMaxPayloadBytes) throws(CoreError)
        -> SignedBlob
    {
        let blob = try parse(bytes, maxPayloadBytes: maxPayloadBytes)
        guard blob.hasValidSignature() else { throw .badSignature }
        return blob
    }

    /// Rebuilds a blob from an encoding this node verified before (read back from its own store).
    /// Checks structure but not the signature.
    /// - Throws: a `CoreError` when the bytes are not a structurally valid blob.
    public init(trustedEncoding bytes: [UInt8]) throws(CoreError) {
        self = try Self.parse(bytes, maxPayloadBytes: Self.protocolMaxPayloadBytes)
    }

    /// `true` when the signature verifies over the domain-separated encoding.
    public func hasValidSignature() -> Bool {
        let signedLength = encoding.count - SigningKey.signatureBytes
        let domain = Self.signatureDomain
        // The signed message is the domain tag followed by the encoding without its signature: assemble it in one
        // temporary buffer (on the stack when small) and pass the signature in place.
        return withUnsafeTemporaryAllocation(byteCount: domain.count + signedLength, alignment: 1) { message in
            message.copyBytes(from: domain)
            return encoding.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(rebasing: message[domain.count...])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<signedLength]))
                return author.verify(
                    signature: UnsafeRawBufferPointer(rebasing: bytes[signedLength...]),
                    message: UnsafeRawBufferPointer(message)
                )
            }
        }
    }

    private static func parse(_ bytes: [UInt8], maxPayloadBytes: Int) throws(CoreError) -> SignedBlob {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8("version")
        guard version == formatVersion else { throw .unsupportedVersion(version) }
        let author = try reader.read(PublicKey.self, "author")
        let channelLength = Int(try reader.readUInt8("channel length"))
        let channel = try ChannelName(utf8: try reader.readBytes(channelLength, "channel"))
        let seq = try reader.readUInt64("seq")
        let prev = try reader.read(BlobID.self, "prev")
        try checkChain(seq: seq, prev: prev)
        let timestamp = try reader.readUInt64("timestamp")
        let payloadLength = Int(try reader.readUInt32("payload length"))
        let limit = min(maxPayloadBytes, protocolMaxPayloadBytes)
        guard payloadLength <= limit else { throw .blobTooLarge(size: payloadLength, limit: limit) }
        let payloadStart = reader.offset
        guard reader.remaining >= payloadLength else { throw .truncated(field: "payload") }
        _ = try reader.readBytes(payloadLength, "payload")
        _ = try reader.readBytes(SigningKey.signatureBytes, "signature")
        try reader.expectEnd()
        return SignedBlob(
            author: author,
            channel: channel,
            seq: seq,
            prev: prev,
            timestamp: timestamp,
            encoding: bytes,
            payloadRange: payloadStart..<payloadStart + payloadLength
        )
    }

    private static func checkChain(seq: UInt64, prev: BlobID) throws(CoreError) {
        guard seq >= 1 else { throw .invalidSeq(seq) }
        guard (seq == 1) == prev.isZero else { throw .invalidPrev(seq: seq) }
    }

    private init(
        author: PublicKey,
        channel: ChannelName,
        seq: UInt64,
        prev: BlobID,
        timestamp: UInt64,
        encoding: [UInt8],
        payloadRange: Range<Int>
    ) {
        self.author = author
        self.channel = channel
        self.seq = seq
        self.prev = prev
        self.timestamp = timestamp
        self.encoding = encoding
        self.payloadRange = payloadRange
        self.id = BlobID(unchecked: Blake2b.hash256(encoding))
    }
}
