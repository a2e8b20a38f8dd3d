import CLMDB

/// One open LMDB transaction, valid only inside the `LMDBEnvironment.read` or `write` closure that made it.
struct LMDBTransaction {
    let handle: OpaquePointer
    let path: String

    /// Opens a named database (the main, unnamed one for `nil`); `nil` when it does not exist and `create` is false.
    func openDatabase(_ name: String?, create: Bool, dupSort: Bool = false) throws(StoreError) -> MDB_dbi? {
        var flags: UInt32 = 0
        if create { flags |= UInt32(MDB_CREATE) }
        if dupSort { flags |= UInt32(MDB_DUPSORT) }
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(handle, name, flags, &dbi)
        if rc == MDB_NOTFOUND { return nil }
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_dbi_open(\(name ?? "main"))") }
        return dbi
    }

    /// The value stored under `key`, copied out of the map.
    func get(_ dbi: MDB_dbi, _ key: [UInt8]) throws(StoreError) -> [UInt8]? {
        var value = MDB_val()
        let rc = key.withUnsafeBytes { keyBytes in
            var keyVal = MDB_val(
                mv_size: keyBytes.count,
                mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
            )
            return mdb_get(handle, dbi, &keyVal, &value)
        }
        if rc == MDB_NOTFOUND { return nil }
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_get") }
        return Self.bytes(value)
    }

    /// Stores `value` under `key`.
    /// - Returns: `false` when `flags` hold `MDB_NOOVERWRITE` or `MDB_NODUPDATA` and the entry exists.
    @discardableResult
    func put(_ dbi: MDB_dbi, _ key: [UInt8], _ value: [UInt8], flags: Int32 = 0) throws(StoreError) -> Bool {
        let rc = key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in
                var keyVal = MDB_val(
                    mv_size: keyBytes.count,
                    mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                )
                var valueVal = MDB_val(
                    mv_size: valueBytes.count,
                    mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                )
                return mdb_put(handle, dbi, &keyVal, &valueVal, UInt32(flags))
            }
        }
        if rc == MDB_KEYEXIST { return false }
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_put") }
        return true
    }

    /// Deletes the entry under `key` (every value of it in an `MDB_DUPSORT` database).
    /// - Returns: `false` when there was none.
    @discardableResult
    func delete(_ dbi: MDB_dbi, _ key: [UInt8]) throws(StoreError) -> Bool {
        let rc = key.withUnsafeBytes { keyBytes in
            var keyVal = MDB_val(
                mv_size: keyBytes.count,
                mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
            )
            return mdb_del(handle, dbi, &keyVal, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_del") }
        return true
    }

    /// Deletes the one entry `key` → `value` of an `MDB_DUPSORT` database, keeping the key's other values.
    /// - Returns: `false` when there was no such entry.
    @discardableResult
    func delete(_ dbi: MDB_dbi, _ key: [UInt8], value: [UInt8]) throws(StoreError) -> Bool {
        let rc = key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in
                var keyVal = MDB_val(
                    mv_size: keyBytes.count,
                    mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                )
                var valueVal = MDB_val(
                    mv_size: valueBytes.count,
                    mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                )
                return mdb_del(handle, dbi, &keyVal, &valueVal)
            }
        }
        if rc == MDB_NOTFOUND { return false }
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_del") }
        return true
    }

    /// `true` when the `MDB_DUPSORT` database `dbi` holds the entry `key` → `value`.
    func contains(_ dbi: MDB_dbi, _ key: [UInt8], value: [UInt8]) throws(StoreError) -> Bool {
        try withCursor(dbi) { (cursor) throws(StoreError) -> Bool in
            try cursor.get(MDB_GET_BOTH, key: key, value: value) != nil
        }
    }

    /// The values stored under `key` in the `MDB_DUPSORT` database `dbi`, in ascending byte order.
    func values(_ dbi: MDB_dbi, _ key: [UInt8]) throws(StoreError) -> [[UInt8]] {
        try withCursor(dbi) { (cursor) throws(StoreError) -> [[UInt8]] in
            var values: [[UInt8]] = []
            var entry = try cursor.get(MDB_SET, key: key)
            while let current = entry {
                values.append(current.value)
                entry = try cursor.get(MDB_NEXT_DUP)
            }
            return values
        }
    }

    /// The number of entries in `dbi` as this transaction sees it, its own writes included.
    func entryCount(_ dbi: MDB_dbi) throws(StoreError) -> Int {
        var stat = MDB_stat()
        let rc = mdb_stat(handle, dbi, &stat)
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_stat") }
        return stat.ms_entries
    }

    /// Deletes every entry of `dbi`, keeping the database.
    func empty(_ dbi: MDB_dbi) throws(StoreError) {
        let rc = mdb_drop(handle, dbi, 0)
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_drop") }
    }

    /// Deletes `dbi` itself with its entries; the handle is closed when the transaction commits.
    func deleteDatabase(_ dbi: MDB_dbi) throws(StoreError) {
        let rc = mdb_drop(handle, dbi, 1)
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_drop") }
    }

    /// The environment's page size in bytes.
    func pageSize() throws(StoreError) -> Int {
        var stat = MDB_stat()
        let rc = mdb_env_stat(mdb_txn_env(handle), &stat)
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_env_stat") }
        return Int(stat.ms_psize)
    }

    /// LMDB's statistics of `dbi`: depth and branch, leaf and overflow pages.
    func statistics(_ dbi: MDB_dbi) throws(StoreError) -> MDB_stat {
        var stat = MDB_stat()
        let rc = mdb_stat(handle, dbi, &stat)
        guard rc == MDB_SUCCESS else { throw error(rc, "mdb_stat") }
        return stat
    }

    /// Runs `body` with a cursor on `dbi`, closed afterwards.
    func withCursor<T>(_ dbi: MDB_dbi, _ body: (LMDBCursor) throws(StoreError) -> T) throws(StoreError) -> T {
        var cursor: OpaquePointer?
        let rc = mdb_cursor_open(handle, dbi, &cursor)
        guard rc == MDB_SUCCESS, let cursor else { throw error(rc, "mdb_cursor_open") }
        defer { mdb_cursor_close(cursor) }
        return try body(LMDBCursor(handle: cursor, path: path))
    }

    func error(_ code: Int32, _ operation: String) -> StoreError {
        LMDBEnvironment.error(code, operation, path: path)
    }

    static func bytes(_ value: MDB_val) -> [UInt8] {
        guard value.mv_size > 0, let data = value.mv_data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: value.mv_size))
    }
}

/// A cursor inside an `LMDBTransaction`; entries are copied out of the map.
struct LMDBCursor {
    let handle: OpaquePointer
    let path: String

    /// Moves the cursor with `op`; `key` is the search key of `MDB_SET_RANGE` and similar operations, `value` the
    /// search value of `MDB_GET_BOTH` and `MDB_GET_BOTH_RANGE`.
    /// - Returns: the entry at the new position, `nil` when there is none.
    func get(_ op: MDB_cursor_op, key: [UInt8]? = nil, value searchValue: [UInt8]? = nil) throws(StoreError) -> (
        key: [UInt8], value: [UInt8]
    )? {
        // Copy inside the closure: for some operations LMDB leaves the key pointing at the search key.
        let (rc, entry): (Int32, (key: [UInt8], value: [UInt8])?) = (key ?? []).withUnsafeBytes { keyBytes in
            (searchValue ?? []).withUnsafeBytes { valueBytes in
                var keyVal = MDB_val(
                    mv_size: keyBytes.count,
                    mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                )
                var value = MDB_val(
                    mv_size: searchValue == nil ? 0 : valueBytes.count,
                    mv_data: searchValue == nil ? nil : UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                )
                let rc = mdb_cursor_get(handle, &keyVal, &value, op)
                guard rc == MDB_SUCCESS else { return (rc, nil) }
                return (rc, (LMDBTransaction.bytes(keyVal), LMDBTransaction.bytes(value)))
            }
        }
        if rc == MDB_NOTFOUND { return nil }
        guard rc == MDB_SUCCESS, let entry else { throw LMDBEnvironment.error(rc, "mdb_cursor_get", path: path) }
        return entry
    }
}
