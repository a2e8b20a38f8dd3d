import CLMDB
import Logging

/// The named databases of a Cairn store, opened (and on a new environment created) in one setup transaction.
///
/// - `meta`: `format` → ASCII `cairn-store`, `schema` → `UInt32` big-endian.
/// - `bodies` (schema 5): the encodings as one log in arrival order, cut into fragments: fragment number (`UInt64`
///   big-endian) → 2,016 bytes of the log, written with `MDB_APPEND` so leaf pages fill; `ids` (schema 5): blob id →
///   offset in the log (`UInt64` big-endian) ‖ length (`UInt32` big-endian). Layout and upgrade in `BlobBodies`;
///   schemas 1 to 4 kept `blobs` (blob id → canonical encoding) instead, whose random keys left its pages half full.
/// - `slots` (`MDB_DUPSORT`): author ‖ channel length ‖ channel ‖ seq → blob id; a forked slot holds several ids.
/// - `sync`: timestamp (milliseconds) ‖ blob id → empty.
/// - `reconciliation` (schema 2): the counted B+tree over (timestamp in seconds, blob id) that reconciliation reads by
///   rank (layout in `ReconciliationIndex`); built from `sync` when a schema-1 store is opened.
/// - `chain-heights`, `chain-waiting` (`MDB_DUPSORT`), `chain-unlinked` (schema 3): which blobs are linked into
///   their channel's chain (layout in `ChainIndex`); built from `slots` when an older store is opened.
/// - `authors` (schema 4): author → `AuthorUsage` (blobs and payload bytes stored), what the quota checks; built from
///   the stored blobs when an older store is opened.
/// - `evidence`: evidence id → `Evidence.encoding`.
/// - `events`: seq (`UInt64` big-endian) → `EventRecord`.
/// - `counters`: `blobs`, `payload-bytes`, `evidence` → `UInt64` big-endian, updated with the data they count.
/// - `peers`, `peer-recency`: the mesh's peer book, address → last seen and last seen ‖ address → empty (layout in
///   `PeerBookLayout`); created on open, so stores written before the peer book gain it without a schema change.
/// - `bans`: node key → until ‖ reason (layout in `BanLayout`).
struct StoreDatabases: Sendable {
    /// Named databases the environment must allow (`mdb_env_set_maxdbs`), with room to spare.
    static let maxDatabases: UInt32 = 24

    let meta: MDB_dbi
    let bodies: MDB_dbi
    let ids: MDB_dbi
    let slots: MDB_dbi
    let sync: MDB_dbi
    let evidence: MDB_dbi
    let events: MDB_dbi
    let counters: MDB_dbi
    let peers: MDB_dbi
    let peerRecency: MDB_dbi
    let bans: MDB_dbi
    let reconciliation: MDB_dbi
    let chainHeights: MDB_dbi
    let chainWaiting: MDB_dbi
    let chainUnlinked: MDB_dbi
    let authors: MDB_dbi

    /// The oldest schema `open` upgrades (to `BlobStore.schemaVersion`, 5): schema 1 lacks the reconciliation index,
    /// schemas 1 and 2 the chain index, schemas 1 to 3 the per-author usage, and schemas 1 to 4 keep the encodings in
    /// `blobs` rather than in `bodies` and `ids`.
    static let oldestUpgradableSchema: UInt32 = 1

    /// Checks the `meta` marker and schema of an existing environment, or initialises an empty one. An older store is
    /// upgraded in the same transaction: its encodings are moved from `blobs` into `bodies` and `ids` (below schema 5),
    /// the indexes it lacks are built (the reconciliation index below schema 2, the chain index below schema 3, the
    /// per-author usage below schema 4) and the schema set to `BlobStore.schemaVersion`. The upgrade appends no events.
    /// - Throws: `.foreignDatabase` when the environment holds data but no Cairn marker, `.unsupportedSchema`
    ///   when the schema is newer than `BlobStore.schemaVersion` or older than `oldestUpgradableSchema`;
    ///   `.corrupt` when an older store's `blobs` is missing or malformed; `.lmdb` with `MDB_MAP_FULL` when an upgrade
    ///   needs a larger map (nothing is changed, grow and call again).
    static func open(in environment: LMDBEnvironment, logger: Logger) throws(StoreError) -> StoreDatabases {
        let supportedSchema = BlobStore.schemaVersion
        let path = environment.path
        return try environment.write { (txn) throws(StoreError) -> StoreDatabases in
            // The main database lists the named ones: empty means a new environment.
            guard let mainDatabase = try txn.openDatabase(nil, create: false) else {
                throw .corrupt(path: path, reason: "no main database")
            }
            let isEmpty = try txn.withCursor(mainDatabase) { (cursor) throws(StoreError) in
                try cursor.get(MDB_FIRST) == nil
            }
            if isEmpty {
                let databases = try create(txn)
                try txn.put(databases.meta, Keys.formatKey, Keys.formatMarker)
                try txn.put(databases.meta, Keys.schemaKey, Keys.uint32(supportedSchema))
                try ReconciliationIndex.create(txn: txn, dbi: databases.reconciliation)
                return databases
            }
            let meta: MDB_dbi?
            do throws(StoreError) {
                meta = try txn.openDatabase("meta", create: false)
            } catch {
                guard case .lmdb(_, MDB_INCOMPATIBLE, _) = error else { throw error }
                throw .foreignDatabase(path: path, reason: "`meta` is not a named database")
            }
            guard let meta else { throw .foreignDatabase(path: path, reason: "no `meta` database") }
            guard let format = try txn.get(meta, Keys.formatKey) else {
                throw .foreignDatabase(path: path, reason: "no format marker in `meta`")
            }
            guard format == Keys.formatMarker else {
                throw .foreignDatabase(
                    path: path,
                    reason: "format marker is \(String(decoding: format, as: UTF8.self).debugDescription)"
                )
            }
            guard let schemaBytes = try txn.get(meta, Keys.schemaKey),
                let schema = Keys.decode(schemaBytes, as: UInt32.self)
            else {
                throw .corrupt(path: path, reason: "missing or malformed schema version in `meta`")
            }
            guard (Self.oldestUpgradableSchema...supportedSchema).contains(schema) else {
                throw .unsupportedSchema(found: schema, supported: supportedSchema)
            }
            let databases = try create(txn)
            if schema < supportedSchema {
                logger.notice(
                    "upgrading the store's schema",
                    metadata: ["from": "\(schema)", "to": "\(supportedSchema)", "directory": "\(path)"]
                )
                try BlobBodies(txn: txn, databases: databases).upgrade(logger: logger)
                if schema < 2 {
                    try ReconciliationIndex.rebuild(
                        txn: txn,
                        dbi: databases.reconciliation,
                        from: databases,
                        logger: logger
                    )
                } else {
                    _ = try ReconciliationIndex(txn: txn, dbi: databases.reconciliation)
                }
                if schema < 3 { try ChainIndex.rebuild(txn: txn, databases: databases, logger: logger) }
                if schema < 4 { try AuthorUsage.rebuild(txn: txn, databases: databases, logger: logger) }
                try txn.put(databases.meta, Keys.schemaKey, Keys.uint32(supportedSchema))
            } else {
                // Fail at open, not at the first reconciliation, when the index is missing or its header damaged.
                _ = try ReconciliationIndex(txn: txn, dbi: databases.reconciliation)
            }
            return databases
        }
    }

    private static func create(_ txn: LMDBTransaction) throws(StoreError) -> StoreDatabases {
        func open(_ name: String, dupSort: Bool = false) throws(StoreError) -> MDB_dbi {
            // With MDB_CREATE a missing database is created, so `nil` cannot come back.
            guard let dbi = try txn.openDatabase(name, create: true, dupSort: dupSort) else {
                throw .lmdb(operation: "mdb_dbi_open(\(name))", code: MDB_NOTFOUND, message: "not created")
            }
            return dbi
        }
        return StoreDatabases(
            meta: try open("meta"),
            bodies: try open("bodies"),
            ids: try open("ids"),
            slots: try open("slots", dupSort: true),
            sync: try open("sync"),
            evidence: try open("evidence"),
            events: try open("events"),
            counters: try open("counters"),
            peers: try open("peers"),
            peerRecency: try open("peer-recency"),
            bans: try open("bans"),
            reconciliation: try open(ReconciliationIndex.databaseName),
            chainHeights: try open("chain-heights"),
            chainWaiting: try open("chain-waiting", dupSort: true),
            chainUnlinked: try open("chain-unlinked"),
            authors: try open("authors")
        )
    }
}
