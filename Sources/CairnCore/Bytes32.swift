/// Thirty-two bytes held inline as four big-endian 64-bit words: comparing, hashing and copying them allocates
/// nothing and retains nothing, and comparing the words in order compares the bytes lexicographically.
public struct Words32: Hashable, Comparable, Sendable {
    public var w0: UInt64
    public var w1: UInt64
    public var w2: UInt64
    public var w3: UInt64

    public init(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// Reads 32 bytes; `bytes` must hold exactly 32.
    public init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32, "Words32 takes exactly 32 bytes")
        self.init(
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        )
    }

    /// Calls `body` with the 32 bytes, without allocating.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var bigEndian = (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
        return try Swift.withUnsafeBytes(of: &bigEndian) { try body($0) }
    }

    public static func < (lhs: Words32, rhs: Words32) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }
}

/// A value made of exactly 32 bytes: a hash, a public key or an id.
public protocol Bytes32: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The 32 bytes, inline.
    var words: Words32 { get }
    init(words: Words32)
}

extension Bytes32 {
    /// The 32 bytes (allocates an array; hot paths use `withUnsafeBytes`).
    public var bytes: [UInt8] { words.withUnsafeBytes { Array($0) } }

    /// Calls `body` with the 32 bytes, without allocating.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try words.withUnsafeBytes(body)
    }

    /// Wraps 32 bytes; callers go through `init?(bytes:)` or `init?(hex:)` unless the count is known to be 32.
    public init(unchecked bytes: [UInt8]) {
        self.init(words: bytes.withUnsafeBytes { Words32($0) })
    }

    /// Wraps `bytes` when there are exactly 32 of them.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self.init(unchecked: Array(bytes))
    }

    /// Parses 64 hexadecimal characters.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(unchecked: bytes)
    }

    /// The all-zero value.
    public static var zero: Self { Self(words: Words32(0, 0, 0, 0)) }

    /// `true` when every byte is zero.
    public var isZero: Bool { words == Words32(0, 0, 0, 0) }

    /// Lower-case hexadecimal, 64 characters.
    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    public func hash(into hasher: inout Hasher) { hasher.combine(words) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.words == rhs.words }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.words < rhs.words }

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
    public let words: Words32
    public init(words: Words32) { self.words = words }
}

/// An Ed25519 public key.
public struct PublicKey: Bytes32 {
    public let words: Words32
    public init(words: Words32) { self.words = words }
}

/// The id of a piece of evidence: BLAKE2b-256 over its kind and the sorted pair of blob ids.
public struct EvidenceID: Bytes32 {
    public let words: Words32
    public init(words: Words32) { self.words = words }
}
