import CairnCore

/// The work of answering one message: walks its ranges against a storage snapshot and writes the answer within
/// the frame size limit.
struct NegentropyRound<Storage: ReconciliationStorage> {
    let storage: Storage
    let isInitiator: Bool
    let strategy: NegentropySplitStrategy
    /// The frame size limit, or `nil` when there is none.
    let frameSizeLimit: Int?
    private(set) var writer = NegentropyWriter()
    private(set) var have: [BlobID] = []
    private(set) var need: [BlobID] = []
    private let itemCount: Int

    /// Room kept free for folding the rest of a message: a Skip and a fingerprint range, each with a whole bound
    /// (104 bytes).
    static var foldReserveBytes: Int {
        NegentropyWriter.maxBoundBytes + 1 + NegentropySplitStrategy.fingerprintRangeMaxBytes
    }

    init(storage: Storage, isInitiator: Bool, configuration: NegentropyReconciler) throws {
        self.storage = storage
        self.isInitiator = isInitiator
        self.strategy = configuration.strategy
        self.frameSizeLimit = configuration.frameSizeLimit == 0 ? nil : configuration.frameSizeLimit
        self.itemCount = try storage.count()
    }

    /// The ranks of the local items from `lower` up to `bound`.
    func ranks(upTo bound: NegentropyBound, from lower: Int) throws -> Range<Int> {
        if bound.isInfinity { return lower..<itemCount }
        return lower..<(try storage.lowerBound(of: bound.item, in: lower..<itemCount))
    }

    /// Answers every range of `message`. When the frame size limit is reached, the ranges left are folded: see
    /// `fold(_:from:openRun:skipPending:previousBound:)`.
    mutating func process(_ message: NegentropyMessage) throws {
        var spans: [Range<Int>] = []
        var needsAnswer: [Bool] = []
        spans.reserveCapacity(message.ranges.count)
        needsAnswer.reserveCapacity(message.ranges.count)
        var lower = 0
        var observations: [(count: Int, differs: Bool)] = []
        for range in message.ranges {
            let span = try ranks(upTo: range.upperBound, from: lower)
            spans.append(span)
            switch range.payload {
            case .skip:
                needsAnswer.append(false)
            case .fingerprint(let theirs):
                let differing = try storage.accumulator(of: span).fingerprint != theirs
                needsAnswer.append(differing)
                observations.append((span.count, differing))
            case .idList:
                needsAnswer.append(true)
            }
            lower = span.upperBound
        }
        let density = NegentropyDensityEstimate(strategy.subrangesPerDifference > 0 ? observations : [])
        let ranges = MessageRanges(ranges: message.ranges, spans: spans, needsAnswer: needsAnswer)

        var previousBound = NegentropyBound(timestamp: 0)
        var skipPending = false
        for (index, range) in message.ranges.enumerated() {
            let span = spans[index]
            let checkpoint = writer.checkpoint
            let skipPendingBefore = skipPending
            switch range.payload {
            case .skip:
                skipPending = true
            case .fingerprint:
                if needsAnswer[index] {
                    flushSkip(&skipPending, upTo: previousBound)
                    let expected = density.expectedDifferences(in: span.count)
                    try answerDifferingRange(span, upTo: range.upperBound, expected: expected)
                } else {
                    skipPending = true
                }
            case .idList(let theirs):
                if isInitiator {
                    try compare(theirs, with: span)
                    skipPending = true
                } else {
                    flushSkip(&skipPending, upTo: previousBound)
                    if let rest = try answerIDList(span, from: previousBound, upTo: range.upperBound) {
                        let run = Run(rank: rest.rank, lowerBound: rest.bound)
                        try fold(
                            ranges,
                            from: index + 1,
                            openRun: run,
                            skipPending: false,
                            previousBound: range.upperBound
                        )
                        return
                    }
                }
            }
            if exceedsLimit(writer.count) {
                writer.rollBack(to: checkpoint)
                try fold(
                    ranges,
                    from: index,
                    openRun: nil,
                    skipPending: skipPendingBefore,
                    previousBound: previousBound
                )
                return
            }
            previousBound = range.upperBound
        }
    }

    /// The ranges of the message being answered, with the local ranks each covers and whether each needs an answer
    /// (its fingerprint differs, or it is an id list).
    struct MessageRanges {
        var ranges: [NegentropyRange]
        var spans: [Range<Int>]
        var needsAnswer: [Bool]
    }

    /// A run of adjacent ranges that need an answer, folded into one fingerprint: where it starts.
    struct Run {
        var rank: Int
        var lowerBound: NegentropyBound
    }

    /// Ends a message that reached the frame size limit. Each run of ranges from `first` on that need an answer
    /// becomes one fingerprint range, with a Skip over the settled ranges between runs, while room lasts; the last
    /// fingerprint reaches the last range that needs an answer. Settled ranges (ids reported in earlier rounds) are
    /// thus not folded in, so they are not reconciled, and reported, again — unless room runs out first.
    private mutating func fold(
        _ message: MessageRanges,
        from first: Int,
        openRun: Run?,
        skipPending: Bool,
        previousBound: NegentropyBound
    ) throws {
        guard let last = message.needsAnswer.lastIndex(of: true) else { return }
        var run = openRun
        var skipPending = skipPending
        var previousBound = previousBound
        for index in first..<message.ranges.count {
            if message.needsAnswer[index] {
                if run == nil { run = Run(rank: message.spans[index].lowerBound, lowerBound: previousBound) }
            } else if let open = run {
                let cost =
                    (skipPending ? NegentropyWriter.maxBoundBytes + 1 : 0)
                    + NegentropySplitStrategy.fingerprintRangeMaxBytes
                if exceedsLimit(writer.count + cost) { break }
                try writeRun(open, upTo: previousBound, end: message.spans[index].lowerBound, skipPending: skipPending)
                run = nil
                skipPending = true
            } else {
                skipPending = true
            }
            previousBound = message.ranges[index].upperBound
        }
        if let open = run {
            let end = message.spans[last].upperBound
            try writeRun(open, upTo: message.ranges[last].upperBound, end: end, skipPending: skipPending)
        }
    }

    private mutating func writeRun(_ run: Run, upTo bound: NegentropyBound, end: Int, skipPending: Bool) throws {
        if skipPending { writer.appendSkip(upTo: run.lowerBound) }
        writer.appendFingerprint(try storage.accumulator(of: run.rank..<end).fingerprint, upTo: bound)
    }

    /// Writes the answer to a range whose fingerprints differ: its ids, or fingerprints of sub-ranges.
    mutating func answerDifferingRange(_ span: Range<Int>, upTo bound: NegentropyBound, expected: Double) throws {
        let budget = frameSizeLimit.map { $0 - 1 - Self.foldReserveBytes - NegentropyWriter.maxBoundBytes - 1 }
        let plan = strategy.plan(
            itemCount: span.count,
            expectedDifferences: expected,
            isInitiator: isInitiator,
            byteBudget: budget
        )
        switch plan {
        case .idList:
            writer.appendIDList(try storage.items(in: span).map(\.id), upTo: bound)
        case .split(let branching):
            let perBucket = span.count / branching
            let withExtra = span.count % branching
            var start = span.lowerBound
            for bucket in 0..<branching {
                let end = start + perBucket + (bucket < withExtra ? 1 : 0)
                let fingerprint = try storage.accumulator(of: start..<end).fingerprint
                let upper =
                    end == span.upperBound
                    ? bound
                    : NegentropyBound.minimal(between: try storage.item(at: end - 1), and: try storage.item(at: end))
                writer.appendFingerprint(fingerprint, upTo: upper)
                start = end
            }
        }
    }

    /// The responder's answer to an id list: its own ids in the range, as many as fit. Returns the rank of the
    /// first id left out and the bound the list ended at (`lowerBound` when none fit), if any was left out.
    private mutating func answerIDList(
        _ span: Range<Int>,
        from lowerBound: NegentropyBound,
        upTo bound: NegentropyBound
    ) throws -> (rank: Int, bound: NegentropyBound)? {
        guard let frameSizeLimit else {
            writer.appendIDList(try storage.items(in: span).map(\.id), upTo: bound)
            return nil
        }
        let room =
            frameSizeLimit - writer.count - Self.foldReserveBytes - NegentropySplitStrategy.rangeOverheadBytes
        let fitting = max(0, room / NegentropyMessage.idBytes)
        if fitting >= span.count {
            writer.appendIDList(try storage.items(in: span).map(\.id), upTo: bound)
            return nil
        }
        guard fitting > 0 else { return (span.lowerBound, lowerBound) }
        let items = try storage.items(in: span.lowerBound..<(span.lowerBound + fitting + 1))
        let cut = NegentropyBound.minimal(between: items[fitting - 1], and: items[fitting])
        writer.appendIDList(items.prefix(fitting).map(\.id), upTo: cut)
        return (span.lowerBound + fitting, cut)
    }

    /// The initiator's comparison of the responder's ids with its own in a range.
    private mutating func compare(_ theirs: [BlobID], with span: Range<Int>) throws {
        let ours = try storage.items(in: span)
        let ourIDs = Set(ours.map(\.id))
        var theirIDs = Set<BlobID>()
        theirIDs.reserveCapacity(theirs.count)
        for id in theirs where theirIDs.insert(id).inserted && !ourIDs.contains(id) { need.append(id) }
        for item in ours where !theirIDs.contains(item.id) { have.append(item.id) }
    }

    /// Writes a Skip up to `bound` if one is pending.
    private mutating func flushSkip(_ skipPending: inout Bool, upTo bound: NegentropyBound) {
        guard skipPending else { return }
        writer.appendSkip(upTo: bound)
        skipPending = false
    }

    private func exceedsLimit(_ count: Int) -> Bool {
        guard let frameSizeLimit else { return false }
        return count + Self.foldReserveBytes > frameSizeLimit
    }
}
