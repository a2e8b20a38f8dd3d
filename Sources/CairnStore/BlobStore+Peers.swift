import CLMDB
import CairnCore

extension BlobStore {
    /// Records that the peer at (`record.host`, `record.port`) was seen, replacing any earlier record of that address
    /// (its last-seen time included, even if older). Beyond `maxPeerRecords` the least recently seen are evicted.
    /// - Throws: `.invalidPeerHost` for an empty host or one over `PeerRecord.maxHostBytes` UTF-8 bytes, else as
    ///   `put(_:)`; answered after the commit.
    public func rememberPeer(_ record: PeerRecord) async throws(StoreError) {
        guard PeerRecord.isValidHost(record.host) else { throw .invalidPeerHost(host: record.host) }
        try await submitPeerBook(.remember(record))
    }

    /// Removes the peer record of (`host`, `port`); nothing happens when there is none.
    /// - Throws: `.invalidPeerHost` for a host no record can have, else as `put(_:)`; answered after the commit.
    public func forgetPeer(host: String, port: UInt16) async throws(StoreError) {
        guard PeerRecord.isValidHost(host) else { throw .invalidPeerHost(host: host) }
        try await submitPeerBook(.forget(host: host, port: port))
    }

    /// Up to `limit` peer records, most recently seen first (equal times in descending address order).
    /// - Throws: `.corrupt` for a malformed stored record, `.closed`, or `.lmdb`.
    public func peers(limit: Int) throws(StoreError) -> [PeerRecord] {
        guard limit > 0 else { return [] }
        return try environment.read { (txn) throws(StoreError) -> [PeerRecord] in
            try txn.withCursor(databases.peerRecency) { (cursor) throws(StoreError) -> [PeerRecord] in
                var records: [PeerRecord] = []
                var entry = try cursor.get(MDB_LAST)
                while let current = entry, records.count < limit {
                    guard current.value.isEmpty, let record = PeerBookLayout.decodeRecency(current.key) else {
                        throw .corrupt(path: txn.path, reason: "peer recency entry of \(current.key.count) bytes")
                    }
                    records.append(record)
                    entry = try cursor.get(MDB_PREV)
                }
                return records
            }
        }
    }

    /// Bans `record.key` until `record.untilMilliseconds`, replacing any earlier ban of that key.
    /// - Throws: as `put(_:)`; answered after the commit.
    public func ban(_ record: BanRecord) async throws(StoreError) {
        try await submitPeerBook(.ban(record))
    }

    /// Lifts the ban of `key`; nothing happens when there is none.
    /// - Throws: as `put(_:)`; answered after the commit.
    public func unban(_ key: PublicKey) async throws(StoreError) {
        try await submitPeerBook(.unban(key))
    }

    /// The bans still holding at `now` (`untilMilliseconds > now`, milliseconds since the Unix epoch), ascending by
    /// key. Expired bans stay stored until they are replaced or lifted.
    /// - Throws: `.corrupt` for a malformed stored ban, `.closed`, or `.lmdb`.
    public func bans(now: UInt64) throws(StoreError) -> [BanRecord] {
        try environment.read { (txn) throws(StoreError) -> [BanRecord] in
            try txn.withCursor(databases.bans) { (cursor) throws(StoreError) -> [BanRecord] in
                var records: [BanRecord] = []
                var entry = try cursor.get(MDB_FIRST)
                while let current = entry {
                    guard let record = BanLayout.decode(key: current.key, value: current.value) else {
                        throw .corrupt(
                            path: txn.path,
                            reason:
                                "ban entry with a \(current.key.count)-byte key and \(current.value.count)-byte value"
                        )
                    }
                    if record.isActive(now: now) { records.append(record) }
                    entry = try cursor.get(MDB_NEXT)
                }
                return records
            }
        }
    }

    private func submitPeerBook(_ write: PeerBookWrite) async throws(StoreError) {
        let result = await withCheckedContinuation { continuation in
            committer.queue.enqueue(.peerBook(write, continuation))
        }
        try result.get()
    }
}
