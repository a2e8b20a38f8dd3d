#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value made of exactly 32 bytes: a hash, a public key or an id.
public protocol Bytes32: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The 32 bytes.
    var bytes: [UInt8] { get }
    /// Wraps 32 bytes without checking the count; callers go through `init?(bytes:)` or `init?(hex:)`.
    init(unchecked bytes: [UInt8])
}

extension Bytes32 {
    /// Wraps `bytes` when there are exactly 32 of them.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.init(unchecked: bytes)
    }

    /// Parses 64 hexadecimal characters.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(unchecked: bytes)
    }

    /// The all-zero value.
    public static var zero: Self { Self(unchecked: [UInt8](repeating: 0, count: 32)) }

    /// `true` when every byte is zero.
    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }

    /// Lower-case hexadecimal, 64 characters.
    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    /// Hashes the 32 bytes in one call (the synthesized version feeds them to the hasher one at a time).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// Compares the 32 bytes with `memcmp`.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.bytes.withUnsafeBytes { left in
            rhs.bytes.withUnsafeBytes { right in
                left.count == right.count && memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected 64 hex characters")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// The id of a signed blob: BLAKE2b-256 of its canonical encoding.
public struct BlobID: Bytes32 {
    public let bytes: [UInt8]
    public init(unchecked bytes: [UInt8]) { self.bytes = bytes }
}

/// An Ed25519 public key.
public struct PublicKey: Bytes32 {
    public let bytes: [UInt8]
    public init(unchecked bytes: [UInt8]) { self.bytes = bytes }
}

/// The id of a piece of evidence: BLAKE2b-256 over its kind and the sorted pair of blob ids.
public struct EvidenceID: Bytes32 {
    public let bytes: [UInt8]
    public init(unchecked bytes: [UInt8]) { self.bytes = bytes }
}
