import CairnCore
import Testing

@testable import CairnProtocol

@Suite("Negentropy properties")
struct NegentropyPropertyTests {
    enum Overlap: CaseIterable {
        case overlapping, disjoint, equal, initiatorEmpty, responderEmpty
    }

    /// A seeded pair of sets of up to 2,000 items each, related as `overlap` says. Timestamps come from a narrow
    /// window in half the cases, so many items share a second and bounds need id prefixes.
    static func setPair(seed: Int, overlap: Overlap) -> (SortedSyncItems, SortedSyncItems, Set<BlobID>) {
        var generator = SeededRandom(seed: UInt64(seed) &* 0x9E37_79B9)
        let window = generator.below(2) == 0 ? 20 : 1_000_000
        func item() -> SyncItem {
            SyncItem(timestamp: 1_700_000_000 + UInt64(generator.below(window)), id: randomID(&generator))
        }
        let shared = (0..<generator.below(2001)).map { _ in item() }
        var onlyA: [SyncItem] = []
        var onlyB: [SyncItem] = []
        switch overlap {
        case .overlapping:
            let differences = [0, 1, 2, 5, 20, 100, 500][generator.below(7)]
            for _ in 0..<differences { generator.below(2) == 0 ? onlyA.append(item()) : onlyB.append(item()) }
        case .disjoint:
            onlyA = (0..<generator.below(2001)).map { _ in item() }
            onlyB = (0..<generator.below(2001)).map { _ in item() }
            return (
                SortedSyncItems(onlyA), SortedSyncItems(onlyB),
                Set(onlyA.map(\.id)).symmetricDifference(onlyB.map(\.id))
            )
        case .equal:
            break
        case .initiatorEmpty:
            return (SortedSyncItems(), SortedSyncItems(shared), Set(shared.map(\.id)))
        case .responderEmpty:
            return (SortedSyncItems(shared), SortedSyncItems(), Set(shared.map(\.id)))
        }
        return (
            SortedSyncItems(shared + onlyA), SortedSyncItems(shared + onlyB), Set(onlyA.map(\.id) + onlyB.map(\.id))
        )
    }

    static func check(seed: Int, initiator: NegentropyReconciler, responder: NegentropyReconciler) throws {
        let overlap = Overlap.allCases[seed % Overlap.allCases.count]
        let (a, b, difference) = setPair(seed: seed, overlap: overlap)
        let exchange = try reconcile(a, with: b, initiator: initiator, responder: responder)
        let aIDs = Set(a.items.map(\.id))
        #expect(Set(exchange.have) == difference.filter { aIDs.contains($0) }, "seed \(seed), \(overlap)")
        #expect(Set(exchange.need) == difference.subtracting(aIDs), "seed \(seed), \(overlap)")
        #expect(exchange.have.count + exchange.need.count == difference.count, "no id reported twice")
        // Traffic grows with the difference, not with the sets.
        let limit = max(initiator.frameSizeLimit, responder.frameSizeLimit)
        if limit == 0 { #expect(exchange.totalBytes <= 1_024 + 2_048 * difference.count, "seed \(seed), \(overlap)") }
        if limit != 0 { #expect(exchange.largestMessage <= limit, "seed \(seed)") }
    }

    @Test(arguments: 0..<300)
    func defaultStrategyFindsTheSymmetricDifference(seed: Int) throws {
        let reconciler = NegentropyReconciler(frameSizeLimit: 0)
        try Self.check(seed: seed, initiator: reconciler, responder: reconciler)
    }

    @Test(arguments: 300..<400)
    func mixedStrategiesAndFrameLimitsAgree(seed: Int) throws {
        let limits = [0, NegentropyReconciler.minimumFrameSizeLimit, 6_000, NegentropyReconciler.defaultFrameSizeLimit]
        let strategies: [NegentropySplitStrategy] = [.default, .reference]
        let initiator = NegentropyReconciler(frameSizeLimit: limits[seed % 4], strategy: strategies[seed % 2])
        let responder = NegentropyReconciler(
            frameSizeLimit: limits[(seed / 4) % 4],
            strategy: strategies[(seed / 2) % 2]
        )
        let overlap = Overlap.allCases[seed % Overlap.allCases.count]
        let (a, b, difference) = Self.setPair(seed: seed, overlap: overlap)
        let exchange = try reconcile(a, with: b, initiator: initiator, responder: responder, maxRoundTrips: 1_000)
        #expect(Set(exchange.have + exchange.need) == difference, "seed \(seed), \(overlap)")
        // A frame-limited message that runs out of room folds settled ranges into its last fingerprint, so an id
        // may be reported again in a later round; without a limit each is reported once.
        if initiator.frameSizeLimit == 0 && responder.frameSizeLimit == 0 {
            #expect(exchange.have.count + exchange.need.count == difference.count, "seed \(seed)")
        } else {
            #expect(exchange.have.count + exchange.need.count <= 2 * difference.count, "seed \(seed)")
        }
    }

    @Test(arguments: [NegentropyReconciler.minimumFrameSizeLimit, 10_000])
    func frameLimitedTransfersOfWholeSetsStayWithinTheLimit(limit: Int) throws {
        var generator = SeededRandom(seed: 99)
        let items = (0..<2_000).map { _ in SyncItem(timestamp: UInt64(generator.below(100)), id: randomID(&generator)) }
        let full = SortedSyncItems(items)
        let reconciler = NegentropyReconciler(frameSizeLimit: limit)
        for (a, b) in [(SortedSyncItems(), full), (full, SortedSyncItems())] {
            var exchange = NegentropyExchange()
            var message: [UInt8]? = try reconciler.initiate(a)
            while let query = message {
                exchange.roundTrips += 1
                #expect(query.count <= limit)
                let response = try reconciler.respond(to: query, storage: b)
                #expect(response.count <= limit)
                exchange.bytesSent += query.count
                exchange.bytesReceived += response.count
                let progress = try reconciler.reconcile(response, storage: a)
                exchange.have += progress.have
                exchange.need += progress.need
                message = progress.nextMessage
                try #require(exchange.roundTrips < 500)
            }
            #expect(Set(exchange.have + exchange.need) == Set(items.map(\.id)))
            #expect(exchange.have.count + exchange.need.count == items.count)
            // 64,000 bytes of ids to the initiator in frames of `limit` bytes need at least that many round trips.
            if a.count() == 0 { #expect(exchange.roundTrips >= 64_000 / limit) }
        }
    }

    @Test func aResponderLimitFoldsTheRestIntoOneFingerprint() throws {
        let items = SortedSyncItems(
            (0..<1_000).map { SyncItem(timestamp: UInt64($0), id: negentropyID(UInt8($0 % 256), UInt8($0 / 256))) }
        )
        let reconciler = NegentropyReconciler(frameSizeLimit: NegentropyReconciler.minimumFrameSizeLimit)
        let response = try reconciler.respond(to: bytes(hex: "6100000200"), storage: items)
        #expect(response.count <= NegentropyReconciler.minimumFrameSizeLimit)
        let ranges = try NegentropyMessage(decoding: response).ranges
        #expect(ranges.count == 2)
        guard case .idList(let ids) = ranges[0].payload, case .fingerprint = ranges[1].payload else {
            Issue.record("expected an id list and then a fingerprint")
            return
        }
        #expect(ids == items.items.prefix(ids.count).map(\.id))
        #expect(ranges[1].upperBound == .infinity)
    }
}
