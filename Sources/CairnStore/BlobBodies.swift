import CLMDB
import CairnCore
import Logging

/// The stored blob encodings (schema 5), kept as one log of bytes in arrival order.
///
/// - `bodies`: fragment number (`UInt64` big-endian, from 0) → bytes `n × fragmentBytes ..< (n + 1) × fragmentBytes`
///   of the log, written with `MDB_APPEND`; every fragment but the last is full, and two full fragments fill a 4 KiB
///   leaf page, so the encodings take their own size plus about 1.5 % whatever their sizes.
/// - `ids`: blob id → where its encoding lies in the log: offset (`UInt64` big-endian) ‖ length (`UInt32` big-endian).
///
/// Random 32-byte ids as the keys of the encodings themselves (the `blobs` table of schemas 1 to 4) split B-tree pages
/// half full, so 1 KiB blobs took two per 4 KiB page; one encoding per entry keyed by arrival order would still take
/// three per page (a 4 KiB page does not divide into 1.2 KB entries). Only the small `ids` entries (32-byte key,
/// 12-byte value) are inserted at random places.
struct BlobBodies {
    /// The bytes of a full fragment: two entries of it (8-byte key, 8-byte node header, 2-byte slot each) fill the
    /// 4,080 bytes a 4 KiB leaf page has for entries, with a little room to spare, and stay below LMDB's limit for an
    /// entry kept in its leaf page rather than on overflow pages (2,038 bytes with 4 KiB pages). Part of the schema:
    /// changing it changes where every stored encoding lies.
    static let fragmentBytes = 2016
    /// The name of the schema 1–4 table `upgrade` moves into `bodies` and `ids`: blob id → canonical encoding.
    static let schemaFourTableName = "blobs"
    /// How often the upgrade logs its progress, in blobs.
    static let upgradeProgressInterval = 100_000

    /// Where an encoding lies in the log.
    struct Location: Equatable {
        var offset: UInt64
        var length: UInt32

        /// The `ids` value: offset (8, big-endian) ‖ length (4, big-endian).
        var encoding: [UInt8] { Keys.uint64(offset) + Keys.uint32(length) }

        init(offset: UInt64, length: UInt32) {
            self.offset = offset
            self.length = length
        }

        init?(encoding bytes: [UInt8]) {
            guard bytes.count == 12, let offset = Keys.decode(bytes[..<8], as: UInt64.self),
                let length = Keys.decode(bytes[8...], as: UInt32.self)
            else { return nil }
            self.init(offset: offset, length: length)
        }
    }

    /// The end of the log as a write transaction extends it.
    struct Tail {
        /// The log's length in bytes.
        var length: UInt64
        /// The bytes of the last, partly filled fragment (`length % fragmentBytes` of them).
        var partial: [UInt8]
    }

    let txn: LMDBTransaction
    /// The `bodies` database.
    let fragments: MDB_dbi
    /// The `ids` database.
    let ids: MDB_dbi

    init(txn: LMDBTransaction, databases: StoreDatabases) {
        self.init(txn: txn, fragments: databases.bodies, ids: databases.ids)
    }

    init(txn: LMDBTransaction, fragments: MDB_dbi, ids: MDB_dbi) {
        self.txn = txn
        self.fragments = fragments
        self.ids = ids
    }

    /// Where the encoding of the blob with `id` lies, or `nil` when it is not stored.
    func location(of id: BlobID) throws(StoreError) -> Location? {
        guard let bytes = try txn.get(ids, id.bytes) else { return nil }
        guard let location = Location(encoding: bytes) else {
            throw .corrupt(path: txn.path, reason: "location of blob \(id.hex) of \(bytes.count) bytes")
        }
        return location
    }

    /// `true` when the blob with `id` is stored.
    func contains(_ id: BlobID) throws(StoreError) -> Bool {
        try txn.get(ids, id.bytes) != nil
    }

    /// The canonical encoding of the blob with `id`, or `nil` when it is not stored.
    /// - Throws: `.corrupt` when the log does not hold the bytes `ids` names.
    func encoding(of id: BlobID) throws(StoreError) -> [UInt8]? {
        guard let location = try location(of: id) else { return nil }
        return try read(location, of: id)
    }

    /// The stored blob with `id`, decoded without verification (the store verified it before writing it).
    func blob(_ id: BlobID) throws(StoreError) -> SignedBlob? {
        guard let encoding = try encoding(of: id) else { return nil }
        return try storedData(txn.path, "stored blob \(id.hex)") { () throws(CoreError) in
            try SignedBlob(trustedEncoding: encoding)
        }
    }

    /// The number of stored blobs.
    func count() throws(StoreError) -> Int {
        try txn.entryCount(ids)
    }

    /// The end of the log: its length and its last fragment when that is partly filled.
    /// - Throws: `.corrupt` when the last fragment's key or size is malformed.
    func tail() throws(StoreError) -> Tail {
        try txn.withCursor(fragments) { (cursor) throws(StoreError) -> Tail in
            guard let last = try cursor.get(MDB_LAST) else { return Tail(length: 0, partial: []) }
            guard let fragment = Keys.decode(last.key, as: UInt64.self), !last.value.isEmpty,
                last.value.count <= Self.fragmentBytes
            else {
                throw .corrupt(
                    path: txn.path,
                    reason: "last body fragment: key \(last.key.count), \(last.value.count) bytes"
                )
            }
            let start = fragment * UInt64(Self.fragmentBytes)
            let isFull = last.value.count == Self.fragmentBytes
            return Tail(length: start + UInt64(last.value.count), partial: isFull ? [] : last.value)
        }
    }

    /// Appends `encoding` to the log at `tail` and indexes it under `id`.
    /// - Returns: `false`, storing nothing, when `id` is already stored.
    func insert(_ encoding: [UInt8], id: BlobID, tail: inout Tail) throws(StoreError) -> Bool {
        let location = Location(offset: tail.length, length: UInt32(encoding.count))
        guard try txn.put(ids, id.bytes, location.encoding, flags: MDB_NOOVERWRITE) else { return false }
        try append(encoding, to: &tail)
        return true
    }

    /// Appends `bytes` to the log, rewriting its partly filled last fragment and adding new ones.
    private func append(_ bytes: [UInt8], to tail: inout Tail) throws(StoreError) {
        let fragmentBytes = Self.fragmentBytes
        var rest = bytes[...]
        while !rest.isEmpty {
            let taken = rest.prefix(fragmentBytes - tail.partial.count)
            rest = rest.dropFirst(taken.count)
            tail.partial += taken
            tail.length += UInt64(taken.count)
            guard tail.partial.count == fragmentBytes || rest.isEmpty else { continue }
            let key = Keys.uint64((tail.length - 1) / UInt64(fragmentBytes))
            // A new fragment is appended; the one that was partly filled already exists and is rewritten.
            if try !txn.put(fragments, key, tail.partial, flags: MDB_APPEND) {
                try txn.put(fragments, key, tail.partial)
            }
            if tail.partial.count == fragmentBytes { tail.partial.removeAll(keepingCapacity: true) }
        }
    }

    /// The bytes of the log at `location`.
    /// - Throws: `.corrupt` when a fragment it spans is missing or short.
    private func read(_ location: Location, of id: BlobID) throws(StoreError) -> [UInt8] {
        let fragmentBytes = UInt64(Self.fragmentBytes)
        let path = txn.path
        func missing() -> StoreError {
            .corrupt(path: path, reason: "the body log does not hold blob \(id.hex) at \(location.offset)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(location.length))
        var fragment = location.offset / fragmentBytes
        var start = Int(location.offset % fragmentBytes)
        try txn.withCursor(fragments) { (cursor) throws(StoreError) in
            var entry = try cursor.get(MDB_SET_KEY, key: Keys.uint64(fragment))
            while bytes.count < Int(location.length) {
                guard let current = entry, current.key == Keys.uint64(fragment), current.value.count > start else {
                    throw missing()
                }
                let wanted = Int(location.length) - bytes.count
                bytes += current.value[start..<min(current.value.count, start + wanted)]
                start = 0
                fragment += 1
                if bytes.count < Int(location.length) { entry = try cursor.get(MDB_NEXT) }
            }
        }
        return bytes
    }

    /// Calls `body` with every stored blob, in id order.
    /// - Throws: `.corrupt` when a stored encoding is missing or does not decode, or what `body` throws.
    func forEach(_ body: (SignedBlob) throws(StoreError) -> Void) throws(StoreError) {
        try txn.withCursor(ids) { (cursor) throws(StoreError) in
            var entry = try cursor.get(MDB_FIRST)
            while let current = entry {
                let id = BlobID(unchecked: current.key)
                guard let blob = try blob(id) else { throw .corrupt(path: txn.path, reason: "blob \(id.hex) vanished") }
                try body(blob)
                entry = try cursor.get(MDB_NEXT)
            }
        }
    }

    /// Moves every entry of the schema 1–4 `blobs` table into `bodies` and `ids` (both empty), in id order (so `ids`
    /// is appended too), and deletes `blobs`. Appends no events: the blobs are the same, only their layout changes.
    /// - Returns: the number of blobs moved.
    /// - Throws: `.corrupt` when `blobs` is missing, a key is not a 32-byte id or an encoding does not decode as the
    ///   blob of its key; `.lmdb` with `MDB_MAP_FULL` when the map cannot hold both layouts at once (the caller grows
    ///   it and retries).
    @discardableResult
    func upgrade(logger: Logger) throws(StoreError) -> Int {
        guard let old = try txn.openDatabase(Self.schemaFourTableName, create: false) else {
            throw .corrupt(path: txn.path, reason: "no `\(Self.schemaFourTableName)` database in a store of schema 1-4")
        }
        guard try txn.entryCount(fragments) == 0, try txn.entryCount(ids) == 0 else {
            throw .corrupt(path: txn.path, reason: "`bodies` or `ids` not empty in a store of schema 1-4")
        }
        let total = try txn.entryCount(old)
        logger.notice("moving the blobs into the body log", metadata: ["blobs": "\(total)"])
        var tail = Tail(length: 0, partial: [])
        var moved = 0
        try txn.withCursor(old) { (cursor) throws(StoreError) in
            var entry = try cursor.get(MDB_FIRST)
            while let current = entry {
                guard BlobID(bytes: current.key) != nil else {
                    throw .corrupt(path: txn.path, reason: "`blobs` key of \(current.key.count) bytes")
                }
                let blob = try storedData(txn.path, "stored blob") { () throws(CoreError) in
                    try SignedBlob(trustedEncoding: current.value)
                }
                guard blob.id.bytes == current.key else {
                    throw .corrupt(path: txn.path, reason: "`blobs` holds blob \(blob.id.hex) under another id")
                }
                let location = Location(offset: tail.length, length: UInt32(current.value.count))
                try txn.put(ids, current.key, location.encoding, flags: MDB_APPEND)
                try append(current.value, to: &tail)
                moved += 1
                if moved % Self.upgradeProgressInterval == 0 {
                    logger.info("moving the blobs into the body log", metadata: ["moved": "\(moved)"])
                }
                entry = try cursor.get(MDB_NEXT)
            }
        }
        try txn.deleteDatabase(old)
        logger.notice("moved the blobs into the body log", metadata: ["blobs": "\(moved)"])
        return moved
    }

    /// Turns the schema-5 layout back into the schema 1–4 `blobs` table (`bodies` and `ids` deleted), as an older
    /// build wrote it. For tests and benchmarks that make an old store to upgrade.
    static func writeSchemaFourLayout(txn: LMDBTransaction) throws(StoreError) {
        guard let fragments = try txn.openDatabase("bodies", create: false),
            let ids = try txn.openDatabase("ids", create: false),
            let old = try txn.openDatabase(schemaFourTableName, create: true)
        else { throw .corrupt(path: txn.path, reason: "not a schema-5 store") }
        try BlobBodies(txn: txn, fragments: fragments, ids: ids).forEach { (blob) throws(StoreError) in
            try txn.put(old, blob.id.bytes, blob.encoding, flags: MDB_APPEND)
        }
        try txn.deleteDatabase(fragments)
        try txn.deleteDatabase(ids)
    }
}
