/// What went wrong while decoding, validating or signing a Cairn object.
public enum CoreError: Error, Equatable, Sendable {
    /// The input ended before the field named `field` was complete.
    case truncated(field: String)
    /// Bytes remain after a complete object.
    case trailingBytes(count: Int)
    /// The format version byte is not one this implementation reads.
    case unsupportedVersion(UInt8)
    /// The channel name is empty, longer than the limit, not UTF-8 or contains control characters.
    case invalidChannelName(reason: String)
    /// `seq` is zero.
    case invalidSeq(UInt64)
    /// `prev` must be zero exactly when `seq` is 1.
    case invalidPrev(seq: UInt64)
    /// The payload is larger than the limit in force.
    case blobTooLarge(size: Int, limit: Int)
    /// The Ed25519 signature does not verify (including non-canonical encodings).
    case badSignature
    /// A key seed of the wrong length.
    case invalidKey(length: Int)
    /// An evidence object's kind byte is 0, which no kind uses.
    case unknownEvidenceKind(UInt8)
    /// An evidence object that is malformed: one blob twice, blobs out of order, or blobs of different authors.
    case invalidEvidence(reason: String)
    /// A well-formed evidence object whose two signed blobs do not conflict by the rule of its kind (for a channel
    /// fork: they claim different slots). The blobs are valid; the claim is not.
    case evidenceWithoutConflict(reason: String)
    /// A field whose bytes are complete but whose value breaks its format (a varint above 2⁶⁴ − 1, a bound out of order).
    case malformed(field: String, reason: String)
}
