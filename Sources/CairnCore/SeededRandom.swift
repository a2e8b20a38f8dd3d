/// SplitMix64: a small, seeded, platform-independent generator, so the same seed gives the same mesh choices on
/// every toolchain.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole output is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (Lemire's multiply-high reduction; `bound` must be positive).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "empty range")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Fisher-Yates with this generator (not the standard library's shuffle, whose algorithm may change).
    public mutating func shuffle<Element>(_ elements: inout [Element]) {
        guard elements.count > 1 else { return }
        for index in 0..<(elements.count - 1) {
            elements.swapAt(index, index + below(elements.count - index))
        }
    }

    /// Up to `count` elements of `elements`, chosen uniformly without replacement, in the order drawn.
    public mutating func choose<Element>(_ count: Int, from elements: [Element]) -> [Element] {
        var pool = elements
        let taken = min(count, pool.count)
        for index in 0..<taken {
            pool.swapAt(index, index + below(pool.count - index))
        }
        return Array(pool.prefix(taken))
    }
}
