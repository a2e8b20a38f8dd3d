import CairnCore
import Testing

@testable import CairnStore

@Suite struct GroupCommitTests {
    @Test func concurrentPutsShareCommits() async throws {
        let count = 2000
        let blobs = (0..<count).map { index in
            makeBlob(key: testKey(UInt8(index % 16 + 1)), channel: "c\(index / 16)", seq: 1)
        }
        try await withStore { store, _ in
            let recorder = CommitRecorder()
            store.setCommitObserver { recorder.record($0) }
            let results = try await withThrowingTaskGroup(of: PutResult.self) { group in
                for blob in blobs {
                    group.addTask { try await store.put(blob) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == count)
            #expect(results.allSatisfy { $0.outcome == .stored })
            #expect(recorder.commits < count, "puts were grouped into fewer transactions")
            #expect(recorder.events.map(\.seq) == Array(1...UInt64(count)))
            #expect(try store.stats().blobs == count)
            for blob in blobs { #expect(try store.has(blob.id)) }
        }
    }

    @Test func largePutIsSplitIntoBatchesOfMaxBatchBlobs() async throws {
        try await withStore(configure: { $0.maxBatchBlobs = 10 }) { store, _ in
            let recorder = CommitRecorder()
            store.setCommitObserver { recorder.record($0) }
            let blobs = makeBlobs(count: 35)
            let results = try await store.put(blobs)
            #expect(results.map(\.id) == blobs.map(\.id))
            #expect(recorder.commits == 4)
            #expect(try store.stats().blobs == 35)
        }
    }

    @Test func putBeyondThePendingBoundThrowsTooManyPending() async throws {
        try await withStore(configure: { $0.maxPendingWrites = 2 }) { store, _ in
            let gate = WriterGate()
            store.setCommitObserver { _ in gate.holdWriter() }
            let blobs = makeBlobs(count: 4)
            // The first put's commit holds the writer in the observer, so the next two stay queued.
            let held = Task { try await store.put(blobs[0]) }
            try await waitUntil { gate.writerIsHeld }
            let queued = [Task { try await store.put(blobs[1]) }, Task { try await store.put(blobs[2]) }]
            try await waitUntil { store.committer.queue.queuedUnits == 2 }
            await #expect(throws: StoreError.tooManyPending(limit: 2)) {
                try await store.put(blobs[3])
            }
            gate.open()
            #expect(try await held.value.outcome == .stored)
            for task in queued { #expect(try await task.value.outcome == .stored) }
            #expect(try store.has(blobs[3].id) == false)
        }
    }

    @Test func closeAnswersEveryInFlightPut() async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            let blobs = makeBlobs(count: 200)
            let store = try BlobStore(configuration: configuration)
            let tasks = blobs.map { blob in Task { try await store.put(blob) } }
            try await waitUntil { store.committer.queue.totalAcceptedUnits == blobs.count }
            store.close()
            for task in tasks {
                #expect(try await task.value.outcome == .stored)
            }
            let reopened = try BlobStore(configuration: configuration)
            defer { reopened.close() }
            #expect(try reopened.stats().blobs == blobs.count)
        }
    }

    @Test func closedStoreRefusesWritesAndReads() async throws {
        try await withStore { store, _ in
            let blob = makeBlob(seq: 1)
            _ = try await store.put(blob)
            store.close()
            store.close()
            await #expect(throws: StoreError.closed) { try await store.put(makeBlob(seq: 2)) }
            await #expect(throws: StoreError.closed) { try await store.appendEvent(topic: "x", data: []) }
            #expect(throws: StoreError.closed) { try store.get(blob.id) }
            #expect(throws: StoreError.closed) { try store.stats() }
        }
    }
}
