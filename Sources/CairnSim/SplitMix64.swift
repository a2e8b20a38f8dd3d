/// SplitMix64: the simulator's only source of randomness, seeded from the scenario seed, so the same seed draws the
/// same latencies, losses, churn and blob contents on every run and every platform.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole output is determined by `seed`.
    init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.finalise(state)
    }

    /// A value in `0..<bound` (Lemire's multiply-high reduction); `bound` must be positive.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "empty range")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A value in `range`, both ends included.
    mutating func uniform(_ range: ClosedRange<UInt64>) -> UInt64 {
        let span = range.upperBound - range.lowerBound
        guard span < UInt64.max else { return next() }
        return range.lowerBound + next().multipliedFullWidth(by: span + 1).high
    }

    /// `true` with probability `probability` (53 bits of resolution).
    mutating func chance(_ probability: Double) -> Bool {
        guard probability > 0 else { return false }
        return Double(next() >> 11) * 0x1.0p-53 < probability
    }

    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count + 7)
        while result.count < count {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) { result.append(UInt8(truncatingIfNeeded: word >> shift)) }
        }
        result.removeLast(result.count - count)
        return result
    }

    /// Up to `count` distinct elements of `elements`, drawn uniformly, in the order drawn (Fisher-Yates prefix).
    mutating func choose<Element>(_ count: Int, from elements: [Element]) -> [Element] {
        var pool = elements
        let taken = min(count, pool.count)
        for index in 0..<taken { pool.swapAt(index, index + below(pool.count - index)) }
        return Array(pool.prefix(taken))
    }

    /// A stateless mix of several values into one seed: a derived stream for one node, one pair, one incarnation.
    static func mix(_ values: UInt64...) -> UInt64 {
        var state: UInt64 = 0x6A09_E667_F3BC_C908
        for value in values {
            state = finalise((state ^ value) &+ 0x9E37_79B9_7F4A_7C15)
        }
        return state
    }

    private static func finalise(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
