import CLMDB
import CairnCore
import Foundation
import Testing

@testable import CairnStore

/// The schema-5 layout of the encodings (`bodies` a log of them in arrival order cut into fragments, `ids` from blob
/// id to its place in the log) and the upgrade of a schema-4 store, whose encodings sit in `blobs` under their ids.
@Suite struct BlobBodiesTests {
    /// Chains, a fork (so evidence), an unlinked blob and blobs large enough for LMDB's overflow pages.
    static func mixedBlobs() -> [SignedBlob] {
        let chain = makeBlobs(count: 40)
        let fork = makeBlob(seq: 7, prev: chain[5].id, timestamp: 1_700_000_009_999, payload: Array("fork".utf8))
        let large = (1...6).map { index in
            makeBlob(
                key: testKey(3),
                channel: "large",
                seq: UInt64(index),
                prev: nil,
                payload: [UInt8](repeating: UInt8(index), count: 2048 * index)
            )
        }
        let unlinked = makeBlob(key: testKey(4), seq: 5)
        return chain + [fork] + large + [unlinked] + makeBlobs(key: testKey(5), channel: "other", count: 25)
    }

    @Test func encodingsAreAppendedToTheLogInArrivalOrderAndIndexedByID() async throws {
        try await withStore(configure: { $0.quota = StoreQuota(authorMaxBlobs: 25) }) { store, _ in
            let blobs = Self.mixedBlobs()
            var stored: [SignedBlob] = []
            for chunk in stride(from: 0, to: blobs.count, by: 9) {
                let slice = Array(blobs[chunk..<min(chunk + 9, blobs.count)])
                // A duplicate in the batch and a blob the quota refuses take no sequence.
                let results = try await store.put(slice + [slice[0]])
                for (blob, result) in zip(slice + [slice[0]], results) where result.outcome == .stored {
                    stored.append(blob)
                }
                if results[0].outcome == .stored { #expect(results.last?.outcome == .duplicate) }
            }
            #expect(stored.count < blobs.count, "the quota refuses some blobs of author 1")
            let (log, ids) = try Self.rawLayout(store)
            #expect(log == stored.flatMap(\.encoding))
            #expect(ids.count == stored.count)
            var offset: UInt64 = 0
            for blob in stored {
                #expect(ids[blob.id] == BlobBodies.Location(offset: offset, length: UInt32(blob.encoding.count)))
                offset += UInt64(blob.encoding.count)
                #expect(try store.get(blob.id)?.encoding == blob.encoding)
                #expect(try store.has(blob.id))
            }
            for blob in blobs where !stored.contains(blob) {
                #expect(try store.get(blob.id) == nil)
                #expect(try !store.has(blob.id))
            }
        }
    }

    @Test func missingLogFragmentIsCorruptOnRead() async throws {
        try await withStore { store, _ in
            let blob = makeBlob(seq: 1, payload: [UInt8](repeating: 1, count: 5000))
            _ = try await store.put(blob)
            try store.environment.write { (txn) throws(StoreError) in
                #expect(try txn.delete(store.databases.bodies, Keys.uint64(1)))
            }
            let error = #expect(throws: StoreError.self) { try store.get(blob.id) }
            guard case .corrupt(_, let reason) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("does not hold blob \(blob.id.hex)"))
        }
    }

    @Test func schemaFourStoreIsUpgradedWithEveryBlobReadable() async throws {
        try await withTemporaryDirectory { path in
            let blobs = Self.mixedBlobs()
            let configuration = StoreConfiguration(directory: path)
            let fresh = try BlobStore(configuration: configuration)
            _ = try await fresh.put(blobs)
            let before = try Self.observable(fresh, blobs)
            #expect(before.evidence.count == 1)
            fresh.close()
            try Self.downgradeToSchemaFour(path)
            try ReconciliationIndexStoreTests.withRawEnvironment(path) { (txn) throws(StoreError) in
                // The store now has the old layout: encodings by id in `blobs`, no `bodies`.
                #expect(try txn.openDatabase("bodies", create: false) == nil)
                let old = try txn.openDatabase(BlobBodies.schemaFourTableName, create: false)
                #expect(old != nil)
                if let old { #expect(try txn.entryCount(old) == blobs.count) }
            }

            let logs = LogRecorder()
            let upgraded = try BlobStore(configuration: configuration, logger: logs.logger)
            defer { upgraded.close() }
            #expect(try ReconciliationIndexStoreTests.schema(path, open: upgraded) == BlobStore.schemaVersion)
            #expect(logs.messages.contains("upgrading the store's schema directory=\(path) from=4 to=5"))
            #expect(logs.messages.contains("moved the blobs into the body log blobs=\(blobs.count)"))
            // Only the layout changes: no index is rebuilt.
            #expect(!logs.messages.contains { $0.hasPrefix("building the") || $0.hasPrefix("counting each") })
            // Every blob reads back, and so does everything built on them; the upgrade appends no events.
            let after = try Self.observable(upgraded, blobs)
            #expect(after == before)
            // The log holds the encodings in id order, back to back.
            let (log, ids) = try Self.rawLayout(upgraded)
            let byID = blobs.sorted { $0.id.bytes.lexicographicallyPrecedes($1.id.bytes) }
            #expect(log == byID.flatMap(\.encoding))
            #expect(ids.count == blobs.count)
            try upgraded.environment.read { (txn) throws(StoreError) in
                #expect(try txn.openDatabase(BlobBodies.schemaFourTableName, create: false) == nil)
            }

            // New blobs are appended after the moved ones.
            let next = makeBlob(key: testKey(5), channel: "other", seq: 26, prev: blobs.last!.id)
            #expect(try await upgraded.put(next).outcome == .stored)
            #expect(try await upgraded.put(blobs[0]).outcome == .duplicate)
            #expect(try upgraded.get(next.id)?.encoding == next.encoding)
            #expect(
                try Self.rawLayout(upgraded).ids[next.id]
                    == BlobBodies.Location(offset: UInt64(log.count), length: UInt32(next.encoding.count))
            )
            #expect(try upgraded.stats().lastEventSeq == before.lastEventSeq + 1)
        }
    }

    @Test func upgradeGrowsTheMapWhenBothLayoutsDoNotFit() async throws {
        try await withTemporaryDirectory { path in
            let mebibyte = 1 << 20
            let blobs = (1...120).map { index in
                makeBlob(
                    key: testKey(6),
                    channel: "big",
                    seq: UInt64(index),
                    payload: [UInt8](repeating: 7, count: 32 * 1024)
                )
            }
            let fresh = try BlobStore(configuration: StoreConfiguration(directory: path + "/fresh"))
            _ = try await fresh.put(blobs)
            fresh.close()
            try Self.downgradeToSchemaFour(path + "/fresh")
            // A compact copy has no free pages: the upgrade must grow the map to hold both layouts.
            try Self.compactCopy(from: path + "/fresh", to: path)
            var configuration = StoreConfiguration(directory: path)
            configuration.initialMapSizeBytes = mebibyte
            let logs = LogRecorder()
            let upgraded = try BlobStore(configuration: configuration, logger: logs.logger)
            defer { upgraded.close() }
            #expect(logs.messages.contains { $0.hasPrefix("grew the LMDB map for the upgrade") })
            for blob in blobs { #expect(try upgraded.get(blob.id)?.encoding == blob.encoding) }
        }
    }

    enum Damage: String, CaseIterable {
        case shortKey
        case encodingUnderAnotherID
        case undecodableEncoding
    }

    @Test(arguments: Damage.allCases)
    func damagedSchemaFourBlobTableIsRefusedAndLeftAsItWas(damage: Damage) async throws {
        try await withTemporaryDirectory { path in
            let blobs = makeBlobs(count: 5)
            let configuration = StoreConfiguration(directory: path)
            let fresh = try BlobStore(configuration: configuration)
            _ = try await fresh.put(blobs)
            fresh.close()
            try Self.downgradeToSchemaFour(path)
            try ReconciliationIndexStoreTests.withRawEnvironment(path) { (txn) throws(StoreError) in
                let old = try txn.openDatabase(BlobBodies.schemaFourTableName, create: false)!
                switch damage {
                case .shortKey:
                    try txn.put(old, Array(blobs[0].id.bytes.prefix(31)), blobs[0].encoding)
                case .encodingUnderAnotherID:
                    try txn.put(old, blobs[1].id.bytes, blobs[2].encoding)
                case .undecodableEncoding:
                    try txn.put(old, blobs[3].id.bytes, Array("not a blob".utf8))
                }
            }
            let error = #expect(throws: StoreError.self) { try BlobStore(configuration: configuration) }
            guard case .corrupt(_, let reason) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
            switch damage {
            case .shortKey: #expect(reason.contains("`blobs` key of 31 bytes"))
            case .encodingUnderAnotherID: #expect(reason.contains("under another id"))
            case .undecodableEncoding: #expect(reason.hasPrefix("stored blob"))
            }
            // The refused upgrade changed nothing: still schema 4 with its `blobs`.
            try ReconciliationIndexStoreTests.withRawEnvironment(path) { (txn) throws(StoreError) in
                let schema = try txn.get(txn.openDatabase("meta", create: false)!, Keys.schemaKey)
                #expect(schema == Keys.uint32(4))
                #expect(try txn.openDatabase("bodies", create: false) == nil)
                #expect(try txn.openDatabase(BlobBodies.schemaFourTableName, create: false) != nil)
            }
        }
    }

    /// What a reader sees of a store holding `blobs`: their encodings, the listings of their channels, the evidence,
    /// the counts and the event log.
    struct Observable: Equatable {
        var encodings: [[UInt8]?]
        var listings: [[ChannelEntry]]
        var evidence: [[UInt8]]
        var blobs: Int
        var payloadBytes: Int
        var lastEventSeq: UInt64
        var events: [StoredEvent]
        var reconciliationCount: Int
    }

    static func observable(_ store: BlobStore, _ blobs: [SignedBlob]) throws -> Observable {
        var channels: [(PublicKey, ChannelName)] = []
        for blob in blobs where !channels.contains(where: { $0 == (blob.author, blob.channel) }) {
            channels.append((blob.author, blob.channel))
        }
        let stats = try store.stats()
        return Observable(
            encodings: try blobs.map { try store.get($0.id)?.encoding },
            listings: try channels.map { try store.channel(author: $0.0, name: $0.1, limit: 1000) },
            evidence: try store.evidenceList(limit: 100).map(\.encoding),
            blobs: stats.blobs,
            payloadBytes: stats.payloadBytes,
            lastEventSeq: stats.lastEventSeq,
            events: try store.events(after: 0, limit: 10_000),
            reconciliationCount: try store.reconciliationCount()
        )
    }

    /// Makes a closed store what schema 4 wrote: the encodings in `blobs` under their ids, schema 4 in `meta`.
    static func downgradeToSchemaFour(_ path: String) throws {
        try ReconciliationIndexStoreTests.withRawEnvironment(path) { (txn) throws(StoreError) in
            try BlobBodies.writeSchemaFourLayout(txn: txn)
            try txn.put(try txn.openDatabase("meta", create: false)!, Keys.schemaKey, Keys.uint32(4))
        }
    }

    /// Copies the closed environment in `source` into the new directory `destination` without its free pages
    /// (`mdb_env_copy2` with `MDB_CP_COMPACT`).
    static func compactCopy(from source: String, to destination: String) throws {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        var env: OpaquePointer?
        #expect(mdb_env_create(&env) == MDB_SUCCESS)
        defer { mdb_env_close(env) }
        #expect(mdb_env_set_maxdbs(env, StoreDatabases.maxDatabases) == MDB_SUCCESS)
        #expect(mdb_env_open(env, source, UInt32(MDB_RDONLY), 0o600) == MDB_SUCCESS)
        #expect(mdb_env_copy2(env, destination, UInt32(MDB_CP_COMPACT)) == MDB_SUCCESS)
    }

    /// The body log (its fragments checked: numbered from 0, every one but the last full) and the `ids` index.
    static func rawLayout(_ store: BlobStore, sourceLocation: SourceLocation = #_sourceLocation) throws -> (
        log: [UInt8], ids: [BlobID: BlobBodies.Location]
    ) {
        try store.environment.read { (txn) throws(StoreError) in
            var fragments: [(number: UInt64?, bytes: [UInt8])] = []
            try txn.withCursor(store.databases.bodies) { (cursor) throws(StoreError) in
                var entry = try cursor.get(MDB_FIRST)
                while let current = entry {
                    fragments.append((Keys.decode(current.key, as: UInt64.self), current.value))
                    entry = try cursor.get(MDB_NEXT)
                }
            }
            #expect(fragments.map(\.number) == (0..<UInt64(fragments.count)).map { $0 }, sourceLocation: sourceLocation)
            #expect(
                fragments.dropLast().allSatisfy { $0.bytes.count == BlobBodies.fragmentBytes },
                sourceLocation: sourceLocation
            )
            var ids: [BlobID: BlobBodies.Location] = [:]
            try txn.withCursor(store.databases.ids) { (cursor) throws(StoreError) in
                var entry = try cursor.get(MDB_FIRST)
                while let current = entry {
                    ids[BlobID(unchecked: current.key)] = BlobBodies.Location(encoding: current.value)
                    entry = try cursor.get(MDB_NEXT)
                }
            }
            return (fragments.flatMap(\.bytes), ids)
        }
    }
}
