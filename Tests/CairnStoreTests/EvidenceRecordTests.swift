import CairnCore
import Foundation
import Testing

@testable import CairnStore

/// `record`: evidence a caller judged (a plug-in's kind) is stored with both its blobs, once, in one transaction.
@Suite struct EvidenceRecordTests {
    /// A kind the store does not detect itself, as the quorum's double-sign (kind 2) is.
    static let pluginKind = Evidence.Kind(rawValue: 2)

    /// Kind-2-like evidence: two blobs of one author on two channels (no channel fork).
    static func pluginEvidence(key: SigningKey = testKey(4)) -> Evidence {
        let a = makeBlob(key: key, channel: "quorum/sig", seq: 1, payload: [1])
        let b = makeBlob(key: key, channel: "quorum/sig-b", seq: 1, payload: [2])
        return try! Evidence.judged(kind: pluginKind, a, b)
    }

    @Test func recordStoresBothBlobsAndTheEvidenceOnceAndSurvivesReopen() async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            let evidence = Self.pluginEvidence()
            let expectedEvents: [StoredEvent] = [
                StoredEvent(seq: 1, kind: .blob(evidence.first.id)),
                StoredEvent(seq: 2, kind: .blob(evidence.second.id)),
                StoredEvent(seq: 3, kind: .evidence(evidence.id)),
            ]
            do {
                let store = try BlobStore(configuration: configuration)
                defer { store.close() }
                let recorder = CommitRecorder()
                store.setCommitObserver { recorder.record($0) }
                #expect(try await store.record([evidence]) == [evidence.id])
                #expect(recorder.commits == 1)
                #expect(recorder.storedBlobs == [evidence.first.id, evidence.second.id])
                #expect(recorder.events == expectedEvents)
                #expect(try store.has(evidence.first.id) && store.has(evidence.second.id))
                let stored = try #require(try store.evidence(evidence.id))
                #expect(stored.kind == Self.pluginKind && stored.encoding == evidence.encoding)

                // Twice, and inside one request: nothing new, no event.
                #expect(try await store.record([evidence, evidence]).isEmpty)
                #expect(try store.events(after: 0, limit: 10) == expectedEvents)
                let stats = try store.stats()
                #expect(stats.blobs == 2 && stats.evidence == 1 && stats.lastEventSeq == 3)
            }
            let store = try BlobStore(configuration: configuration)
            defer { store.close() }
            #expect(try store.evidenceList(limit: 10).map(\.encoding) == [evidence.encoding])
            #expect(try store.events(after: 0, limit: 10) == expectedEvents)
            #expect(try store.stats().evidence == 1)
            #expect(try await store.record([evidence]).isEmpty)
            #expect(try store.stats().lastEventSeq == 3)
        }
    }

    @Test func blobsAlreadyStoredAreNotStoredAgain() async throws {
        try await withStore { store, _ in
            let evidence = Self.pluginEvidence()
            _ = try await store.put([evidence.first, evidence.second])
            #expect(try await store.record([evidence]) == [evidence.id])
            #expect(try store.events(after: 2, limit: 10) == [StoredEvent(seq: 3, kind: .evidence(evidence.id))])
            #expect(try store.stats().blobs == 2)
        }
    }

    /// Both blobs in one slot: the channel fork the put path detects is recorded too, and reported first.
    @Test func pluginEvidenceInOneSlotRecordsTheChannelForkToo() async throws {
        try await withStore { store, _ in
            let a = makeBlob(key: testKey(5), channel: "quorum/sig", seq: 1, payload: [1])
            let b = makeBlob(key: testKey(5), channel: "quorum/sig", seq: 1, payload: [2])
            let evidence = try Evidence.judged(kind: Self.pluginKind, a, b)
            let fork = Evidence.id(kind: .channelFork, a.id, b.id)
            #expect(try await store.record([evidence]) == [fork, evidence.id])
            #expect(try store.stats().evidence == 2)
            #expect(try await store.record([evidence]).isEmpty)
        }
    }

    @Test func channelForkEvidenceIsRecordedOnce() async throws {
        try await withStore { store, _ in
            let a = makeBlob(key: testKey(6), seq: 1, payload: [1])
            let b = makeBlob(key: testKey(6), seq: 1, payload: [2])
            let fork = try Evidence.channelFork(a, b)
            #expect(try await store.record([fork]) == [fork.id])
            let evidenceEvents = try store.events(after: 0, limit: 10).filter { $0.topic == "evidence" }
            #expect(evidenceEvents.map(\.kind) == [.evidence(fork.id)])
        }
    }

    @Test func completionVariantAnswersWithTheNewIDs() async throws {
        try await withStore { (store, _) async throws -> Void in
            let evidence = Self.pluginEvidence()
            let result = await withCheckedContinuation { continuation in
                store.record([evidence]) { continuation.resume(returning: $0) }
            }
            #expect(try result.get() == [evidence.id])
        }
    }

    /// Garbage: an unverified blob (built from a trusted encoding), kind 0, a payload over the store's limit.
    static func garbage() -> [(String, Evidence)] {
        let key = testKey(7)
        let good = makeBlob(key: key, channel: "a", seq: 1, payload: [1])
        let other = makeBlob(key: key, channel: "b", seq: 1, payload: [2])
        var bytes = other.encoding
        bytes[bytes.count - 1] ^= 0x01
        let forged = try! SignedBlob(trustedEncoding: bytes)
        let large = makeBlob(key: key, channel: "c", seq: 1, payload: [UInt8](repeating: 3, count: 2_048))
        return [
            ("forged signature", try! Evidence.judged(kind: pluginKind, good, forged)),
            ("kind 0", try! Evidence.judged(kind: Evidence.Kind(rawValue: 0), good, other)),
            ("payload over the limit", try! Evidence.judged(kind: pluginKind, good, large)),
        ]
    }

    @Test(arguments: garbage())
    func garbageIsRefusedAndNothingIsStored(_ what: String, _ evidence: Evidence) async throws {
        try await withStore(configure: { $0.maxPayloadBytes = 1_024 }) { (store, _) async throws -> Void in
            await #expect(throws: StoreError.self, "\(what)") { try await store.record([evidence]) }
            do throws(StoreError) {
                _ = try await store.record([Self.pluginEvidence(), evidence])
                Issue.record("\(what) was recorded")
            } catch {
                guard case .invalidEvidence(let id, _) = error else {
                    Issue.record("\(what): \(error)")
                    return
                }
                #expect(id == evidence.id)
            }
            let refused = await withCheckedContinuation { continuation in
                store.record([evidence]) { continuation.resume(returning: $0) }
            }
            if case .success = refused { Issue.record("\(what) was recorded through the completion") }
            let stats = try store.stats()
            #expect(stats.blobs == 0 && stats.evidence == 0 && stats.lastEventSeq == 0)
        }
    }
}
