import CLMDB
import CairnCore

/// Which stored blobs are *linked* into their channel's chain, kept up to date inside each write transaction.
///
/// A blob at seq 1 is linked; a blob at seq n > 1 is linked when its `prev` is the id of a linked blob at seq n − 1
/// (of any of them when n − 1 is forked). So a linked blob's whole chain below it is stored, and which blobs are
/// linked is a function of the stored set alone, whatever order the blobs arrived in. A blob at n > 1 whose `prev`
/// is none of the blobs stored at n − 1 while at least one is stored there is a *prev mismatch*: its author signed
/// two different blobs for seq n − 1 (the stored one and the one `prev` names).
///
/// Layout (schema 3):
/// - `chain-heights`: channel prefix (`Keys.channelPrefix`) → the highest seq with a linked blob (`UInt64`
///   big-endian); absent while seq 1 is not stored. Every seq from 1 up to it has a linked blob.
/// - `chain-waiting` (`MDB_DUPSORT`): `Keys.chainWaiting` (channel prefix ‖ seq − 1 ‖ prev) → blob id, for every
///   stored blob that is not linked: the blobs waiting for one predecessor, found when it becomes linked.
/// - `chain-unlinked`: blob id → empty, for the same blobs.
struct ChainIndex {
    let txn: LMDBTransaction
    let databases: StoreDatabases

    /// What storing one blob changed.
    struct Change: Equatable {
        /// Blobs that became linked, the stored blob first if it is one of them: each after the blob its `prev`
        /// names, seq ascending, ids ascending within a seq.
        var linked: [BlobID] = []
        /// Blobs that became prev mismatches, the stored blob first if it is one.
        var prevMismatches: [BlobID] = []
    }

    /// Records `blob`, just put in `blobs` and `slots`, and links what it completes.
    /// - Parameter slotWasEmpty: no other blob was stored at `blob`'s (author, channel, seq) before it.
    func stored(_ blob: SignedBlob, slotWasEmpty: Bool) throws(StoreError) -> Change {
        let prefix = Keys.channelPrefix(author: blob.author, name: blob.channel)
        var change = Change()
        var isLinked = true
        if blob.seq > 1 {
            let below = Keys.slot(author: blob.author, name: blob.channel, seq: blob.seq - 1)
            let prevIsStoredBelow = try txn.contains(databases.slots, below, value: blob.prev.bytes)
            if !prevIsStoredBelow, try txn.get(databases.slots, below) != nil {
                change.prevMismatches.append(blob.id)
            }
            if prevIsStoredBelow {
                isLinked = try !isUnlinked(blob.prev)
            } else {
                isLinked = false
            }
            if !isLinked {
                let key = Keys.chainWaiting(channelPrefix: prefix, belowSeq: blob.seq - 1, prev: blob.prev)
                try txn.put(databases.chainWaiting, key, blob.id.bytes, flags: MDB_NODUPDATA)
                try txn.put(databases.chainUnlinked, blob.id.bytes, [])
            }
        }
        if slotWasEmpty, blob.seq < UInt64.max {
            // Blobs at seq + 1 waited for a first blob here; those naming another one are mismatches now.
            change.prevMismatches += try waiting(prefix: prefix, belowSeq: blob.seq, except: blob.id)
        }
        if isLinked {
            change.linked = try release(from: blob.id, seq: blob.seq, prefix: prefix)
        }
        return change
    }

    /// `true` when `id` is stored but not linked.
    func isUnlinked(_ id: BlobID) throws(StoreError) -> Bool {
        try txn.get(databases.chainUnlinked, id.bytes) != nil
    }

    /// The highest linked seq of the channel with `prefix`, 0 when none is linked.
    func height(prefix: [UInt8]) throws(StoreError) -> UInt64 {
        guard let bytes = try txn.get(databases.chainHeights, prefix) else { return 0 }
        guard let height = Keys.decode(bytes, as: UInt64.self) else {
            throw .corrupt(path: txn.path, reason: "chain height of \(bytes.count) bytes")
        }
        return height
    }

    /// Links `root` (linked now, at `seq`) and, level by level, every waiting blob whose chain it completes.
    /// - Returns: the linked blobs, `root` first, seq ascending and ids ascending within a seq.
    private func release(from root: BlobID, seq: UInt64, prefix: [UInt8]) throws(StoreError) -> [BlobID] {
        var linked: [BlobID] = []
        var level: [BlobID] = [root]
        var levelSeq = seq
        while true {
            linked += level
            guard levelSeq < UInt64.max else { break }
            var next: [BlobID] = []
            for parent in level {
                let key = Keys.chainWaiting(channelPrefix: prefix, belowSeq: levelSeq, prev: parent)
                let children = try txn.values(databases.chainWaiting, key)
                guard !children.isEmpty else { continue }
                try txn.delete(databases.chainWaiting, key)
                for child in children {
                    guard try txn.delete(databases.chainUnlinked, child) else {
                        throw .corrupt(path: txn.path, reason: "waiting blob \(Hex.encode(child)) is not unlinked")
                    }
                    next.append(BlobID(unchecked: child))
                }
            }
            guard !next.isEmpty else { break }
            level = next.sorted()
            levelSeq += 1
        }
        if levelSeq > (try height(prefix: prefix)) {
            try txn.put(databases.chainHeights, prefix, Keys.uint64(levelSeq))
        }
        return linked
    }

    /// The blobs waiting at seq `belowSeq` + 1 for a blob other than `except`, by (prev, id).
    private func waiting(prefix: [UInt8], belowSeq: UInt64, except: BlobID) throws(StoreError) -> [BlobID] {
        let start = prefix + Keys.uint64(belowSeq)
        return try txn.withCursor(databases.chainWaiting) { (cursor) throws(StoreError) -> [BlobID] in
            var ids: [BlobID] = []
            var entry = try cursor.get(MDB_SET_RANGE, key: start)
            while let current = entry, current.key.count == start.count + 32, current.key.starts(with: start) {
                if !current.key[start.count...].elementsEqual(except.bytes) {
                    ids.append(BlobID(unchecked: current.value))
                }
                entry = try cursor.get(MDB_NEXT)
            }
            return ids
        }
    }
}
