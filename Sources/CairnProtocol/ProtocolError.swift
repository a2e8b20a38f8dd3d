/// Why a record's plaintext is not a valid peer message. Each case carries the offending value.
public enum ProtocolError: Error, Equatable, Sendable {
    /// The record is empty.
    case emptyMessage
    /// The message version byte is not one this implementation reads.
    case unsupportedVersion(UInt8)
    /// The message type byte is unknown.
    case unknownMessageType(UInt8)
    /// The message ended before the field named `field` was complete.
    case truncated(field: String)
    /// Bytes remain after a complete message.
    case trailingBytes(count: Int)
    /// A list holds `count` items, more than `limit`.
    case tooManyItems(count: Int, limit: Int)
    /// A blob encoding of `size` bytes is larger than `limit`.
    case blobTooLarge(size: Int, limit: Int)
    /// An evidence encoding of `size` bytes is larger than `limit`.
    case evidenceTooLarge(size: Int, limit: Int)
    /// A `syncRequest` or `syncResponse` longer than `WireMessage.maxSyncBytes`.
    case syncTooLarge(size: Int, limit: Int)
    /// A blob or evidence field is empty.
    case emptyPayload(field: String)
    /// A peer host is empty, longer than 255 bytes, or holds a byte outside printable ASCII (0x21–0x7E).
    case invalidHost([UInt8])
    /// A peer port is zero.
    case invalidPort(UInt16)
}
