#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An estimate of differences per item, from which of a message's fingerprint ranges matched.
///
/// Differences are modelled as scattered at random (Poisson): a range of n items matches with probability
/// e^(−ρn). The estimate is ρ's maximum-likelihood value over the ranges. When no range matched that value is
/// unbounded, so half a range of mean size is counted as matched.
struct NegentropyDensityEstimate {
    /// Differences per item.
    private(set) var differencesPerItem: Double = 0

    /// Observes ranges of `count` local items, each with whether its fingerprints differed. Ranges with no local
    /// item say nothing about density here and are ignored.
    init(_ ranges: [(count: Int, differs: Bool)]) {
        let differing = ranges.filter { $0.differs && $0.count > 0 }.map { Double($0.count) }
        guard !differing.isEmpty else { return }
        var matchedItems = ranges.filter { !$0.differs }.reduce(0.0) { $0 + Double($1.count) }
        if matchedItems == 0 { matchedItems = 0.5 * differing.reduce(0, +) / Double(differing.count) }
        // Σ n / (e^(ρn) − 1) over differing ranges = matched items; the left side falls as ρ grows.
        func excess(_ rho: Double) -> Double {
            differing.reduce(0.0) { $0 + $1 / expm1(rho * $1) } - matchedItems
        }
        var low = -40.0
        var high = 10.0
        for _ in 0..<80 {
            let middle = (low + high) / 2
            if excess(exp(middle)) > 0 { low = middle } else { high = middle }
        }
        differencesPerItem = exp((low + high) / 2)
    }

    /// The expected number of differences in a differing range of `count` items (at least 1).
    func expectedDifferences(in count: Int) -> Double {
        let lambda = differencesPerItem * Double(count)
        guard lambda > 1e-9 else { return 1 }
        return lambda / -expm1(-lambda)
    }
}
