import CairnCore

/// Why bytes are not a valid Negentropy protocol V1 message. Each case carries the offending value.
public enum NegentropyError: Error, Equatable, Sendable {
    /// The message has no bytes at all, not even the protocol version byte.
    case emptyMessage
    /// The protocol version byte is not `0x61` (V1), or, for a responder, not a Negentropy version byte at all
    /// (outside `0x60...0x6F`).
    case unsupportedVersion(UInt8)
    /// The message ended inside the field named `field`.
    case truncated(field: String)
    /// A varint holds more than 64 bits.
    case varintOverflow
    /// A varint starts with a zero digit (`0x80`): V1 allows only the shortest encoding.
    case nonMinimalVarint
    /// A bound's timestamp delta carries it past 2⁶⁴ − 2, the largest timestamp an item may have.
    case timestampOverflow(previous: UInt64, delta: UInt64)
    /// A bound's id prefix is longer than an id (32 bytes).
    case idPrefixTooLong(length: UInt64)
    /// The infinity bound carries an id prefix; V1 encoders always give it length 0.
    case infinityWithIDPrefix(length: Int)
    /// A range's upper bound is below the previous range's: ranges must ascend.
    case boundOutOfOrder(previous: SyncItem, bound: SyncItem)
    /// A range mode other than Skip (0), Fingerprint (1) and IdList (2).
    case unknownMode(UInt64)
    /// An IdList claims more ids than the rest of the message could hold.
    case idListTooLong(count: UInt64, remainingBytes: Int)
}
