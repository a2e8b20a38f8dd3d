import CairnCore
import Testing

@testable import CairnStore

@Suite struct ChannelTests {
    @Test func channelListsInSeqOrderWithAfterAndLimit() async throws {
        try await withStore { store, _ in
            let key = testKey(2)
            let blobs = makeBlobs(key: key, count: 10)
            for blob in blobs.shuffled() { _ = try await store.put(blob) }
            _ = try await store.put(makeBlobs(key: key, channel: "other", count: 3))
            _ = try await store.put(makeBlobs(key: testKey(3), count: 3))

            let name = channelName()
            #expect(try store.channel(author: key.publicKey, name: name, limit: 100).map(\.blob.id) == blobs.map(\.id))
            #expect(try store.channel(author: key.publicKey, name: name, limit: 3).map(\.blob.seq) == [1, 2, 3])
            #expect(
                try store.channel(author: key.publicKey, name: name, after: ChannelCursor(seq: 3), limit: 2).map(
                    \.blob.seq
                ) == [4, 5]
            )
            #expect(
                try store.channel(author: key.publicKey, name: name, after: ChannelCursor(seq: 10), limit: 5).isEmpty
            )
            #expect(try store.channel(author: key.publicKey, name: name, limit: 0).isEmpty)
            #expect(try store.channel(author: key.publicKey, name: channelName("nothing"), limit: 5).isEmpty)
            #expect(try store.channel(author: key.publicKey, name: channelName("other"), limit: 5).count == 3)
        }
    }

    @Test func channelNamesThatArePrefixesStayApart() async throws {
        try await withStore { store, _ in
            let key = testKey(2)
            _ = try await store.put(makeBlobs(key: key, channel: "a", count: 2))
            _ = try await store.put(makeBlobs(key: key, channel: "ab", count: 3))
            #expect(try store.channel(author: key.publicKey, name: channelName("a"), limit: 10).count == 2)
            #expect(try store.head(author: key.publicKey, name: channelName("a"))?.seq == 2)
            #expect(try store.head(author: key.publicKey, name: channelName("ab"))?.seq == 3)
        }
    }

    @Test func headIsTheHighestSeq() async throws {
        try await withStore { store, _ in
            let key = testKey(4)
            let name = channelName()
            #expect(try store.head(author: key.publicKey, name: name) == nil)
            let blobs = makeBlobs(key: key, count: 5)
            _ = try await store.put([blobs[0], blobs[4], blobs[2]])
            let head = try #require(try store.head(author: key.publicKey, name: name))
            #expect(head.seq == 5 && head.id == blobs[4].id)
            // A later channel of the same author (sorting after this one) does not leak into the head.
            _ = try await store.put(makeBlobs(key: key, channel: "zzz", count: 9))
            #expect(try store.head(author: key.publicKey, name: name)?.seq == 5)
            #expect(try store.head(author: key.publicKey, name: channelName("zzz"))?.seq == 9)
        }
    }

    @Test func headOfForkedSeqIsTheSmallestID() async throws {
        try await withStore { store, _ in
            let key = testKey(4)
            let a = makeBlob(key: key, seq: 3, payload: [1])
            let b = makeBlob(key: key, seq: 3, payload: [2])
            _ = try await store.put([a, b])
            let head = try #require(try store.head(author: key.publicKey, name: channelName()))
            #expect(head.seq == 3 && head.id == min(a.id, b.id))
        }
    }

    @Test func forkedChannelKeepsBothBlobsAndRecordsEvidence() async throws {
        try await withStore { store, _ in
            let key = testKey(5)
            let root = makeBlob(key: key, seq: 1)
            let first = makeBlob(key: key, seq: 2, prev: root.id, payload: Array("one".utf8))
            let second = makeBlob(key: key, seq: 2, prev: root.id, payload: Array("two".utf8))
            _ = try await store.put(root)
            #expect(try await store.put(first).evidence.isEmpty)
            let result = try await store.put(second)
            let evidenceID = Evidence.id(kind: .channelFork, first.id, second.id)
            #expect(result == PutResult(id: second.id, outcome: .stored, evidence: [evidenceID]))

            #expect(try store.has(first.id) && store.has(second.id))
            let listed = try store.channel(author: key.publicKey, name: channelName(), limit: 10)
            #expect(listed.map(\.blob.id) == [root.id] + [first.id, second.id].sorted())
            #expect(listed.allSatisfy { !$0.prevMismatch })
            let evidence = try #require(try store.evidence(evidenceID))
            #expect(evidence.kind == .channelFork)
            #expect(Set([evidence.first.id, evidence.second.id]) == [first.id, second.id])
            #expect(try store.evidenceList(limit: 10) == [evidence])
            #expect(try store.stats().evidence == 1)
            let events = try store.events(after: 0, limit: 10).map(\.kind)
            #expect(events == [.blob(root.id), .blob(first.id), .blob(second.id), .evidence(evidenceID)])
            // Putting the fork again is a duplicate and records nothing new.
            #expect(try await store.put(second) == PutResult(id: second.id, outcome: .duplicate))
            #expect(try store.stats().evidence == 1)
        }
    }

    @Test func forkInsideOneBatchRecordsEvidence() async throws {
        try await withStore { store, _ in
            let key = testKey(6)
            let a = makeBlob(key: key, seq: 1, payload: [1])
            let b = makeBlob(key: key, seq: 1, payload: [2])
            let results = try await store.put([a, b])
            let evidenceID = Evidence.id(kind: .channelFork, a.id, b.id)
            #expect(results[0].evidence.isEmpty)
            #expect(results[1].evidence == [evidenceID])
            #expect(try store.evidence(evidenceID) != nil)
        }
    }

    @Test func evidenceIDDoesNotDependOnArrivalOrder() async throws {
        let key = testKey(7)
        let a = makeBlob(key: key, seq: 4, payload: [1])
        let b = makeBlob(key: key, seq: 4, payload: [2])
        let forward = try await withStore { store, _ in
            _ = try await store.put(a)
            return try await store.put(b).evidence
        }
        let backward = try await withStore { store, _ in
            _ = try await store.put(b)
            let evidence = try await store.put(a).evidence
            #expect(try store.evidence(evidence[0])?.encoding == Evidence.channelFork(a, b).encoding)
            return evidence
        }
        #expect(forward.count == 1)
        #expect(forward == backward)
    }

    @Test func threeWayForkRecordsEveryPair() async throws {
        try await withStore { store, _ in
            let key = testKey(8)
            let blobs = (1...3).map { makeBlob(key: key, seq: 1, payload: [UInt8($0)]) }
            let results = try await store.put(blobs)
            #expect(results.map(\.evidence.count) == [0, 1, 2])
            #expect(Set(results.flatMap(\.evidence)).count == 3)
            #expect(try store.stats().evidence == 3)
            #expect(try store.evidenceList(limit: 2).count == 2)
            #expect(try store.channel(author: key.publicKey, name: channelName(), limit: 2).count == 2)
        }
    }

    @Test func syncIndexIsOrderedByTimestampThenID() async throws {
        try await withStore { store, _ in
            let late = makeBlob(key: testKey(1), seq: 1, timestamp: 300)
            let earlyA = makeBlob(key: testKey(2), seq: 1, timestamp: 100)
            let earlyB = makeBlob(key: testKey(3), seq: 1, timestamp: 100)
            let middle = makeBlob(key: testKey(4), seq: 1, timestamp: 200)
            _ = try await store.put([late, earlyA, middle, earlyB])

            let (lowEarly, highEarly) = earlyA.id < earlyB.id ? (earlyA, earlyB) : (earlyB, earlyA)
            let all = try store.syncIndex(after: nil, limit: 10)
            #expect(all.map(\.id) == [lowEarly.id, highEarly.id, middle.id, late.id])
            #expect(all.map(\.timestamp) == [100, 100, 200, 300])

            let page = try store.syncIndex(after: (100, lowEarly.id), limit: 2)
            #expect(page.map(\.id) == [highEarly.id, middle.id])
            #expect(try store.syncIndex(after: (300, late.id), limit: 10).isEmpty)
            // A cursor that names no stored entry resumes at the next one.
            #expect(try store.syncIndex(after: (150, BlobID.zero), limit: 10).map(\.id) == [middle.id, late.id])
        }
    }
}
