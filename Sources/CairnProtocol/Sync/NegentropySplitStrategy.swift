import CairnCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a reconciler answers a range whose fingerprints differ: with its ids, or with how many sub-ranges.
///
/// V1 leaves the choice to each side. The default sends ids only for ranges small enough that a list is cheaper
/// than another round (a responder's list ends the range; an initiator's list is answered by the responder's, so
/// it costs twice), and otherwise splits into at least the cube root of the range's size (so a million items
/// shrink to one in five or six levels) and at least `subrangesPerDifference` times the expected number of
/// differences in the range, estimated from how many of the peer's ranges matched.
public struct NegentropySplitStrategy: Hashable, Sendable {
    /// A responder answers a differing range of at most this many items with an id list.
    public var responderIDListLimit: Int
    /// An initiator answers a differing range of at most this many items with an id list.
    public var initiatorIDListLimit: Int
    /// The fewest sub-ranges a split makes (fewer when the range has fewer items).
    public var minimumBranching: Int
    /// The most sub-ranges the size rule alone asks for.
    public var maximumBranchingBySize: Int
    /// Sub-ranges per expected difference; 0 turns the estimate off.
    public var subrangesPerDifference: Double
    /// The most sub-ranges a split makes for any reason (the frame size limit may lower it further).
    public var maximumBranching: Int

    /// A strategy; see the properties.
    public init(
        responderIDListLimit: Int,
        initiatorIDListLimit: Int,
        minimumBranching: Int,
        maximumBranchingBySize: Int,
        subrangesPerDifference: Double,
        maximumBranching: Int
    ) {
        precondition(minimumBranching >= 2 && maximumBranchingBySize >= minimumBranching, "splits make 2 or more")
        precondition(maximumBranching >= maximumBranchingBySize, "the overall cap is at least the size cap")
        self.responderIDListLimit = responderIDListLimit
        self.initiatorIDListLimit = initiatorIDListLimit
        self.minimumBranching = minimumBranching
        self.maximumBranchingBySize = maximumBranchingBySize
        self.subrangesPerDifference = subrangesPerDifference
        self.maximumBranching = maximumBranching
    }

    /// Cairn's strategy: see the type's summary.
    public static let `default` = NegentropySplitStrategy(
        responderIDListLimit: 16,
        initiatorIDListLimit: 2,
        minimumBranching: 4,
        maximumBranchingBySize: 16,
        subrangesPerDifference: 2,
        maximumBranching: 128
    )

    /// The reference implementations' choice (hoytech/negentropy C++ and JS): 16 sub-ranges, an id list from
    /// either side below 32 items. For comparisons.
    public static let reference = NegentropySplitStrategy(
        responderIDListLimit: 31,
        initiatorIDListLimit: 31,
        minimumBranching: 16,
        maximumBranchingBySize: 16,
        subrangesPerDifference: 0,
        maximumBranching: 16
    )

    /// What to send for a differing range.
    enum Plan: Equatable {
        case idList
        case split(into: Int)
    }

    /// The answer to a differing range of `itemCount` items holding about `expectedDifferences` differences.
    /// `byteBudget` is what one range's answer may take (the frame size limit less the message's overheads), or
    /// `nil` when there is no limit.
    func plan(itemCount: Int, expectedDifferences: Double, isInitiator: Bool, byteBudget: Int?) -> Plan {
        let listLimit = isInitiator ? initiatorIDListLimit : responderIDListLimit
        let listFits = byteBudget.map { itemCount * NegentropyMessage.idBytes + Self.rangeOverheadBytes <= $0 } ?? true
        if itemCount <= 1 || (itemCount <= listLimit && listFits) { return .idList }
        let bySize = Int(cbrt(Double(itemCount)).rounded(.up))
        var branching = min(max(bySize, minimumBranching), maximumBranchingBySize)
        if subrangesPerDifference > 0 {
            let byDifferences = (expectedDifferences * subrangesPerDifference).rounded(.up)
            branching = max(branching, Int(min(byDifferences, Double(maximumBranching))))
        }
        branching = min(branching, maximumBranching, itemCount)
        if let byteBudget { branching = min(branching, max(2, byteBudget / Self.fingerprintRangeMaxBytes)) }
        return .split(into: branching)
    }

    /// The most bytes a fingerprint range takes: a whole bound, the mode and 16 bytes.
    static let fingerprintRangeMaxBytes = NegentropyWriter.maxBoundBytes + 1 + NegentropyMessage.fingerprintBytes
    /// The bytes of an id list range besides its ids, at most: a whole bound, the mode and a 10-byte count.
    static let rangeOverheadBytes = NegentropyWriter.maxBoundBytes + 1 + 10
}
