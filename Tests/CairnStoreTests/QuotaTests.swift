import CairnCore
import Foundation
import Testing

@testable import CairnStore

@Suite struct QuotaTests {
    @Test func blobBeyondTheAuthorsBlobQuotaIsRefused() async throws {
        try await withStore(configure: { $0.quota = StoreQuota(authorMaxBlobs: 2) }) { store, _ throws in
            let blobs = makeBlobs(count: 3)
            #expect(try await store.put(blobs[0]).outcome == .stored)
            #expect(try await store.put(blobs[1]).outcome == .stored)
            #expect(try await store.put(blobs[2]).outcome == .refused(.authorBlobs(limit: 2)))
            #expect(try store.get(blobs[2].id) == nil)
            #expect(try store.stats().blobs == 2)
            // Another author has a quota of its own.
            #expect(try await store.put(makeBlob(key: testKey(2), seq: 1)).outcome == .stored)
            // A stored blob put again is a duplicate, not a refusal.
            #expect(try await store.put(blobs[1]).outcome == .duplicate)
        }
    }

    @Test func blobBeyondTheAuthorsByteQuotaIsRefused() async throws {
        try await withStore(configure: { $0.quota = StoreQuota(authorMaxBytes: 10) }) { store, _ throws in
            let first = makeBlob(seq: 1, payload: [UInt8](repeating: 1, count: 6))
            let second = makeBlob(seq: 2, prev: first.id, payload: [UInt8](repeating: 2, count: 6))
            let small = makeBlob(seq: 2, prev: first.id, payload: [UInt8](repeating: 3, count: 4))
            #expect(try await store.put(first).outcome == .stored)
            #expect(try await store.put(second).outcome == .refused(.authorBytes(limit: 10, stored: 6, payload: 6)))
            #expect(try await store.put(small).outcome == .stored)
        }
    }

    @Test func totalBoundRefusesAuthorsThatAreNotExempt() async throws {
        let exempt = testKey(2)
        try await withStore(configure: {
            $0.quota = StoreQuota(maxBytes: 10, exemptAuthors: [exempt.publicKey])
        }) { store, _ throws in
            let payload = [UInt8](repeating: 7, count: 6)
            #expect(try await store.put(makeBlob(key: testKey(1), seq: 1, payload: payload)).outcome == .stored)
            #expect(
                try await store.put(makeBlob(key: testKey(3), seq: 1, payload: payload)).outcome
                    == .refused(.totalBytes(limit: 10, stored: 6, payload: 6))
            )
            #expect(try await store.put(makeBlob(key: exempt, seq: 1, payload: payload)).outcome == .stored)
            #expect(try store.stats().payloadBytes == 12)
        }
    }

    @Test func exemptAuthorsPassEveryBound() async throws {
        let key = testKey(4)
        try await withStore(configure: {
            $0.quota = StoreQuota(authorMaxBytes: 1, authorMaxBlobs: 1, maxBytes: 1, exemptAuthors: [key.publicKey])
        }) { store, _ throws in
            let results = try await store.put(makeBlobs(key: key, count: 5))
            #expect(results.allSatisfy { $0.outcome == .stored })
        }
    }

    @Test func laterBlobsOfARefusedAuthorInOneWriteAreRefused() async throws {
        try await withStore(configure: { $0.quota = StoreQuota(authorMaxBytes: 10) }) { store, _ throws in
            let first = makeBlob(seq: 1, payload: [UInt8](repeating: 1, count: 4))
            let big = makeBlob(seq: 2, prev: first.id, payload: [UInt8](repeating: 2, count: 8))
            let after = makeBlob(seq: 3, prev: big.id, payload: [UInt8](repeating: 3, count: 1))
            let other = makeBlob(key: testKey(5), seq: 1)
            let results = try await store.put([first, big, after, other]).map(\.outcome)
            #expect(
                results == [
                    .stored, .refused(.authorBytes(limit: 10, stored: 4, payload: 8)), .refused(.authorRefusedEarlier),
                    .stored,
                ]
            )
            // In a later write the small blob fits (it waits for its prev, which this store refused).
            #expect(try await store.put(after).outcome == .stored)
        }
    }

    @Test func evidenceIsRecordedBeyondTheQuota() async throws {
        try await withStore(configure: { $0.quota = StoreQuota(authorMaxBlobs: 1) }) { store, _ throws in
            let first = makeBlob(seq: 1, payload: Array("one".utf8))
            let fork = makeBlob(seq: 1, payload: Array("two".utf8))
            #expect(try await store.put(first).outcome == .stored)
            #expect(try await store.put(fork).outcome == .refused(.authorBlobs(limit: 1)))
            let evidence = try Evidence.channelFork(first, fork)
            #expect(try await store.record([evidence]) == [evidence.id])
            #expect(try store.get(fork.id) != nil)
            // The evidence's blob counts: the author is still over its quota.
            #expect(try await store.put(makeBlob(seq: 2, prev: first.id)).outcome == .refused(.authorBlobs(limit: 1)))
        }
    }

    @Test func usageSurvivesReopenAndIsCountedWhenAnOlderStoreIsUpgraded() async throws {
        try await withTemporaryDirectory { path in
            let blobs = makeBlobs(count: 4)
            let unbounded = try BlobStore(configuration: StoreConfiguration(directory: path))
            _ = try await unbounded.put(Array(blobs[0..<3]))
            _ = try await unbounded.put(makeBlob(key: testKey(6), seq: 1))
            unbounded.close()
            try ReconciliationIndexStoreTests.withRawEnvironment(path) { (txn) throws(StoreError) in
                try BlobBodies.writeSchemaFourLayout(txn: txn)
                try txn.empty(try txn.openDatabase("authors", create: false)!)
                try txn.put(try txn.openDatabase("meta", create: false)!, Keys.schemaKey, Keys.uint32(3))
            }
            var configuration = StoreConfiguration(directory: path)
            configuration.quota = StoreQuota(authorMaxBlobs: 3)
            let logs = LogRecorder()
            let upgraded = try BlobStore(configuration: configuration, logger: logs.logger)
            #expect(logs.messages.contains("counted each author's stored blobs authors=2"))
            #expect(try await upgraded.put(blobs[3]).outcome == .refused(.authorBlobs(limit: 3)))
            #expect(try await upgraded.put(makeBlob(key: testKey(6), seq: 2)).outcome == .stored)
            upgraded.close()
            let reopened = try BlobStore(configuration: configuration)
            defer { reopened.close() }
            #expect(try await reopened.put(makeBlob(key: testKey(6), seq: 3)).outcome == .stored)
            #expect(
                try await reopened.put(makeBlob(key: testKey(6), seq: 4)).outcome == .refused(.authorBlobs(limit: 3))
            )
        }
    }
}

@Suite struct StorageFaultTests {
    /// A `data.mdb` cut short is refused at open with the sizes, before a page past its end is read (a SIGBUS).
    @Test func truncatedDataFileIsRefusedAtOpen() async throws {
        try await withTemporaryDirectory { path in
            let store = try BlobStore(configuration: StoreConfiguration(directory: path))
            _ = try await store.put(
                makeBlobs(count: 50).map { makeBlob(seq: $0.seq, payload: [UInt8](repeating: 9, count: 3000)) }
            )
            store.close()
            let file = path + "/data.mdb"
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            try handle.truncate(atOffset: UInt64(size / 2))
            try handle.close()
            let error = #expect(throws: StoreError.self) {
                try BlobStore(configuration: StoreConfiguration(directory: path))
            }
            guard case .truncated(let errorPath, let fileBytes, let expectedBytes) = error else {
                Issue.record("expected .truncated, got \(String(describing: error))")
                return
            }
            #expect(errorPath == path)
            #expect(fileBytes == size / 2)
            #expect(expectedBytes > fileBytes)
        }
    }

    @Test(arguments: [ENOSPC, EDQUOT, EFBIG])
    func noRoomIsStorageFull(code: Int32) {
        let error = LMDBEnvironment.error(code, "mdb_txn_commit", path: "/tmp/x")
        guard case .storageFull(let operation, let errorCode, _) = error else {
            Issue.record("expected .storageFull, got \(error)")
            return
        }
        #expect(operation == "mdb_txn_commit")
        #expect(errorCode == code)
    }
}
