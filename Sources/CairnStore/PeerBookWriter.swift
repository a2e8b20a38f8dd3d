import CLMDB
import CairnCore

/// Applies `PeerBookWrite`s inside a write transaction (layouts in `PeerBookLayout` and `BanLayout`).
///
/// Runs only on the writer thread. A throw aborts the whole transaction.
struct PeerBookWriter {
    let txn: LMDBTransaction
    let databases: StoreDatabases
    /// The most records the peer book keeps.
    let maxPeerRecords: Int

    /// Applies one write.
    /// - Returns: how many peer records were evicted to stay within `maxPeerRecords`.
    /// - Throws: `.corrupt` when the peer book's two databases disagree or hold a malformed entry.
    func apply(_ write: PeerBookWrite) throws(StoreError) -> Int {
        switch write {
        case .remember(let record):
            let address = PeerBookLayout.address(host: record.host, port: record.port)
            try removeRecency(of: address)
            try txn.put(databases.peers, address, Keys.uint64(record.lastSeenMilliseconds))
            try txn.put(
                databases.peerRecency,
                PeerBookLayout.recencyKey(lastSeen: record.lastSeenMilliseconds, address: address),
                []
            )
            return try evictBeyondBound()
        case .forget(let host, let port):
            let address = PeerBookLayout.address(host: host, port: port)
            if try removeRecency(of: address) {
                try txn.delete(databases.peers, address)
            }
            return 0
        case .ban(let record):
            try txn.put(databases.bans, record.key.bytes, BanLayout.encodeValue(record))
            return 0
        case .unban(let key):
            try txn.delete(databases.bans, key.bytes)
            return 0
        }
    }

    /// Deletes the `peer-recency` entry of `address`, found through its `peers` entry.
    /// - Returns: `false` when the address has no record.
    @discardableResult
    private func removeRecency(of address: [UInt8]) throws(StoreError) -> Bool {
        guard let value = try txn.get(databases.peers, address) else { return false }
        guard let lastSeen = Keys.decode(value, as: UInt64.self) else {
            throw .corrupt(path: txn.path, reason: "peer record of \(value.count) bytes")
        }
        guard try txn.delete(databases.peerRecency, PeerBookLayout.recencyKey(lastSeen: lastSeen, address: address))
        else {
            throw .corrupt(path: txn.path, reason: "peer record without its recency entry")
        }
        return true
    }

    /// Deletes the least recently seen records until at most `maxPeerRecords` remain.
    private func evictBeyondBound() throws(StoreError) -> Int {
        var count = try txn.entryCount(databases.peers)
        var evicted = 0
        while count > maxPeerRecords {
            let oldest = try txn.withCursor(databases.peerRecency) { (cursor) throws(StoreError) in
                try cursor.get(MDB_FIRST)
            }
            guard let oldest, PeerBookLayout.decodeRecency(oldest.key) != nil else {
                throw .corrupt(path: txn.path, reason: "peer book holds \(count) records but no readable oldest entry")
            }
            try txn.delete(databases.peerRecency, oldest.key)
            guard try txn.delete(databases.peers, Array(oldest.key[PeerBookLayout.lastSeenBytes...])) else {
                throw .corrupt(path: txn.path, reason: "peer recency entry without its record")
            }
            count -= 1
            evicted += 1
        }
        assert(count <= maxPeerRecords, "the peer book never exceeds its bound")
        return evicted
    }
}
