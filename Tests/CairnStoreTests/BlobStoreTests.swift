import CairnCore
import Foundation
import Testing

@testable import CairnStore

@Suite struct BlobStoreTests {
    @Test func putThenGetAndHasRoundTrip() async throws {
        try await withStore { store, _ in
            let blob = makeBlob(seq: 1)
            #expect(try store.has(blob.id) == false)
            #expect(try store.get(blob.id) == nil)
            let result = try await store.put(blob)
            #expect(result == PutResult(id: blob.id, outcome: .stored, evidence: []))
            #expect(try store.has(blob.id))
            let read = try #require(try store.get(blob.id))
            #expect(read.encoding == blob.encoding)
            #expect(read.author == blob.author && read.seq == 1 && read.channel == blob.channel)
        }
    }

    @Test func duplicatePutIsReportedAndAddsNoEvent() async throws {
        try await withStore { store, _ in
            let blob = makeBlob(seq: 1)
            #expect(try await store.put(blob).outcome == .stored)
            #expect(try await store.put(blob).outcome == .duplicate)
            let batch = try await store.put([blob, blob])
            #expect(batch.map(\.outcome) == [.duplicate, .duplicate])
            let stats = try store.stats()
            #expect(stats.blobs == 1)
            #expect(stats.lastEventSeq == 1)
            #expect(try store.events(after: 0, limit: 10) == [StoredEvent(seq: 1, kind: .blob(blob.id))])
        }
    }

    @Test func duplicateInsideOneBatchIsStoredOnce() async throws {
        try await withStore { store, _ in
            let blob = makeBlob(seq: 1)
            let results = try await store.put([blob, blob])
            #expect(results.map(\.outcome) == [.stored, .duplicate])
            #expect(try store.stats().blobs == 1)
        }
    }

    @Test func statsCountBlobsAndPayloadBytes() async throws {
        try await withStore { store, _ in
            let blobs = makeBlobs(count: 5)
            _ = try await store.put(blobs)
            let stats = try store.stats()
            #expect(stats.blobs == 5)
            #expect(stats.payloadBytes == blobs.reduce(0) { $0 + $1.payload.count })
            #expect(stats.evidence == 0)
            #expect(stats.lastEventSeq == 5)
            #expect(stats.mapSizeBytes == StoreConfiguration.defaultInitialMapSizeBytes)
        }
    }

    @Test func storeSurvivesCloseAndReopen() async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            let blobs = makeBlobs(count: 20)
            let fork = makeBlob(seq: 7, prev: blobs[5].id, payload: Array("fork".utf8))
            let key = testKey(1)
            do {
                let store = try BlobStore(configuration: configuration)
                _ = try await store.put(Array(blobs.reversed()))
                _ = try await store.put(fork)
                _ = try await store.appendEvent(topic: "plugin", data: [1, 2, 3])
                store.close()
            }
            let store = try BlobStore(configuration: configuration)
            defer { store.close() }
            let stats = try store.stats()
            #expect(stats.blobs == 21)
            #expect(stats.evidence == 1)
            #expect(stats.lastEventSeq == 20 + 2 + 1)
            let channel = try store.channel(author: key.publicKey, name: channelName(), limit: 100)
            let expectedSeqs: [UInt64] = (1...20).flatMap { (seq: UInt64) -> [UInt64] in seq == 7 ? [7, 7] : [seq] }
            #expect(channel.map(\.blob.seq) == expectedSeqs)
            let events = try store.events(after: 0, limit: 100)
            #expect(events.map(\.seq) == Array(1...23))
            #expect(events.last?.kind == .custom(topic: "plugin", data: [1, 2, 3]))
            // New writes continue the log after the reopened store's last event.
            let next = try await store.appendEvent(topic: "plugin", data: [])
            #expect(next.seq == 24)
        }
    }

    @Test func putEncodingStoresVerifiedBytes() async throws {
        try await withStore { store, _ in
            let blob = makeBlob(seq: 1)
            let result = try await store.put(encoding: blob.encoding)
            #expect(result.id == blob.id && result.outcome == .stored)
            #expect(try store.has(blob.id))
        }
    }

    @Test func putEncodingRejectsTamperedBytesAndStoresNothing() async throws {
        try await withStore { store, _ in
            var bytes = makeBlob(seq: 1).encoding
            bytes[bytes.count - SigningKey.signatureBytes - 1] ^= 0x01
            await #expect(throws: StoreError.invalidBlob(.badSignature)) {
                try await store.put(encoding: bytes)
            }
            await #expect(throws: StoreError.invalidBlob(.trailingBytes(count: 1))) {
                try await store.put(encoding: makeBlob(seq: 1).encoding + [0])
            }
            let stats = try store.stats()
            #expect(stats.blobs == 0 && stats.lastEventSeq == 0)
            #expect(try store.syncIndex(after: nil, limit: 10).isEmpty)
        }
    }

    @Test func putEncodingEnforcesMaxPayloadBytes() async throws {
        try await withStore(configure: { $0.maxPayloadBytes = 16 }) { store, _ in
            let blob = makeBlob(seq: 1, payload: [UInt8](repeating: 7, count: 17))
            await #expect(throws: StoreError.invalidBlob(.blobTooLarge(size: 17, limit: 16))) {
                try await store.put(encoding: blob.encoding)
            }
        }
    }

    @Test func newDirectoryIsCreatedPrivate() async throws {
        try await withTemporaryDirectory { path in
            let nested = path + "/node/store"
            let store = try BlobStore(configuration: StoreConfiguration(directory: nested))
            store.close()
            let attributes = try FileManager.default.attributesOfItem(atPath: nested)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            #expect(FileManager.default.fileExists(atPath: nested + "/data.mdb"))
        }
    }
}
