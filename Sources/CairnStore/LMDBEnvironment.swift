import CLMDB
import Foundation

/// A thin wrapper over one `MDB_env`: opening, transactions, map growth and close, with every return code
/// checked and turned into a `StoreError`.
///
/// `mdb_env_set_mapsize` needs no transaction active in the process, so every transaction holds `lock` shared
/// and growing or closing holds it exclusively.
///
/// The environment is opened without `MDB_WRITEMAP`: LMDB writes pages with `pwrite` and only reads through the map, so
/// a full disk is an error code from the commit (`StoreError.storageFull`), not a SIGBUS on a store to a page the file
/// system cannot back. The map is read-only, and a page is read through it only once a commit wrote it.
final class LMDBEnvironment: @unchecked Sendable {  // `env` and `isClosed` are guarded by `lock`
    /// LMDB return codes that mean the file is not a (healthy) LMDB environment.
    static let corruptionCodes: Set<Int32> = [
        MDB_INVALID, MDB_CORRUPTED, MDB_VERSION_MISMATCH, MDB_PAGE_NOTFOUND, MDB_PAGE_FULL,
    ]
    /// File mode of `data.mdb` and `lock.mdb`.
    static let fileMode: mdb_mode_t = 0o600
    /// `errno` values of a write that found no room: no space, the user's disk quota, the process's file-size limit.
    static let storageFullCodes: Set<Int32> = [ENOSPC, EDQUOT, EFBIG]

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
        do {
            try Self.checkLength(created, path: path)
            try Self.allocateLockFile(path: path)
        } catch {
            mdb_env_close(created)
            throw error
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

    /// Refuses a `data.mdb` shorter than its meta page says (the last page in use, plus one, times the page size)
    /// before any page past the meta pages is read through the map: reading past the end of a mapped file is a SIGBUS.
    /// `mdb_env_open` itself reads only the two meta pages, with `pread`. LMDB keeps no checksums, so a page damaged
    /// in place is out of reach of this check.
    private static func checkLength(_ env: OpaquePointer, path: String) throws(StoreError) {
        var info = MDB_envinfo()
        var rc = mdb_env_info(env, &info)
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_env_info", path: path) }
        var stat = MDB_stat()
        rc = mdb_env_stat(env, &stat)
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_env_stat", path: path) }
        var fd: mdb_filehandle_t = -1
        rc = mdb_env_get_fd(env, &fd)
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_env_get_fd", path: path) }
        var status = Foundation.stat()
        guard fstat(fd, &status) == 0 else { throw error(errno, "fstat(data.mdb)", path: path) }
        let expected = (info.me_last_pgno + 1) * Int(stat.ms_psize)
        guard Int(status.st_size) >= expected else {
            throw .truncated(path: path, fileBytes: Int(status.st_size), expectedBytes: expected)
        }
    }

    /// Gives every page of `lock.mdb` (LMDB creates it sparse and writes reader slots through a shared map) its disk
    /// space now, so that a reader taking a slot never faults on a full disk.
    private static func allocateLockFile(path: String) throws(StoreError) {
        let lockPath = (path as NSString).appendingPathComponent("lock.mdb")
        let fd = open(lockPath, O_RDWR)
        guard fd >= 0 else { throw error(errno, "open(lock.mdb)", path: path) }
        defer { _ = Foundation.close(fd) }
        var status = Foundation.stat()
        guard fstat(fd, &status) == 0 else { throw error(errno, "fstat(lock.mdb)", path: path) }
        let rc = posix_fallocate(fd, 0, status.st_size)
        // A file system without fallocate (EOPNOTSUPP) keeps LMDB's own behaviour.
        guard rc == 0 || rc == EOPNOTSUPP || rc == EINVAL else {
            throw error(rc, "posix_fallocate(lock.mdb)", path: path)
        }
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
                guard rc == MDB_SUCCESS else { throw commitError(rc) }
            }
            return value
        }
    }

    /// LMDB reports a short `pwrite` as `EIO` ("short write, filesystem full?"): a commit's `EIO` while the file
    /// system has less than `shortWriteRoomBytes` free, or `data.mdb` is within that of the process's file-size
    /// limit, is a full disk; any other `EIO` stays an I/O error.
    private func commitError(_ code: Int32) -> StoreError {
        guard code == EIO, isShortOfRoom() else { return Self.error(code, "mdb_txn_commit", path: path) }
        return .storageFull(operation: "mdb_txn_commit", code: code, message: "short write: no room left")
    }

    /// Free space under which a short write counts as a full disk: more than one transaction of the largest blobs.
    static let shortWriteRoomBytes: UInt64 = 64 * 1024 * 1024

    private func isShortOfRoom() -> Bool {
        var volume = statvfs()
        if statvfs(path, &volume) == 0, UInt64(volume.f_bavail) * UInt64(volume.f_frsize) < Self.shortWriteRoomBytes {
            return true
        }
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return false
        }
        var status = Foundation.stat()
        let file = (path as NSString).appendingPathComponent("data.mdb")
        guard stat(file, &status) == 0 else { return false }
        return UInt64(status.st_size) + Self.shortWriteRoomBytes >= UInt64(limit.rlim_cur)
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

    /// Turns a failed return code into a `StoreError`: `.corrupt` for damaged or foreign files, `.storageFull` for a
    /// write that found no room, `.lmdb` otherwise.
    static func error(_ code: Int32, _ operation: String, path: String) -> StoreError {
        let message = String(cString: mdb_strerror(code))
        if corruptionCodes.contains(code) {
            return .corrupt(path: path, reason: "\(operation): \(message)")
        }
        if storageFullCodes.contains(code) {
            return .storageFull(operation: operation, code: code, message: message)
        }
        return .lmdb(operation: operation, code: code, message: message)
    }
}
