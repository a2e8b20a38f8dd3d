import CSodium

/// One element of the set that replicas reconcile: a blob's timestamp in whole seconds and its id.
///
/// Items order by timestamp, then by the id's bytes (Negentropy protocol V1's order). A Negentropy
/// bound (a timestamp and an id prefix) compares with items exactly like the item whose id is the
/// prefix padded with zero bytes, so storage searches take bounds as items.
public struct SyncItem: Hashable, Comparable, Sendable {
    /// The blob's timestamp divided by 1,000 (blob timestamps are milliseconds).
    public var timestamp: UInt64
    public var id: BlobID

    public init(timestamp: UInt64, id: BlobID) {
        self.timestamp = timestamp
        self.id = id
    }

    /// The item of a blob: its millisecond timestamp in whole seconds, and its id.
    public init(blobTimestampMilliseconds milliseconds: UInt64, id: BlobID) {
        self.init(timestamp: milliseconds / 1000, id: id)
    }

    /// The greatest possible item: Negentropy's "infinity" bound.
    public static let infinity = SyncItem(timestamp: .max, id: BlobID(unchecked: [UInt8](repeating: 0xFF, count: 32)))

    public static func < (lhs: SyncItem, rhs: SyncItem) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        return lhs.id < rhs.id
    }
}

/// Negentropy's additive fingerprint state over a set of ids: their sum modulo 2²⁵⁶ (each id read
/// as a little-endian 256-bit number) and their count. Sums of disjoint sets add, so a tree of
/// partial sums answers the fingerprint of any range.
public struct SyncAccumulator: Hashable, Sendable {
    /// The sum, least significant 64-bit limb first.
    public private(set) var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// How many ids were added (minus how many were removed).
    public private(set) var count: UInt64 = 0

    public init() {}

    /// Rebuilds an accumulator from a stored sum (32 bytes, little-endian) and count.
    public init?(sumBytes: some Collection<UInt8>, count: UInt64) {
        guard sumBytes.count == 32 else { return nil }
        let words = Self.limbs(of: sumBytes)
        self.limbs = words
        self.count = count
    }

    /// The sum as 32 little-endian bytes.
    public var sumBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for limb in [limbs.0, limbs.1, limbs.2, limbs.3] {
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift))) }
        }
        return out
    }

    /// Adds one id.
    public mutating func add(_ id: BlobID) {
        add(limbs: Self.limbs(of: id), count: 1)
    }

    /// Removes one id that was added before.
    public mutating func remove(_ id: BlobID) {
        let (a, b, c, d) = Self.limbs(of: id)
        // Subtracting x is adding its two's complement: ~x + 1.
        add(limbs: (~a, ~b, ~c, ~d), count: 0)
        add(limbs: (1, 0, 0, 0), count: 0)
        count &-= 1
    }

    /// Adds every id of another accumulator.
    public mutating func add(_ other: SyncAccumulator) {
        add(limbs: other.limbs, count: other.count)
    }

    /// Removes every id of another accumulator whose ids were all added to this one.
    public mutating func remove(_ other: SyncAccumulator) {
        let (a, b, c, d) = other.limbs
        add(limbs: (~a, ~b, ~c, ~d), count: 0)
        add(limbs: (1, 0, 0, 0), count: 0)
        count &-= other.count
    }

    /// Negentropy V1's fingerprint: the first 16 bytes of SHA-256 over the 32-byte sum followed by
    /// the count as a Negentropy varint.
    public var fingerprint: [UInt8] {
        var input = sumBytes
        input.append(contentsOf: SyncVarint.encode(count))
        var digest = [UInt8](repeating: 0, count: 32)
        Sodium.ensure()
        let rc = input.withUnsafeBufferPointer { inputBuffer in
            digest.withUnsafeMutableBufferPointer { out in
                crypto_hash_sha256(out.baseAddress!, inputBuffer.baseAddress!, UInt64(inputBuffer.count))
            }
        }
        precondition(rc == 0, "crypto_hash_sha256 cannot fail")
        return Array(digest.prefix(16))
    }

    public static func == (lhs: SyncAccumulator, rhs: SyncAccumulator) -> Bool {
        lhs.limbs == rhs.limbs && lhs.count == rhs.count
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(limbs.0)
        hasher.combine(limbs.1)
        hasher.combine(limbs.2)
        hasher.combine(limbs.3)
        hasher.combine(count)
    }

    private mutating func add(limbs other: (UInt64, UInt64, UInt64, UInt64), count added: UInt64) {
        var carry: UInt64 = 0
        func step(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let (partial, overflow1) = a.addingReportingOverflow(b)
            let (sum, overflow2) = partial.addingReportingOverflow(carry)
            carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
            return sum
        }
        limbs.0 = step(limbs.0, other.0)
        limbs.1 = step(limbs.1, other.1)
        limbs.2 = step(limbs.2, other.2)
        limbs.3 = step(limbs.3, other.3)
        count &+= added
    }

    /// An id read as a little-endian 256-bit number: its big-endian words, byte-swapped.
    private static func limbs(of id: BlobID) -> (UInt64, UInt64, UInt64, UInt64) {
        (id.words.w0.byteSwapped, id.words.w1.byteSwapped, id.words.w2.byteSwapped, id.words.w3.byteSwapped)
    }

    private static func limbs(of bytes: some Collection<UInt8>) -> (UInt64, UInt64, UInt64, UInt64) {
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() { words[index / 8] |= UInt64(byte) << UInt64((index % 8) * 8) }
        return (words[0], words[1], words[2], words[3])
    }
}

/// Negentropy's variable-length unsigned integer: base-128 digits, most significant first, every
/// byte but the last with its high bit set. (Not LEB128, which puts the least significant first.)
public enum SyncVarint {
    public static func encode(_ value: UInt64) -> [UInt8] {
        var digits: [UInt8] = [UInt8(value & 0x7F)]
        var rest = value >> 7
        while rest != 0 {
            digits.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        return digits.reversed()
    }

    /// Reads one varint from `bytes` at `offset`, advancing it. Throws on a truncated input, on a
    /// value above 2⁶⁴ − 1 and on a leading zero digit (`0x80`): V1 allows only the shortest encoding.
    public static func decode(_ bytes: some RandomAccessCollection<UInt8>, offset: inout Int) throws(CoreError)
        -> UInt64
    {
        var value: UInt64 = 0
        var index = bytes.index(bytes.startIndex, offsetBy: offset)
        let start = index
        while true {
            guard index < bytes.endIndex else { throw CoreError.truncated(field: "varint") }
            let byte = bytes[index]
            if index == start && byte == 0x80 {
                throw CoreError.malformed(field: "varint", reason: "not the shortest encoding")
            }
            guard value >> 57 == 0 else { throw CoreError.malformed(field: "varint", reason: "exceeds 64 bits") }
            value = value << 7 | UInt64(byte & 0x7F)
            index = bytes.index(after: index)
            offset += 1
            if byte & 0x80 == 0 { return value }
        }
    }
}

/// A consistent view of one replica's reconciliation set, addressed by rank (0 ..< count) in item
/// order — the interface Negentropy's reference implementations use. A value is a snapshot: it
/// does not change while one reconciliation message is processed.
public protocol ReconciliationStorage {
    /// How many items the set holds.
    func count() throws -> Int
    /// The item at `rank`.
    func item(at rank: Int) throws -> SyncItem
    /// The items at `ranks`, in order.
    func items(in ranks: Range<Int>) throws -> [SyncItem]
    /// The first rank in `ranks` whose item is not less than `bound` (`ranks.upperBound` when none is).
    func lowerBound(of bound: SyncItem, in ranks: Range<Int>) throws -> Int
    /// The sum and count of the ids at `ranks`.
    func accumulator(of ranks: Range<Int>) throws -> SyncAccumulator
}
