import CLMDB
import CairnCore

/// Applies one batch of write requests inside a single write transaction.
///
/// Runs only on the writer thread. A throw leaves nothing of the batch stored (the transaction is aborted).
struct BatchWriter: Sendable {
    let environment: LMDBEnvironment
    let databases: StoreDatabases
    /// The most records the peer book keeps (not negative).
    let maxPeerRecords: Int
    /// The most events the log keeps (at least 1).
    let maxRetainedEvents: UInt64
    /// What the store holds per author and in total.
    let quota: StoreQuota

    /// The oldest events beyond `maxRetainedEvents` one commit drops, besides as many as it appended: a log longer
    /// than the bound (the bound was lowered) shrinks by this much per commit, not all at once.
    static let extraEventsDroppedPerCommit = 1024

    /// What a committed batch did, for the callers, the commit observer and the metrics.
    struct Outcome: Sendable {
        var results: [WriteOutcome] = []
        var events: [StoredEvent] = []
        /// Every blob stored, in put order.
        var storedBlobIDs: [BlobID] = []
        /// Blobs that became linked into their channel.
        var linkedBlobs = 0
        /// Blobs that became prev mismatches.
        var prevMismatches = 0
        var storedBlobs = 0
        var storedPayloadBytes = 0
        var storedEvidence = 0
        var evictedPeers = 0
        /// Events dropped from the front of the log beyond `maxRetainedEvents`.
        var droppedEvents = 0
        /// Blobs the quota refused.
        var refusals: [QuotaRefusal] = []
    }

    /// Writes every request in one transaction and commits it.
    func write(_ batch: [WriteRequest]) throws(StoreError) -> Outcome {
        try environment.write { (txn) throws(StoreError) -> Outcome in
            var state = try TransactionState(txn: txn, databases: databases, quota: quota)
            let peerBook = PeerBookWriter(txn: txn, databases: databases, maxPeerRecords: maxPeerRecords)
            var outcome = Outcome()
            for request in batch {
                switch request {
                case .blobs(let blobs, _):
                    var results: [PutResult] = []
                    results.reserveCapacity(blobs.count)
                    for blob in blobs {
                        results.append(try state.store(blob, enforcingQuota: true, into: &outcome))
                    }
                    outcome.results.append(.blobs(results))
                case .evidence(let records, _):
                    var recorded: [EvidenceID] = []
                    for evidence in records {
                        recorded += try state.record(evidence, into: &outcome)
                    }
                    outcome.results.append(.evidence(recorded))
                case .event(let topic, let data, _):
                    let event = try state.appendEvent(.custom(topic: topic, data: data), into: &outcome)
                    outcome.results.append(.event(event))
                case .peerBook(let write, _):
                    outcome.evictedPeers += try peerBook.apply(write)
                    outcome.results.append(.peerBook)
                }
            }
            try state.dropOldestEvents(retaining: maxRetainedEvents, into: &outcome)
            try state.saveCounters()
            return outcome
        }
    }
}

/// The mutable view of one write transaction: the next event sequence, the running counters and the reconciliation
/// index (whose header is written once, with the counters).
private struct TransactionState {
    let txn: LMDBTransaction
    let databases: StoreDatabases
    var reconciliation: ReconciliationIndex
    var nextEventSeq: UInt64
    /// The end of the body log, where the next stored blob's encoding goes.
    var bodyTail: BlobBodies.Tail
    var blobCount: UInt64
    var payloadBytes: UInt64
    var evidenceCount: UInt64
    let quota: StoreQuota
    /// The usage of every author this transaction stored a blob of (or checked), written with the counters.
    var authorUsage: [PublicKey: AuthorUsage] = [:]
    /// Authors with a blob the quota refused in this transaction: their later blobs in it are refused too.
    var refusedAuthors: Set<PublicKey> = []

    init(txn: LMDBTransaction, databases: StoreDatabases, quota: StoreQuota) throws(StoreError) {
        self.txn = txn
        self.databases = databases
        self.quota = quota
        reconciliation = try ReconciliationIndex(txn: txn, dbi: databases.reconciliation)
        nextEventSeq = try Self.lastEventSeq(txn, databases) + 1
        bodyTail = try BlobBodies(txn: txn, databases: databases).tail()
        blobCount = try Self.counter(txn, databases, Keys.blobCountKey)
        payloadBytes = try Self.counter(txn, databases, Keys.payloadBytesKey)
        evidenceCount = try Self.counter(txn, databases, Keys.evidenceCountKey)
    }

    /// Stores one blob unless its id is already there or (with `enforcingQuota`) the quota refuses it, links what it
    /// completes (appending a `blob` event for each blob that became linked, a `chain` event for each new prev
    /// mismatch) and records fork evidence against every other id in its slot.
    mutating func store(
        _ blob: SignedBlob,
        enforcingQuota: Bool,
        into outcome: inout BatchWriter.Outcome
    ) throws(StoreError) -> PutResult {
        let id = blob.id
        let bodies = BlobBodies(txn: txn, databases: databases)
        var usage = try usage(of: blob.author)
        if enforcingQuota, let refusal = try refusal(of: blob, usage: usage) {
            guard try !bodies.contains(id) else { return PutResult(id: id, outcome: .duplicate) }
            refusedAuthors.insert(blob.author)
            outcome.refusals.append(refusal)
            return PutResult(id: id, outcome: .refused(refusal))
        }
        guard try bodies.insert(blob.encoding, id: id, tail: &bodyTail) else {
            return PutResult(id: id, outcome: .duplicate)
        }
        usage.add(payloadBytes: blob.payload.count)
        authorUsage[blob.author] = usage
        let slotKey = Keys.slot(author: blob.author, name: blob.channel, seq: blob.seq)
        let others = try idsInSlot(slotKey)
        try txn.put(databases.slots, slotKey, id.bytes, flags: MDB_NODUPDATA)
        try txn.put(databases.sync, Keys.sync(timestamp: blob.timestamp, id: id), [])
        // A new id is a new item; `false` (already indexed) cannot happen in a consistent store and changes nothing.
        _ = try reconciliation.insert(SyncItem(blobTimestampMilliseconds: blob.timestamp, id: id))
        blobCount += 1
        payloadBytes += UInt64(blob.payload.count)
        outcome.storedBlobs += 1
        outcome.storedPayloadBytes += blob.payload.count
        outcome.storedBlobIDs.append(id)
        let change = try ChainIndex(txn: txn, databases: databases).stored(blob, slotWasEmpty: others.isEmpty)
        for linked in change.linked {
            _ = try appendEvent(.blob(linked), into: &outcome)
        }
        for mismatch in change.prevMismatches {
            _ = try appendEvent(.prevMismatch(mismatch), into: &outcome)
        }
        outcome.linkedBlobs += change.linked.count
        outcome.prevMismatches += change.prevMismatches.count

        var evidence: [EvidenceID] = []
        for other in others where other != id {
            let evidenceID = Evidence.id(kind: .channelFork, other, id)
            guard try txn.get(databases.evidence, evidenceID.bytes) == nil else { continue }
            let existing = try storedBlob(other)
            let record = try storedData(txn.path, "fork evidence") { () throws(CoreError) in
                try Evidence.channelFork(existing, blob)
            }
            if try insert(record, into: &outcome) { evidence.append(evidenceID) }
        }
        return PutResult(id: id, outcome: .stored, evidence: evidence)
    }

    /// Stores both blobs of checked evidence as puts do (recording any channel fork they complete), then the evidence
    /// itself unless it is already stored.
    /// - Returns: every evidence newly recorded, in order: the forks the blobs completed, then `evidence` if new.
    mutating func record(_ evidence: Evidence, into outcome: inout BatchWriter.Outcome) throws(StoreError)
        -> [EvidenceID]
    {
        var recorded: [EvidenceID] = []
        // Evidence is kept whatever the quota: a conflict is never dropped.
        for blob in [evidence.first, evidence.second] {
            recorded += try store(blob, enforcingQuota: false, into: &outcome).evidence
        }
        // Channel-fork evidence was recorded by the second put, if it was new.
        if try insert(evidence, into: &outcome) { recorded.append(evidence.id) }
        return recorded
    }

    /// Writes an evidence record, counts it and appends its `evidence` event, unless its id is already stored.
    /// - Returns: `true` when it was new.
    private mutating func insert(_ evidence: Evidence, into outcome: inout BatchWriter.Outcome) throws(StoreError)
        -> Bool
    {
        guard try txn.put(databases.evidence, evidence.id.bytes, evidence.encoding, flags: MDB_NOOVERWRITE) else {
            return false
        }
        evidenceCount += 1
        outcome.storedEvidence += 1
        _ = try appendEvent(.evidence(evidence.id), into: &outcome)
        return true
    }

    /// Appends one event record with the next sequence.
    mutating func appendEvent(
        _ kind: StoredEvent.Kind,
        into outcome: inout BatchWriter.Outcome
    ) throws(StoreError) -> StoredEvent {
        let event = StoredEvent(seq: nextEventSeq, kind: kind)
        guard try txn.put(databases.events, Keys.uint64(event.seq), EventRecord.encode(kind), flags: MDB_APPEND) else {
            throw .corrupt(path: txn.path, reason: "event \(event.seq) is not after the last stored event")
        }
        nextEventSeq += 1
        outcome.events.append(event)
        return event
    }

    /// Deletes the oldest events beyond `retention`: at most as many as this transaction appended plus
    /// `BatchWriter.extraEventsDroppedPerCommit`, so the work of one commit stays bounded. The newest event is never
    /// dropped (`retention` is at least 1), so the next sequence always follows it.
    mutating func dropOldestEvents(retaining retention: UInt64, into outcome: inout BatchWriter.Outcome)
        throws(StoreError)
    {
        precondition(retention >= 1, "the newest event numbers the next one")
        let newest = nextEventSeq - 1
        guard newest > retention else { return }
        let oldestKept = newest - retention + 1
        let budget = outcome.events.count + BatchWriter.extraEventsDroppedPerCommit
        let doomed = try txn.withCursor(databases.events) { (cursor) throws(StoreError) -> [[UInt8]] in
            var keys: [[UInt8]] = []
            var entry = try cursor.get(MDB_FIRST)
            while let current = entry, keys.count < budget {
                guard let seq = Keys.decode(current.key, as: UInt64.self) else {
                    throw .corrupt(path: txn.path, reason: "event key of \(current.key.count) bytes")
                }
                guard seq < oldestKept else { break }
                keys.append(current.key)
                entry = try cursor.get(MDB_NEXT)
            }
            return keys
        }
        for key in doomed { _ = try txn.delete(databases.events, key) }
        outcome.droppedEvents += doomed.count
    }

    /// Why the quota refuses `blob` from an author whose stored blobs are `usage`, or `nil`.
    private func refusal(of blob: SignedBlob, usage: AuthorUsage) throws(StoreError) -> QuotaRefusal? {
        guard !quota.exemptAuthors.contains(blob.author) else { return nil }
        if refusedAuthors.contains(blob.author) { return .authorRefusedEarlier }
        return quota.refusal(
            author: blob.author,
            payloadBytes: blob.payload.count,
            usage: usage,
            totalBytes: payloadBytes
        )
    }

    /// The author's usage as this transaction sees it.
    private func usage(of author: PublicKey) throws(StoreError) -> AuthorUsage {
        if let usage = authorUsage[author] { return usage }
        guard let bytes = try txn.get(databases.authors, author.bytes) else { return AuthorUsage() }
        guard let usage = AuthorUsage(encoding: bytes) else {
            throw .corrupt(path: txn.path, reason: "usage of author \(author.hex) of \(bytes.count) bytes")
        }
        return usage
    }

    mutating func saveCounters() throws(StoreError) {
        for (author, usage) in authorUsage { try txn.put(databases.authors, author.bytes, usage.encoding) }
        try reconciliation.saveHeader()
        try txn.put(databases.counters, Keys.blobCountKey, Keys.uint64(blobCount))
        try txn.put(databases.counters, Keys.payloadBytesKey, Keys.uint64(payloadBytes))
        try txn.put(databases.counters, Keys.evidenceCountKey, Keys.uint64(evidenceCount))
    }

    private func idsInSlot(_ slotKey: [UInt8]) throws(StoreError) -> [BlobID] {
        try txn.withCursor(databases.slots) { (cursor) throws(StoreError) -> [BlobID] in
            var ids: [BlobID] = []
            var entry = try cursor.get(MDB_SET, key: slotKey)
            while let current = entry {
                ids.append(BlobID(unchecked: current.value))
                entry = try cursor.get(MDB_NEXT_DUP)
            }
            return ids
        }
    }

    private func storedBlob(_ id: BlobID) throws(StoreError) -> SignedBlob {
        guard let blob = try BlobBodies(txn: txn, databases: databases).blob(id) else {
            throw .corrupt(path: txn.path, reason: "slot names blob \(id.hex) that is not stored")
        }
        return blob
    }

    static func lastEventSeq(_ txn: LMDBTransaction, _ databases: StoreDatabases) throws(StoreError) -> UInt64 {
        try txn.withCursor(databases.events) { (cursor) throws(StoreError) -> UInt64 in
            guard let last = try cursor.get(MDB_LAST) else { return 0 }
            guard let seq = Keys.decode(last.key, as: UInt64.self) else {
                throw .corrupt(path: txn.path, reason: "event key of \(last.key.count) bytes")
            }
            return seq
        }
    }

    static func counter(_ txn: LMDBTransaction, _ databases: StoreDatabases, _ key: [UInt8]) throws(StoreError)
        -> UInt64
    {
        guard let bytes = try txn.get(databases.counters, key) else { return 0 }
        guard let value = Keys.decode(bytes, as: UInt64.self) else {
            throw .corrupt(
                path: txn.path,
                reason: "counter \(String(decoding: key, as: UTF8.self)) of \(bytes.count) bytes"
            )
        }
        return value
    }
}

/// Runs `body` on data the store wrote itself, turning a `CoreError` into `StoreError.corrupt`.
func storedData<T>(_ path: String, _ what: String, _ body: () throws(CoreError) -> T) throws(StoreError) -> T {
    do {
        return try body()
    } catch {
        throw .corrupt(path: path, reason: "\(what): \(error)")
    }
}
