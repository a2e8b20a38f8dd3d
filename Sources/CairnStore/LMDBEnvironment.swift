import CLMDB

/// A thin wrapper over one `MDB_env`: opening, transactions, map growth and close, with every return code
/// checked and turned into a `StoreError`.
///
/// `mdb_env_set_mapsize` needs no transaction active in the process, so every transaction holds `lock` shared
/// and growing or closing holds it exclusively.
final class LMDBEnvironment: @unchecked Sendable {  // `env` and `isClosed` are guarded by `lock`
    /// LMDB return codes that mean the file is not a (healthy) LMDB environment.
    static let corruptionCodes: Set<Int32> = [
        MDB_INVALID, MDB_CORRUPTED, MDB_VERSION_MISMATCH, MDB_PAGE_NOTFOUND, MDB_PAGE_FULL,
    ]
    /// File mode of `data.mdb` and `lock.mdb`.
    static let fileMode: mdb_mode_t = 0o600

    let path: String
    private let env: OpaquePointer
    private let lock = ReadWriteLock()
    private var isClosed = false

    /// Opens (creating when missing) the environment in directory `path`.
    init(path: String, mapSizeBytes: Int, maxDatabases: UInt32, durable: Bool) throws(StoreError) {
        self.path = path
        var created: OpaquePointer?
        var rc = mdb_env_create(&created)
        guard rc == MDB_SUCCESS, let created else { throw Self.error(rc, "mdb_env_create", path: path) }
        rc = mdb_env_set_maxdbs(created, maxDatabases)
        let setting = rc == MDB_SUCCESS ? "mdb_env_set_mapsize" : "mdb_env_set_maxdbs"
        if rc == MDB_SUCCESS { rc = mdb_env_set_mapsize(created, mapSizeBytes) }
        if rc == MDB_SUCCESS {
            let flags = UInt32(MDB_NOTLS) | (durable ? 0 : UInt32(MDB_NOSYNC))
            rc = mdb_env_open(created, path, flags, Self.fileMode)
            if rc != MDB_SUCCESS {
                mdb_env_close(created)
                throw Self.error(rc, "mdb_env_open", path: path)
            }
        } else {
            mdb_env_close(created)
            throw Self.error(rc, setting, path: path)
        }
        // Free reader slots left behind by processes that died mid-read.
        var staleReaders: Int32 = 0
        rc = mdb_reader_check(created, &staleReaders)
        guard rc == MDB_SUCCESS else {
            mdb_env_close(created)
            throw Self.error(rc, "mdb_reader_check", path: path)
        }
        env = created
    }

    deinit {
        close()
    }

    /// Closes the environment once every running transaction has ended; later transactions throw `.closed`.
    func close() {
        lock.withExclusive {
            guard !isClosed else { return }
            isClosed = true
            mdb_env_close(env)
        }
    }

    /// The current map size in bytes.
    func mapSize() throws(StoreError) -> Int {
        lock.lockShared()
        defer { lock.unlock() }
        guard !isClosed else { throw .closed }
        return try currentMapSize()
    }

    /// Doubles the map; call with no transaction open on this thread.
    /// - Returns: the new map size.
    func growMap() throws(StoreError) -> Int {
        lock.lockExclusive()
        defer { lock.unlock() }
        guard !isClosed else { throw .closed }
        let grown = try currentMapSize() * 2
        let rc = mdb_env_set_mapsize(env, grown)
        guard rc == MDB_SUCCESS else { throw Self.error(rc, "mdb_env_set_mapsize", path: path) }
        return grown
    }

    /// Runs `body` in a read-only transaction.
    func read<T>(_ body: (LMDBTransaction) throws(StoreError) -> T) throws(StoreError) -> T {
        try transaction(readOnly: true, body)
    }

    /// Runs `body` in a write transaction and commits it; a throw from `body` aborts it.
    /// Only one thread may call this at a time (LMDB serialises writers; the store has one writer thread).
    func write<T>(_ body: (LMDBTransaction) throws(StoreError) -> T) throws(StoreError) -> T {
        try transaction(readOnly: false, body)
    }

    private func transaction<T>(
        readOnly: Bool,
        _ body: (LMDBTransaction) throws(StoreError) -> T
    ) throws(StoreError) -> T {
        while true {
            lock.lockShared()
            guard !isClosed else {
                lock.unlock()
                throw .closed
            }
            var handle: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &handle)
            if rc == MDB_MAP_RESIZED {
                lock.unlock()
                try adoptGrownMap()
                continue
            }
            defer { lock.unlock() }
            guard rc == MDB_SUCCESS, let handle else { throw Self.error(rc, "mdb_txn_begin", path: path) }
            let value: T
            do {
                value = try body(LMDBTransaction(handle: handle, path: path))
            } catch {
                mdb_txn_abort(handle)
                throw error
            }
            if readOnly {
                mdb_txn_abort(handle)
            } else {
                let rc = mdb_txn_commit(handle)
                guard rc == MDB_SUCCESS else { throw Self.error(rc, "mdb_txn_commit", path: path) }
            }
            return value
        }
    }

    /// Another process grew the map: adopt its size (`mdb_env_set_mapsize(0)`) with no transaction active.
    private func adoptGrownMap() throws(StoreError) {
        lock.lockExclusive()
        defer { lock.unlock() }
        guard !isClosed else { throw .closed }
        let rc = mdb_env_set_mapsize(env, 0)
        guard rc == MDB_SUCCESS else { throw Self.error(rc, "mdb_env_set_mapsize", path: path) }
    }

    private func currentMapSize() throws(StoreError) -> Int {
        var info = MDB_envinfo()
        let rc = mdb_env_info(env, &info)
        guard rc == MDB_SUCCESS else { throw Self.error(rc, "mdb_env_info", path: path) }
        return info.me_mapsize
    }

    /// Turns a failed return code into a `StoreError`: `.corrupt` for damaged or foreign files, `.lmdb` otherwise.
    static func error(_ code: Int32, _ operation: String, path: String) -> StoreError {
        let message = String(cString: mdb_strerror(code))
        if corruptionCodes.contains(code) {
            return .corrupt(path: path, reason: "\(operation): \(message)")
        }
        return .lmdb(operation: operation, code: code, message: message)
    }
}
