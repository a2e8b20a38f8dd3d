import CairnCore

/// A Negentropy protocol V1 message: the version byte `0x61`, then ranges in ascending order. Ranges are adjacent;
/// the space after the last one is an implicit Skip.
public struct NegentropyMessage: Hashable, Sendable {
    /// The ranges, ascending.
    public var ranges: [NegentropyRange]

    /// A message of `ranges`, which must ascend.
    public init(ranges: [NegentropyRange] = []) {
        self.ranges = ranges
    }

    /// Protocol version 1's first byte.
    public static let protocolVersion: UInt8 = 0x61
    /// The version bytes of the Negentropy family (`0x60` is V0, `0x61` V1, and so on).
    public static let versionBytes: ClosedRange<UInt8> = 0x60...0x6F
    /// The length of a fingerprint.
    public static let fingerprintBytes = 16
    /// The length of an id.
    public static let idBytes = 32

    /// The message's bytes.
    public func encoded() -> [UInt8] {
        var writer = NegentropyWriter()
        for range in ranges { writer.append(range) }
        return writer.bytes
    }

    /// Parses a whole message.
    ///
    /// - Throws: `NegentropyError` when the bytes are not a well-formed V1 message: a wrong version byte, a truncated
    ///   field, an overlong or non-minimal varint, a bound out of order or past the largest timestamp, an id prefix
    ///   over 32 bytes, an unknown mode or an id list longer than the rest of the message. Nothing is allocated from a
    ///   length field before the bytes it claims are known to be present.
    public init(decoding bytes: [UInt8]) throws(NegentropyError) {
        guard let version = bytes.first else { throw .emptyMessage }
        guard version == Self.protocolVersion else { throw .unsupportedVersion(version) }
        var reader = NegentropyReader(bytes, offset: 1)
        var ranges: [NegentropyRange] = []
        while !reader.isAtEnd { ranges.append(try reader.readRange()) }
        self.ranges = ranges
    }
}
