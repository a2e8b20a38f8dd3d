import CairnCore
import Testing

@testable import CairnStore

@Suite struct EventLogTests {
    @Test func eventsAreMonotonicAndResumable() async throws {
        try await withStore { store, _ in
            let blobs = makeBlobs(count: 30)
            for chunk in stride(from: 0, to: 30, by: 7) {
                _ = try await store.put(Array(blobs[chunk..<min(chunk + 7, 30)]))
            }
            var seen: [StoredEvent] = []
            var cursor: UInt64 = 0
            while true {
                let page = try store.events(after: cursor, limit: 4)
                guard let last = page.last else { break }
                seen += page
                cursor = last.seq
            }
            #expect(seen.map(\.seq) == Array(1...30))
            #expect(seen.map(\.kind) == blobs.map { .blob($0.id) })
            #expect(seen.allSatisfy { $0.topic == "blob" })
            #expect(try store.events(after: 30, limit: 10).isEmpty)
        }
    }

    @Test func customEventsShareTheLog() async throws {
        try await withStore { store, _ in
            _ = try await store.put(makeBlob(seq: 1))
            let event = try await store.appendEvent(topic: "quorum", data: [9, 8, 7])
            #expect(event == StoredEvent(seq: 2, kind: .custom(topic: "quorum", data: [9, 8, 7])))
            #expect(event.topic == "quorum")
            #expect(try store.events(after: 1, limit: 10) == [event])
        }
    }

    @Test(arguments: ["", "blob", "evidence", "chain", "lost", String(repeating: "x", count: 256)])
    func invalidCustomTopicIsRejected(topic: String) async throws {
        try await withStore { (store, _) async throws -> Void in
            await #expect(throws: StoreError.invalidEventTopic(topic: topic)) {
                try await store.appendEvent(topic: topic, data: [])
            }
            #expect(try store.stats().lastEventSeq == 0)
        }
    }

    @Test func commitObserverSeesEachCommitsEventsInOrder() async throws {
        try await withStore { store, _ in
            let recorder = CommitRecorder()
            store.setCommitObserver { recorder.record($0) }
            let a = makeBlob(key: testKey(9), seq: 1, payload: [1])
            let b = makeBlob(key: testKey(9), seq: 1, payload: [2])
            _ = try await store.put(a)
            let forked = try await store.put(b)
            _ = try await store.put(a)
            #expect(recorder.commits == 3)
            let expected: [StoredEvent] = [
                StoredEvent(seq: 1, kind: .blob(a.id)), StoredEvent(seq: 2, kind: .blob(b.id)),
                StoredEvent(seq: 3, kind: .evidence(forked.evidence[0])),
            ]
            #expect(recorder.events == expected)
            #expect(try store.events(after: 0, limit: 10) == expected)
        }
    }

    /// The log keeps the newest `maxRetainedEvents`; reading from before the oldest continues at the oldest kept, and
    /// sequences go on after the newest.
    @Test func logKeepsTheNewestEventsUpToItsRetention() async throws {
        try await withStore(configure: { $0.maxRetainedEvents = 5 }) { store, _ in
            let blobs = makeBlobs(count: 12)
            for blob in blobs { _ = try await store.put(blob) }
            let kept = try store.events(after: 0, limit: 100)
            #expect(kept.map(\.seq) == Array(8...12))
            #expect(kept.map(\.kind) == blobs.suffix(5).map { .blob($0.id) })
            #expect(try store.events(after: 3, limit: 100) == kept)
            let next = try await store.appendEvent(topic: "after", data: [])
            #expect(next.seq == 13)
            #expect(try store.events(after: 0, limit: 100).map(\.seq) == Array(9...13))
        }
    }

    /// A lowered retention is reached over several commits: each drops at most what it appended plus
    /// `extraEventsDroppedPerCommit`, so no commit has to delete the whole backlog.
    @Test func loweredRetentionIsReachedInBoundedSteps() async throws {
        try await withTemporaryDirectory { path in
            var configuration = StoreConfiguration(directory: path)
            configuration.durable = false
            let extra = BatchWriter.extraEventsDroppedPerCommit
            let total = 2 * extra + 100
            let store = try BlobStore(configuration: configuration)
            _ = try await store.put(makeBlobs(count: total))
            store.close()
            configuration.maxRetainedEvents = 10
            let reopened = try BlobStore(configuration: configuration)
            defer { reopened.close() }
            var oldest: [UInt64] = []
            for _ in 0..<3 {
                _ = try await reopened.appendEvent(topic: "tick", data: [])
                oldest.append(try #require(try reopened.events(after: 0, limit: 1).first).seq)
            }
            let dropped = UInt64(1 + extra)
            #expect(oldest == [1 + dropped, 1 + 2 * dropped, UInt64(total + 3 - 10 + 1)])
            #expect(try reopened.events(after: 0, limit: 100).count == 10)
        }
    }
}
