import CairnCore

/// A sum of blob ids modulo 2²⁵⁶ and their count: `SyncAccumulator`'s arithmetic on raw index bytes, without the
/// per-id allocations of its `Collection` interface. Ids and stored sums are 32 bytes, least significant first.
struct PartialSum: Equatable {
    /// The size of a stored sum.
    static let byteCount = 32

    private(set) var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private(set) var count: UInt64 = 0

    static func == (lhs: PartialSum, rhs: PartialSum) -> Bool {
        lhs.limbs == rhs.limbs && lhs.count == rhs.count
    }

    /// Adds the 32-byte little-endian number at `offset` of `bytes`, counting it as `count` ids.
    mutating func add(_ bytes: UnsafeRawBufferPointer, at offset: Int, count added: UInt64) {
        precondition(offset >= 0 && offset + Self.byteCount <= bytes.count, "sum read out of bounds")
        let words = (
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)),
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)),
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
        )
        add(words)
        count &+= added
    }

    /// Adds one id.
    mutating func add(_ id: BlobID) {
        id.bytes.withUnsafeBytes { add($0, at: 0, count: 1) }
    }

    /// Adds another sum.
    mutating func add(_ other: PartialSum) {
        add(other.limbs)
        count &+= other.count
    }

    /// Removes another sum whose ids were all added to this one.
    mutating func subtract(_ other: PartialSum) {
        let (a, b, c, d) = other.limbs
        // Subtracting x is adding its two's complement: ~x + 1.
        add((~a, ~b, ~c, ~d))
        add((1, 0, 0, 0))
        count &-= other.count
    }

    /// The sum as 32 little-endian bytes.
    var sumBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.byteCount)
        for limb in [limbs.0, limbs.1, limbs.2, limbs.3] {
            withUnsafeBytes(of: limb.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// The same sum and count as Negentropy's accumulator.
    var accumulator: SyncAccumulator {
        // 32 bytes always make an accumulator.
        SyncAccumulator(sumBytes: sumBytes, count: count)!
    }

    private mutating func add(_ other: (UInt64, UInt64, UInt64, UInt64)) {
        var carry = false
        func step(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let (partial, overflow1) = a.addingReportingOverflow(b)
            let (sum, overflow2) = partial.addingReportingOverflow(carry ? 1 : 0)
            carry = overflow1 || overflow2
            return sum
        }
        limbs.0 = step(limbs.0, other.0)
        limbs.1 = step(limbs.1, other.1)
        limbs.2 = step(limbs.2, other.2)
        limbs.3 = step(limbs.3, other.3)
    }
}
