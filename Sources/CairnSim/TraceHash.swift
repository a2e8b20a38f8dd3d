/// FNV-1a (64-bit) over the events of a run, one 64-bit word at a time: equal hashes, equal runs.
struct TraceHash: Sendable, Equatable {
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The digest so far.
    private(set) var value = offsetBasis

    /// Folds one event in: its instant, kind, node and byte count.
    mutating func record(time: UInt64, kind: UInt64, node: Int, bytes: Int) {
        value = (value ^ time) &* Self.prime
        value = (value ^ kind) &* Self.prime
        value = (value ^ UInt64(truncatingIfNeeded: node)) &* Self.prime
        value = (value ^ UInt64(truncatingIfNeeded: bytes)) &* Self.prime
    }

    /// The digest as 16 lower-case hexadecimal digits.
    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
