import CairnCore
import Foundation
import Testing

@testable import CairnStore

@Suite struct PeerBookTests {
    @Test func rememberedPeersListMostRecentlySeenFirstAndForgetRemovesThem() async throws {
        try await withStore { store, _ in
            let older = PeerRecord(host: "10.0.0.1", port: 7700, lastSeenMilliseconds: 1_000)
            let newest = PeerRecord(host: "node.example", port: 7701, lastSeenMilliseconds: 3_000)
            let middle = PeerRecord(host: "::1", port: 7700, lastSeenMilliseconds: 2_000)
            for record in [older, newest, middle] { try await store.rememberPeer(record) }

            #expect(try store.peers(limit: 10) == [newest, middle, older])
            #expect(try store.peers(limit: 2) == [newest, middle])
            #expect(try store.peers(limit: 0) == [])

            try await store.forgetPeer(host: "node.example", port: 7701)
            try await store.forgetPeer(host: "10.0.0.1", port: 9999)
            #expect(try store.peers(limit: 10) == [middle, older])
        }
    }

    @Test func rememberingAnAddressAgainReplacesItsLastSeen() async throws {
        try await withStore { store, _ in
            try await store.rememberPeer(PeerRecord(host: "a.example", port: 1, lastSeenMilliseconds: 100))
            try await store.rememberPeer(PeerRecord(host: "b.example", port: 1, lastSeenMilliseconds: 200))
            let seenAgain = PeerRecord(host: "a.example", port: 1, lastSeenMilliseconds: 300)
            try await store.rememberPeer(seenAgain)
            #expect(
                try store.peers(limit: 10) == [
                    seenAgain, PeerRecord(host: "b.example", port: 1, lastSeenMilliseconds: 200),
                ]
            )
            // The same host on another port is another peer.
            try await store.rememberPeer(PeerRecord(host: "a.example", port: 2, lastSeenMilliseconds: 50))
            #expect(try store.peers(limit: 10).count == 3)
        }
    }

    @Test func peerBookEvictsTheLeastRecentlySeenBeyondItsBound() async throws {
        try await withStore(configure: { $0.maxPeerRecords = 3 }) { store, _ in
            let times: [UInt64] = [40, 10, 50, 30, 20]
            for (index, time) in times.enumerated() {
                try await store.rememberPeer(PeerRecord(host: "h\(index)", port: 7700, lastSeenMilliseconds: time))
            }
            #expect(try store.peers(limit: 10).map(\.lastSeenMilliseconds) == [50, 40, 30])

            // Refreshing a kept peer evicts nothing; a record older than every kept one is evicted at once.
            try await store.rememberPeer(PeerRecord(host: "h3", port: 7700, lastSeenMilliseconds: 60))
            try await store.rememberPeer(PeerRecord(host: "late", port: 7700, lastSeenMilliseconds: 1))
            #expect(try store.peers(limit: 10).map(\.host) == ["h3", "h2", "h0"])
            #expect(try store.peers(limit: 10).count == 3)
        }
    }

    @Test func peersAndBansSurviveCloseAndReopen() async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            let peer = PeerRecord(host: "node.example", port: 7700, lastSeenMilliseconds: 1_700_000_000_000)
            let ban = BanRecord(key: testKey(3).publicKey, untilMilliseconds: 2_000_000_000_000, reason: "forged blob")
            let store = try BlobStore(configuration: configuration)
            try await store.rememberPeer(peer)
            try await store.ban(ban)
            store.close()
            await #expect(throws: StoreError.closed) { try await store.rememberPeer(peer) }
            await #expect(throws: StoreError.closed) { try await store.ban(ban) }

            let reopened = try BlobStore(configuration: configuration)
            defer { reopened.close() }
            #expect(try reopened.peers(limit: 10) == [peer])
            #expect(try reopened.bans(now: 1_700_000_000_000) == [ban])
        }
    }

    @Test func expiredBansAreNotReturned() async throws {
        try await withStore { store, _ in
            let now: UInt64 = 1_700_000_000_000
            let expired = BanRecord(key: testKey(1).publicKey, untilMilliseconds: now - 1, reason: "old")
            let endingNow = BanRecord(key: testKey(2).publicKey, untilMilliseconds: now, reason: "ends now")
            let active = BanRecord(key: testKey(3).publicKey, untilMilliseconds: now + 1, reason: "still banned")
            for ban in [expired, endingNow, active] { try await store.ban(ban) }
            #expect(try store.bans(now: now) == [active])
            #expect(try store.bans(now: now - 2).count == 3)
            #expect(try store.bans(now: now + 1) == [])
        }
    }

    @Test func unbanLiftsTheBanAndBanningAgainReplacesIt() async throws {
        try await withStore { store, _ in
            let key = testKey(4).publicKey
            try await store.ban(BanRecord(key: key, untilMilliseconds: 500, reason: "first"))
            let extended = BanRecord(key: key, untilMilliseconds: 900, reason: "again")
            try await store.ban(extended)
            #expect(try store.bans(now: 0) == [extended])
            try await store.unban(key)
            try await store.unban(testKey(5).publicKey)
            #expect(try store.bans(now: 0) == [])
        }
    }

    @Test func concurrentPeerWritesInterleavedWithBlobPutsAllCommit() async throws {
        let count = 400
        let blobs = (0..<count).map { index in
            makeBlob(key: testKey(UInt8(index % 16 + 1)), channel: "c\(index / 16)", seq: 1)
        }
        try await withStore { store, _ in
            let recorder = CommitRecorder()
            store.setCommitObserver { recorder.record($0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask { _ = try await store.put(blobs[index]) }
                    group.addTask {
                        try await store.rememberPeer(
                            PeerRecord(host: "peer\(index)", port: 7700, lastSeenMilliseconds: UInt64(index))
                        )
                    }
                    if index % 4 == 0 {
                        group.addTask {
                            try await store.ban(
                                BanRecord(
                                    key: testKey(UInt8(index / 4 + 1)).publicKey,
                                    untilMilliseconds: 10,
                                    reason: ""
                                )
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(recorder.commits < 2 * count, "peer writes and puts shared transactions")
            #expect(try store.stats().blobs == count)
            for blob in blobs { #expect(try store.has(blob.id)) }
            let peers = try store.peers(limit: 2 * count)
            #expect(peers.map(\.lastSeenMilliseconds) == (0..<UInt64(count)).reversed())
            #expect(try store.bans(now: 0).count == count / 4)
        }
    }

    @Test(arguments: ["", String(repeating: "h", count: PeerRecord.maxHostBytes + 1)])
    func invalidHostIsRefused(host: String) async throws {
        try await withStore { store, _ in
            await #expect(throws: StoreError.invalidPeerHost(host: host)) {
                try await store.rememberPeer(PeerRecord(host: host, port: 1, lastSeenMilliseconds: 1))
            }
            await #expect(throws: StoreError.invalidPeerHost(host: host)) {
                try await store.forgetPeer(host: host, port: 1)
            }
        }
    }

    @Test func longestHostAndNonASCIIHostRoundTrip() async throws {
        try await withStore { store, _ in
            let longest = PeerRecord(
                host: String(repeating: "h", count: PeerRecord.maxHostBytes),
                port: UInt16.max,
                lastSeenMilliseconds: UInt64.max
            )
            let unicode = PeerRecord(host: "bücher.example", port: 0, lastSeenMilliseconds: 0)
            try await store.rememberPeer(longest)
            try await store.rememberPeer(unicode)
            #expect(try store.peers(limit: 10) == [longest, unicode])
        }
    }

    @Test func longReasonIsCutAtACharacterBoundary() async throws {
        let reason = String(repeating: "é", count: 200)
        let ban = BanRecord(key: testKey(6).publicKey, untilMilliseconds: 10, reason: reason)
        #expect(ban.reason.utf8.count == 254)
        #expect(ban.reason == String(repeating: "é", count: 127))
        #expect(BanRecord(key: testKey(6).publicKey, untilMilliseconds: 10, reason: "short").reason == "short")
        try await withStore { store, _ in
            try await store.ban(ban)
            #expect(try store.bans(now: 0) == [ban])
        }
    }

    @Test(arguments: [
        ("bans", [UInt8](repeating: 1, count: 31), Keys.uint64(10) + [0]),
        ("bans", [UInt8](repeating: 1, count: 32), Keys.uint64(10)),
        ("bans", [UInt8](repeating: 1, count: 32), Keys.uint64(10) + [2, 0x61]),
        ("bans", [UInt8](repeating: 1, count: 32), Keys.uint64(10) + [1, 0xff]),
        ("bans", [UInt8](repeating: 1, count: 32), Keys.uint64(10) + [0, 0]),
        ("peer-recency", [1, 2, 3], []),
        ("peer-recency", Keys.uint64(5) + [3, 0x61, 0x62, 0x1e, 0x14], []),
        ("peer-recency", Keys.uint64(5) + [0, 0x1e, 0x14], []),
        ("peer-recency", Keys.uint64(5) + [1, 0xc3, 0x1e, 0x14], []),
        ("peer-recency", Keys.uint64(5) + [1, 0x61, 0x1e, 0x14], [0]),
    ])
    func malformedStoredRecordIsCorrupt(database: String, key: [UInt8], value: [UInt8]) async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            try BlobStore(configuration: configuration).close()
            try writeRaw(path: path, database: database, key: key, value: value)

            let store = try BlobStore(configuration: configuration)
            defer { store.close() }
            let error = #expect(throws: StoreError.self) {
                _ = try store.peers(limit: 10)
                _ = try store.bans(now: 0)
            }
            guard case .corrupt(let errorPath, _) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
            #expect(errorPath == path)
        }
    }

    @Test func malformedPeerRecordFailsTheWriteAsCorrupt() async throws {
        try await withTemporaryDirectory { path in
            let configuration = StoreConfiguration(directory: path)
            try BlobStore(configuration: configuration).close()
            let address = PeerBookLayout.address(host: "a.example", port: 1)
            try writeRaw(path: path, database: "peers", key: address, value: [0, 0, 7])

            let store = try BlobStore(configuration: configuration)
            defer { store.close() }
            let error = await #expect(throws: StoreError.self) {
                try await store.rememberPeer(PeerRecord(host: "a.example", port: 1, lastSeenMilliseconds: 9))
            }
            guard case .corrupt = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
            // Nothing of the failed transaction was stored; other addresses still work.
            #expect(try store.peers(limit: 10) == [])
            try await store.rememberPeer(PeerRecord(host: "b.example", port: 1, lastSeenMilliseconds: 9))
            #expect(try store.peers(limit: 10).map(\.host) == ["b.example"])
        }
    }
}

/// Writes one entry straight into a named database of the closed store at `path`, bypassing the store.
private func writeRaw(path: String, database: String, key: [UInt8], value: [UInt8]) throws {
    let raw = try LMDBEnvironment(
        path: path,
        mapSizeBytes: StoreConfiguration.defaultInitialMapSizeBytes,
        maxDatabases: StoreDatabases.maxDatabases,
        durable: true
    )
    defer { raw.close() }
    try raw.write { (txn) throws(StoreError) in
        guard let dbi = try txn.openDatabase(database, create: false) else {
            throw .corrupt(path: path, reason: "test setup: no database \(database)")
        }
        try txn.put(dbi, key, value)
    }
}
