import CairnCore
import Testing

@testable import CairnStore

/// What the chain index should say about a set of stored blobs, computed from the definitions by brute force.
struct ChainModel {
    /// Ids of the linked blobs.
    let linked: Set<BlobID>
    /// Ids of the prev mismatches (listed or not).
    let mismatches: Set<BlobID>
    /// Per channel (author ‖ name), the highest linked seq.
    let heights: [String: UInt64]
    /// Per channel, the listing as (id, prevMismatch), in (seq, id) order.
    let listings: [String: [ChannelListingItem]]

    struct ChannelListingItem: Equatable {
        let id: BlobID
        let prevMismatch: Bool
    }

    static func channelKey(_ blob: SignedBlob) -> String { "\(blob.author.hex)/\(blob.channel.value)" }

    init(_ blobs: some Collection<SignedBlob>) {
        let byChannel = Dictionary(grouping: blobs, by: Self.channelKey)
        var linked: Set<BlobID> = []
        var mismatches: Set<BlobID> = []
        var heights: [String: UInt64] = [:]
        var listings: [String: [ChannelListingItem]] = [:]
        for (channel, members) in byChannel {
            let bySeq = Dictionary(grouping: members, by: \.seq)
            // Linked, by seq ascending: a blob is linked when it is seq 1 or its prev is linked (at seq − 1).
            var height: UInt64 = 0
            for seq in bySeq.keys.sorted() {
                for blob in bySeq[seq]! where seq == 1 || linked.contains(blob.prev) {
                    linked.insert(blob.id)
                    height = max(height, seq)
                }
            }
            for blob in members where blob.seq > 1 {
                let below = Set((bySeq[blob.seq - 1] ?? []).map(\.id))
                if !below.isEmpty && !below.contains(blob.prev) { mismatches.insert(blob.id) }
            }
            heights[channel] = height
            listings[channel] =
                members
                .filter { linked.contains($0.id) || (mismatches.contains($0.id) && $0.seq - 1 <= height) }
                .sorted { ($0.seq, $0.id) < ($1.seq, $1.id) }
                .map { ChannelListingItem(id: $0.id, prevMismatch: !linked.contains($0.id)) }
        }
        self.linked = linked
        self.mismatches = mismatches
        self.heights = heights
        self.listings = listings
    }
}

/// Blobs of a few channels with forks, holes and prevs that name blobs never stored, from a seed.
func randomChannelBlobs(seed: UInt64) -> [SignedBlob] {
    var rng = SeededRandom(seed: seed)
    var all: [SignedBlob] = []
    for (keyByte, name) in [(UInt8(21), "a"), (21, "b"), (22, "a")] {
        let key = testKey(keyByte)
        // Tips of the branches grown so far; each step extends some of them.
        var tips: [SignedBlob] = []
        var counter = 0
        func sign(seq: UInt64, prev: BlobID?) -> SignedBlob {
            counter += 1
            return makeBlob(
                key: key,
                channel: name,
                seq: seq,
                prev: prev,
                timestamp: 1_700_000_000_000 + UInt64(counter),
                payload: Array("\(name) \(seq) \(counter)".utf8)
            )
        }
        tips.append(sign(seq: 1, prev: nil))
        if rng.next() % 4 == 0 { tips.append(sign(seq: 1, prev: nil)) }
        var channel = tips
        let length = 3 + Int(rng.next() % 8)
        for _ in 1..<length {
            var next: [SignedBlob] = []
            for tip in tips {
                next.append(sign(seq: tip.seq + 1, prev: tip.id))
                // A fork: a second blob on the same prev.
                if rng.next() % 6 == 0 { next.append(sign(seq: tip.seq + 1, prev: tip.id)) }
            }
            // A blob whose prev names a blob at seq − 1 that is never stored.
            if rng.next() % 5 == 0, let tip = tips.first { next.append(sign(seq: tip.seq + 1, prev: nil)) }
            // Keep at most three branches alive.
            tips = Array(next.prefix(3))
            channel += next
        }
        // Holes: drop a few blobs for good.
        channel = channel.filter { _ in rng.next() % 9 != 0 }
        all += channel
    }
    return all
}

/// Puts `blobs` in the order given, in batches of random size, checking the index against the model after each
/// batch. Returns the event log.
func putAndCheck(
    _ blobs: [SignedBlob],
    into store: BlobStore,
    rng: inout SeededRandom,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> [StoredEvent] {
    var stored: [SignedBlob] = []
    var index = 0
    while index < blobs.count {
        let size = 1 + Int(rng.next() % 4)
        let batch = Array(blobs[index..<min(index + size, blobs.count)])
        _ = try await store.put(batch)
        stored += batch
        index += batch.count
        try expectIndexMatches(store, ChainModel(stored), stored, sourceLocation: sourceLocation)
    }
    return try store.events(after: 0, limit: 100_000)
}

func expectIndexMatches(
    _ store: BlobStore,
    _ model: ChainModel,
    _ blobs: [SignedBlob],
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    for blob in blobs {
        #expect(try store.isLinked(blob.id) == model.linked.contains(blob.id), sourceLocation: sourceLocation)
    }
    for (channel, listing) in model.listings {
        let sample = blobs.first { ChainModel.channelKey($0) == channel }!
        let listed = try store.channel(author: sample.author, name: sample.channel, limit: 10_000)
        let items = listed.map { ChainModel.ChannelListingItem(id: $0.blob.id, prevMismatch: $0.prevMismatch) }
        #expect(items == listing, sourceLocation: sourceLocation)
        #expect(
            try store.chainHeight(author: sample.author, name: sample.channel) == model.heights[channel],
            sourceLocation: sourceLocation
        )
    }
}

/// Checks the log's chain guarantees for the final `blobs`: one `blob` event per linked blob, each after the event of
/// the blob its `prev` names; one `chain` event per final mismatch, at most one per blob.
func expectEventLogKeepsChains(
    _ events: [StoredEvent],
    _ blobs: [SignedBlob],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let model = ChainModel(blobs)
    let byID = Dictionary(uniqueKeysWithValues: blobs.map { ($0.id, $0) })
    var position: [BlobID: Int] = [:]
    var mismatchEvents: [BlobID] = []
    for (offset, event) in events.enumerated() {
        switch event.kind {
        case .blob(let id):
            #expect(position[id] == nil, "blob \(id.hex) has two events", sourceLocation: sourceLocation)
            position[id] = offset
        case .prevMismatch(let id): mismatchEvents.append(id)
        default: break
        }
    }
    #expect(Set(position.keys) == model.linked, sourceLocation: sourceLocation)
    #expect(mismatchEvents.count == Set(mismatchEvents).count, sourceLocation: sourceLocation)
    #expect(model.mismatches.isSubset(of: Set(mismatchEvents)), sourceLocation: sourceLocation)
    for (id, offset) in position {
        let blob = byID[id]!
        guard blob.seq > 1 else { continue }
        let prevOffset = position[blob.prev]
        #expect(prevOffset != nil && prevOffset! < offset, sourceLocation: sourceLocation)
    }
}

@Suite struct ChainTests {
    @Test func reverseOrderChainIsListedOnlyWhenCompleteAndInOrder() async throws {
        try await withStore { store, _ in
            let key = testKey(12)
            let blobs = makeBlobs(key: key, count: 10)
            for blob in blobs.reversed().dropLast() {
                let result = try await store.put(blob)
                #expect(result.outcome == .stored)
                #expect(try store.channel(author: key.publicKey, name: channelName(), limit: 100).isEmpty)
                #expect(try store.chainHeight(author: key.publicKey, name: channelName()) == 0)
            }
            // Stored (and held by every other read) but not yet in the log.
            #expect(try store.stats().blobs == 9)
            #expect(try store.get(blobs[5].id) == blobs[5])
            #expect(try store.events(after: 0, limit: 100).isEmpty)

            let recorder = CommitRecorder()
            store.setCommitObserver { recorder.record($0) }
            _ = try await store.put(blobs[0])
            let listed = try store.channel(author: key.publicKey, name: channelName(), limit: 100)
            #expect(listed.map(\.blob.id) == blobs.map(\.id))
            #expect(listed.allSatisfy { !$0.prevMismatch })
            #expect(try store.chainHeight(author: key.publicKey, name: channelName()) == 10)
            #expect(try store.events(after: 0, limit: 100).map(\.kind) == blobs.map { .blob($0.id) })
            // The commit observer sees the one blob this commit stored, and the ten events it appended.
            #expect(recorder.storedBlobs == [blobs[0].id])
            #expect(recorder.events.map(\.kind) == blobs.map { .blob($0.id) })
        }
    }

    @Test func commitObserverSeesEveryStoredBlobAtOnce() async throws {
        try await withStore { store, _ in
            let recorder = CommitRecorder()
            store.setCommitObserver { recorder.record($0) }
            let blobs = makeBlobs(key: testKey(13), count: 3)
            _ = try await store.put(blobs[2])
            _ = try await store.put(blobs[1])
            #expect(recorder.storedBlobs == [blobs[2].id, blobs[1].id])
            #expect(recorder.events.isEmpty)
        }
    }

    /// The same blobs, committed in different orders and batches, give the same listing and linked set; the log
    /// keeps each chain in order.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func arrivalOrderDoesNotChangeTheIndex(seed: UInt64) async throws {
        let blobs = randomChannelBlobs(seed: 0xC4A1_0000 + seed)
        var rng = SeededRandom(seed: seed)
        let orders: [[SignedBlob]] = [
            blobs,
            blobs.reversed(),
            blobs.shuffled(using: &rng),
            blobs.sorted { ($0.seq, $0.id) > ($1.seq, $1.id) },
            blobs.shuffled(using: &rng),
        ]
        for order in orders {
            try await withStore { store, _ in
                let events = try await putAndCheck(order, into: store, rng: &rng)
                expectEventLogKeepsChains(events, order)
            }
        }
    }

    @Test func prevContradictingTheStoredPredecessorIsListedAndRaised() async throws {
        try await withStore { store, _ in
            let key = testKey(14)
            let root = makeBlob(key: key, seq: 1)
            let a = makeBlob(key: key, seq: 2, prev: root.id, payload: [1])
            let otherA = makeBlob(key: key, seq: 2, prev: root.id, payload: [2])
            let b = makeBlob(key: key, seq: 3, prev: otherA.id)
            _ = try await store.put([root, a])
            #expect(try await store.put(b).evidence.isEmpty)

            var listed = try store.channel(author: key.publicKey, name: channelName(), limit: 10)
            #expect(listed.map(\.blob.id) == [root.id, a.id, b.id])
            #expect(listed.map(\.prevMismatch) == [false, false, true])
            #expect(try store.chainHeight(author: key.publicKey, name: channelName()) == 2)
            #expect(try !store.isLinked(b.id))
            #expect(
                try store.events(after: 0, limit: 10).map(\.kind) == [.blob(root.id), .blob(a.id), .prevMismatch(b.id)]
            )
            #expect(try store.events(after: 2, limit: 1).first?.topic == "chain")

            // The blob b names arrives: a fork at seq 2, and b is linked through it.
            let result = try await store.put(otherA)
            let evidenceID = Evidence.id(kind: .channelFork, a.id, otherA.id)
            #expect(result.evidence == [evidenceID])
            listed = try store.channel(author: key.publicKey, name: channelName(), limit: 10)
            #expect(listed.map(\.blob.id) == [root.id] + [a.id, otherA.id].sorted() + [b.id])
            #expect(listed.allSatisfy { !$0.prevMismatch })
            #expect(try store.chainHeight(author: key.publicKey, name: channelName()) == 3)
            #expect(
                try store.events(after: 3, limit: 10).map(\.kind) == [
                    .blob(otherA.id), .blob(b.id), .evidence(evidenceID),
                ]
            )
        }
    }

    @Test func mismatchIsRaisedWhenTheFirstPredecessorArrivesLater() async throws {
        try await withStore { store, _ in
            let key = testKey(15)
            let root = makeBlob(key: key, seq: 1)
            let a = makeBlob(key: key, seq: 2, prev: root.id, payload: [1])
            let b = makeBlob(key: key, seq: 3)  // its prev names a seq-2 blob that is never stored
            let c = makeBlob(key: key, seq: 4, prev: b.id)
            _ = try await store.put([b, c, root])
            #expect(try store.events(after: 0, limit: 10).map(\.kind) == [.blob(root.id)])
            _ = try await store.put(a)
            #expect(try store.events(after: 1, limit: 10).map(\.kind) == [.blob(a.id), .prevMismatch(b.id)])
            // b is listed, marked; c (b's child) waits, since b is not linked.
            let listed = try store.channel(author: key.publicKey, name: channelName(), limit: 10)
            #expect(listed.map(\.blob.id) == [root.id, a.id, b.id])
            #expect(listed.map(\.prevMismatch) == [false, false, true])
        }
    }

    @Test func forkedSeqIsPagedWithACursorThroughEveryBlob() async throws {
        try await withStore { store, _ in
            let key = testKey(16)
            let root = makeBlob(key: key, seq: 1)
            let forks = (1...3).map { makeBlob(key: key, seq: 2, prev: root.id, payload: [UInt8($0)]) }
            let tip = makeBlob(key: key, seq: 3, prev: forks[1].id)
            _ = try await store.put([tip, forks[2], root, forks[0], forks[1]])
            let expected = [root.id] + forks.map(\.id).sorted() + [tip.id]

            var cursor = ChannelCursor.start
            var paged: [BlobID] = []
            while true {
                let page = try store.channel(author: key.publicKey, name: channelName(), after: cursor, limit: 1)
                guard let last = page.last else { break }
                paged += page.map(\.blob.id)
                cursor = last.cursor
            }
            #expect(paged == expected)
            // A seq-only cursor skips the rest of its seq; a cursor naming no stored blob resumes after its position.
            let afterSeq2 = try store.channel(
                author: key.publicKey,
                name: channelName(),
                after: .init(seq: 2),
                limit: 9
            )
            #expect(afterSeq2.map(\.blob.id) == [tip.id])
            let middle = ChannelCursor(seq: 2, id: BlobID(unchecked: [UInt8](repeating: 0x80, count: 32)))
            let fromMiddle = try store.channel(author: key.publicKey, name: channelName(), after: middle, limit: 9)
            #expect(fromMiddle.map(\.blob.id) == expected.filter { $0 > middle.id! && $0 != root.id })
            #expect(
                try store.channel(author: key.publicKey, name: channelName(), after: .init(seq: .max), limit: 9).isEmpty
            )
            let last = ChannelCursor(seq: .max, id: BlobID(unchecked: [UInt8](repeating: 0xff, count: 32)))
            #expect(try store.channel(author: key.publicKey, name: channelName(), after: last, limit: 9).isEmpty)
        }
    }

    @Test func schemaTwoStoreIsUpgradedToTheSameChainIndex() async throws {
        try await withTemporaryDirectory { path in
            var rng = SeededRandom(seed: 0xC4A1_0100)
            var blobs: [SignedBlob] = []
            var seen: Set<BlobID> = []
            // Seeds share keys and channel names, so some blobs repeat: keep each once.
            for seed in UInt64(1)...4 {
                blobs += randomChannelBlobs(seed: 0xC4A1_0200 + seed).filter { seen.insert($0.id).inserted }
            }
            // Keep one linked root back, to see the upgraded index release its chain.
            let heldBack = blobs.first { $0.seq == 1 }!
            let stored = blobs.filter { $0.id != heldBack.id }.shuffled(using: &rng)
            let configuration = StoreConfiguration(directory: path)
            let fresh = try BlobStore(configuration: configuration)
            _ = try await fresh.put(stored)
            let eventsBefore = try fresh.stats().lastEventSeq
            fresh.close()
            try ReconciliationIndexStoreTests.withRawEnvironment(path) { (txn) throws(StoreError) in
                try BlobBodies.writeSchemaFourLayout(txn: txn)
                for name in ["chain-heights", "chain-waiting", "chain-unlinked"] {
                    try txn.deleteDatabase(try txn.openDatabase(name, create: false)!)
                }
                try txn.put(try txn.openDatabase("meta", create: false)!, Keys.schemaKey, Keys.uint32(2))
            }

            let logs = LogRecorder()
            let upgraded = try BlobStore(configuration: configuration, logger: logs.logger)
            defer { upgraded.close() }
            #expect(try ReconciliationIndexStoreTests.schema(path, open: upgraded) == BlobStore.schemaVersion)
            let model = ChainModel(stored)
            #expect(
                logs.messages.contains(
                    "upgrading the store's schema directory=\(path) from=2 to=\(BlobStore.schemaVersion)"
                )
            )
            #expect(
                logs.messages.contains(
                    "built the chain index blobs=\(stored.count) unlinked=\(stored.count - model.linked.count)"
                )
            )
            #expect(!logs.messages.contains { $0.hasPrefix("building the reconciliation index") })
            try expectIndexMatches(upgraded, model, stored)
            // The upgrade appends no events.
            #expect(try upgraded.stats().lastEventSeq == eventsBefore)

            _ = try await upgraded.put(heldBack)
            try expectIndexMatches(upgraded, ChainModel(blobs), blobs)
            let released = try upgraded.events(after: eventsBefore, limit: 10_000)
            #expect(released.first?.kind == .blob(heldBack.id))
        }
    }

    @Test(arguments: [
        ("0", ChannelCursor(seq: 0)),
        ("7", ChannelCursor(seq: 7)),
        ("18446744073709551615", ChannelCursor(seq: .max)),
        (
            "2." + String(repeating: "0a", count: 32),
            ChannelCursor(seq: 2, id: BlobID(hex: String(repeating: "0a", count: 32)))
        ),
    ])
    func cursorTextRoundTrips(text: String, cursor: ChannelCursor) {
        #expect(ChannelCursor(text) == cursor)
        #expect(cursor.description == text)
    }

    @Test(arguments: [
        "", "-1", "+1", "01", "00", " 1", "1 ", "x", "1.", ".1", "18446744073709551616", "99999999999999999999999",
        "1." + String(repeating: "A", count: 64), "1." + String(repeating: "a", count: 63),
        "1." + String(repeating: "a", count: 65), "1.." + String(repeating: "a", count: 64),
        "1." + String(repeating: "g", count: 64), "1.0x" + String(repeating: "a", count: 62), "1,2", "٣",
    ])
    func malformedCursorTextIsRejected(text: String) {
        #expect(ChannelCursor(text) == nil)
    }
}
