import CLMDB
import CairnCore

extension BlobStore {
    /// The blob with `id`, or `nil` when it is not stored.
    public func get(_ id: BlobID) throws(StoreError) -> SignedBlob? {
        try environment.read { (txn) throws(StoreError) -> SignedBlob? in
            try blob(id, in: txn)
        }
    }

    /// `true` when a blob with `id` is stored.
    public func has(_ id: BlobID) throws(StoreError) -> Bool {
        try environment.read { (txn) throws(StoreError) -> Bool in
            try BlobBodies(txn: txn, databases: databases).contains(id)
        }
    }

    /// The listed blobs of the channel (`author`, `name`) after `after`, in (seq, id) order.
    ///
    /// Listed are the linked blobs (see `ChainIndex`: every blob below them is stored) and the prev mismatches whose
    /// seq − 1 has a linked blob, marked; a blob waiting for a missing predecessor is not listed until it arrives.
    /// So the listing never has a hole: it is seq 1 up to `chainHeight`, then at most the mismatches one above it.
    /// - Parameters:
    ///   - after: where to start; `.start` lists from seq 1; pass the last entry's `cursor` for the next page.
    ///   - limit: the most entries returned; every blob of a forked seq counts (they come in ascending id order).
    public func channel(author: PublicKey, name: ChannelName, after: ChannelCursor = .start, limit: Int)
        throws(StoreError) -> [ChannelEntry]
    {
        guard limit > 0 else { return [] }
        let prefix = Keys.channelPrefix(author: author, name: name)
        return try environment.read { (txn) throws(StoreError) -> [ChannelEntry] in
            let chains = ChainIndex(txn: txn, databases: databases)
            let height = try chains.height(prefix: prefix)
            return try txn.withCursor(databases.slots) { (cursor) throws(StoreError) -> [ChannelEntry] in
                var entries: [ChannelEntry] = []
                var entry: (key: [UInt8], value: [UInt8])?
                if let id = after.id {
                    entry = try cursor.get(MDB_GET_BOTH_RANGE, key: prefix + Keys.uint64(after.seq), value: id.bytes)
                    if entry?.value == id.bytes { entry = try cursor.get(MDB_NEXT) }
                }
                if entry == nil {
                    guard after.seq < UInt64.max else { return [] }
                    entry = try cursor.get(MDB_SET_RANGE, key: prefix + Keys.uint64(after.seq + 1))
                }
                while let current = entry, Self.isSlot(current.key, of: prefix), entries.count < limit {
                    guard let seq = Keys.decode(current.key[prefix.count...], as: UInt64.self) else {
                        throw .corrupt(path: txn.path, reason: "slot key of \(current.key.count) bytes")
                    }
                    // Nothing above the first seq without a linked blob is listed.
                    guard seq - 1 <= height else { break }
                    let id = BlobID(unchecked: current.value)
                    guard let blob = try blob(id, in: txn) else {
                        throw .corrupt(path: txn.path, reason: "slot names blob \(id.hex) that is not stored")
                    }
                    if seq <= height, try !chains.isUnlinked(id) {
                        entries.append(ChannelEntry(blob: blob, prevMismatch: false))
                    } else if seq > 1 {
                        let below = prefix + Keys.uint64(seq - 1)
                        // Seq − 1 has a linked blob, so a prev naming none of its blobs is a mismatch.
                        if try !txn.contains(databases.slots, below, value: blob.prev.bytes) {
                            entries.append(ChannelEntry(blob: blob, prevMismatch: true))
                        }
                    }
                    entry = try cursor.get(MDB_NEXT)
                }
                return entries
            }
        }
    }

    /// The highest seq up to which the channel (`author`, `name`) is complete: every seq from 1 to it has a linked
    /// blob (0 when seq 1 is not stored).
    public func chainHeight(author: PublicKey, name: ChannelName) throws(StoreError) -> UInt64 {
        try environment.read { (txn) throws(StoreError) -> UInt64 in
            try ChainIndex(txn: txn, databases: databases).height(
                prefix: Keys.channelPrefix(author: author, name: name)
            )
        }
    }

    /// `true` when the blob with `id` is stored and linked into its channel.
    func isLinked(_ id: BlobID) throws(StoreError) -> Bool {
        try environment.read { (txn) throws(StoreError) -> Bool in
            guard try BlobBodies(txn: txn, databases: databases).contains(id) else { return false }
            return try !ChainIndex(txn: txn, databases: databases).isUnlinked(id)
        }
    }

    /// The highest seq stored on the channel (`author`, `name`) and its blob id (the smallest id if that seq is
    /// forked), or `nil` when the channel is empty.
    public func head(author: PublicKey, name: ChannelName) throws(StoreError) -> (seq: UInt64, id: BlobID)? {
        let prefix = Keys.channelPrefix(author: author, name: name)
        let highest = prefix + Keys.uint64(UInt64.max)
        return try environment.read { (txn) throws(StoreError) -> (seq: UInt64, id: BlobID)? in
            try txn.withCursor(databases.slots) { (cursor) throws(StoreError) -> (seq: UInt64, id: BlobID)? in
                var entry = try cursor.get(MDB_SET_RANGE, key: highest)
                if entry?.key != highest {
                    entry = try cursor.get(entry == nil ? MDB_LAST : MDB_PREV)
                }
                guard let found = entry, Self.isSlot(found.key, of: prefix),
                    let first = try cursor.get(MDB_FIRST_DUP),
                    let seq = Keys.decode(found.key[prefix.count...], as: UInt64.self)
                else { return nil }
                return (seq, BlobID(unchecked: first.value))
            }
        }
    }

    /// Entries of the sync index after `after` (exclusive), ascending by (timestamp, id).
    /// - Parameters:
    ///   - after: the last entry the caller has; `nil` lists from the start.
    ///   - limit: the most entries returned.
    public func syncIndex(after: (timestamp: UInt64, id: BlobID)?, limit: Int) throws(StoreError)
        -> [(timestamp: UInt64, id: BlobID)]
    {
        guard limit > 0 else { return [] }
        return try environment.read { (txn) throws(StoreError) -> [(timestamp: UInt64, id: BlobID)] in
            try txn.withCursor(databases.sync) { (cursor) throws(StoreError) -> [(timestamp: UInt64, id: BlobID)] in
                var entries: [(timestamp: UInt64, id: BlobID)] = []
                var entry: (key: [UInt8], value: [UInt8])?
                if let after {
                    let start = Keys.sync(timestamp: after.timestamp, id: after.id)
                    entry = try cursor.get(MDB_SET_RANGE, key: start)
                    if entry?.key == start { entry = try cursor.get(MDB_NEXT) }
                } else {
                    entry = try cursor.get(MDB_FIRST)
                }
                while let current = entry, entries.count < limit {
                    guard current.key.count == 40, let timestamp = Keys.decode(current.key[..<8], as: UInt64.self)
                    else {
                        throw .corrupt(path: txn.path, reason: "sync key of \(current.key.count) bytes")
                    }
                    entries.append((timestamp, BlobID(unchecked: Array(current.key[8...]))))
                    entry = try cursor.get(MDB_NEXT)
                }
                return entries
            }
        }
    }

    /// The evidence with `id`, or `nil` when none is stored.
    public func evidence(_ id: EvidenceID) throws(StoreError) -> Evidence? {
        try environment.read { (txn) throws(StoreError) -> Evidence? in
            guard let encoding = try txn.get(databases.evidence, id.bytes) else { return nil }
            return try storedData(txn.path, "stored evidence \(id.hex)") { () throws(CoreError) in
                try Evidence(trustedEncoding: encoding)
            }
        }
    }

    /// Up to `limit` stored evidence records, ascending by evidence id.
    public func evidenceList(limit: Int) throws(StoreError) -> [Evidence] {
        guard limit > 0 else { return [] }
        return try environment.read { (txn) throws(StoreError) -> [Evidence] in
            try txn.withCursor(databases.evidence) { (cursor) throws(StoreError) -> [Evidence] in
                var list: [Evidence] = []
                var entry = try cursor.get(MDB_FIRST)
                while let current = entry, list.count < limit {
                    list.append(
                        try storedData(txn.path, "stored evidence") { () throws(CoreError) in
                            try Evidence(trustedEncoding: current.value)
                        }
                    )
                    entry = try cursor.get(MDB_NEXT)
                }
                return list
            }
        }
    }

    /// Events with a sequence above `seq`, ascending; resume with the last sequence seen.
    public func events(after seq: UInt64, limit: Int) throws(StoreError) -> [StoredEvent] {
        guard limit > 0, seq < UInt64.max else { return [] }
        return try environment.read { (txn) throws(StoreError) -> [StoredEvent] in
            try txn.withCursor(databases.events) { (cursor) throws(StoreError) -> [StoredEvent] in
                var events: [StoredEvent] = []
                var entry = try cursor.get(MDB_SET_RANGE, key: Keys.uint64(seq + 1))
                while let current = entry, events.count < limit {
                    guard let eventSeq = Keys.decode(current.key, as: UInt64.self),
                        let kind = EventRecord.decode(current.value)
                    else {
                        throw .corrupt(path: txn.path, reason: "unreadable event record")
                    }
                    events.append(StoredEvent(seq: eventSeq, kind: kind))
                    entry = try cursor.get(MDB_NEXT)
                }
                return events
            }
        }
    }

    /// Counts of stored blobs, payload bytes and evidence, the newest event sequence and the map size.
    public func stats() throws(StoreError) -> StoreStats {
        let mapSize = try environment.mapSize()
        return try environment.read { (txn) throws(StoreError) -> StoreStats in
            let blobs = try counter(Keys.blobCountKey, in: txn)
            let payloadBytes = try counter(Keys.payloadBytesKey, in: txn)
            let evidence = try counter(Keys.evidenceCountKey, in: txn)
            let lastEventSeq = try txn.withCursor(databases.events) { (cursor) throws(StoreError) -> UInt64 in
                guard let last = try cursor.get(MDB_LAST) else { return 0 }
                return Keys.decode(last.key, as: UInt64.self) ?? 0
            }
            return StoreStats(
                blobs: Int(blobs),
                payloadBytes: Int(payloadBytes),
                evidence: Int(evidence),
                lastEventSeq: lastEventSeq,
                mapSizeBytes: mapSize
            )
        }
    }

    private func blob(_ id: BlobID, in txn: LMDBTransaction) throws(StoreError) -> SignedBlob? {
        try BlobBodies(txn: txn, databases: databases).blob(id)
    }

    private func counter(_ key: [UInt8], in txn: LMDBTransaction) throws(StoreError) -> UInt64 {
        guard let bytes = try txn.get(databases.counters, key) else { return 0 }
        guard let value = Keys.decode(bytes, as: UInt64.self) else {
            throw .corrupt(path: txn.path, reason: "counter of \(bytes.count) bytes")
        }
        return value
    }

    private static func isSlot(_ key: [UInt8], of prefix: [UInt8]) -> Bool {
        key.count == prefix.count + 8 && key.starts(with: prefix)
    }
}
