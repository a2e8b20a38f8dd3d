import CLMDB
import CairnCore
import Foundation
import Logging

/// The node's LMDB-backed store of signed blobs, evidence, the event log, the mesh's peer book and its bans.
///
/// Reads run on the caller's thread in their own read transaction. Writes go through one writer thread that groups
/// queued writes into a transaction of up to `maxBatchBlobs` (group commit); a write is answered only after the
/// transaction holding it committed. Open one `BlobStore` per directory per process: LMDB does not allow a second
/// environment on the same files in one process.
public final class BlobStore: Sendable {
    /// The schema version this build reads and writes.
    /// Schema 2 added the reconciliation index, schema 3 the chain index (which blobs are linked into their
    /// channel), schema 4 the per-author usage the quota checks, schema 5 moved the encodings from `blobs` (keyed by
    /// id) into a log in arrival order (`bodies`) and `ids`; an older store is upgraded when opened.
    public static let schemaVersion: UInt32 = 5

    /// The configuration the store was opened with.
    public let configuration: StoreConfiguration
    let environment: LMDBEnvironment
    let databases: StoreDatabases
    let committer: GroupCommitter
    let logger: Logger

    /// Opens the store in `configuration.directory`, creating the directory (mode 0700) and an empty store if needed.
    /// - Throws: `.corrupt` when the directory holds something that is not an LMDB environment, `.foreignDatabase`
    ///   for an LMDB environment without Cairn's marker, `.unsupportedSchema` for a newer schema version (an older one
    ///   is upgraded in one transaction, see `StoreDatabases.open`), `.lmdb` for any other failure.
    public init(configuration: StoreConfiguration, logger: Logger = Logger(label: "cairn.store")) throws(StoreError) {
        self.configuration = configuration
        self.logger = logger
        try Self.createDirectory(configuration.directory)
        environment = try LMDBEnvironment(
            path: configuration.directory,
            mapSizeBytes: configuration.initialMapSizeBytes,
            maxDatabases: StoreDatabases.maxDatabases,
            durable: configuration.durable
        )
        do {
            databases = try Self.openDatabases(in: environment, logger: logger)
        } catch {
            environment.close()
            throw error
        }
        committer = GroupCommitter(
            queue: WriteQueue(maxPendingUnits: configuration.maxPendingWrites),
            writer: BatchWriter(
                environment: environment,
                databases: databases,
                maxPeerRecords: max(0, configuration.maxPeerRecords),
                maxRetainedEvents: UInt64(max(1, configuration.maxRetainedEvents)),
                quota: configuration.quota
            ),
            maxBatchUnits: configuration.maxBatchBlobs,
            metrics: StoreMetrics(),
            logger: logger
        )
        committer.start()
        logger.info("opened blob store", metadata: ["directory": "\(configuration.directory)"])
    }

    deinit {
        close()
    }

    /// Stops accepting writes, waits until every queued put has committed and been answered, stops the writer thread
    /// and closes the environment. Idempotent; reads and writes after it throw `.closed`.
    public func close() {
        committer.stop()
        environment.close()
    }

    /// Sets the function called on the writer thread after each commit with what it added: every blob it stored (in
    /// put order, linked into its channel or not) and the events it appended (in sequence order), before the puts
    /// of that commit are answered. Set it once, before the first write; it must return quickly and must not call
    /// `close()`.
    public func setCommitObserver(_ observer: @escaping @Sendable (StoreCommit) -> Void) {
        committer.setObserver(observer)
    }

    /// Stores a verified blob.
    /// - Returns: `.stored` with any fork evidence it caused, or `.duplicate`; answered after the commit. Once queued,
    ///   the put completes even if the calling task is cancelled.
    /// - Throws: `.closed`, `.tooManyPending`, or the error that failed the whole transaction.
    public func put(_ blob: SignedBlob) async throws(StoreError) -> PutResult {
        let results = try await submit([blob])
        return results[0]
    }

    /// Stores verified blobs, `maxBatchBlobs` (at most `maxPendingWrites`) at a time; results are in the order of
    /// `blobs`.
    /// - Throws: as `put(_:)`; blobs of chunks committed before the failure stay stored.
    public func put(_ blobs: [SignedBlob]) async throws(StoreError) -> [PutResult] {
        let chunkSize = max(1, min(configuration.maxBatchBlobs, configuration.maxPendingWrites))
        var results: [PutResult] = []
        results.reserveCapacity(blobs.count)
        for start in stride(from: 0, to: blobs.count, by: chunkSize) {
            results += try await submit(Array(blobs[start..<min(start + chunkSize, blobs.count)]))
        }
        return results
    }

    /// Decodes and verifies `encoding` (with `maxPayloadBytes`), then stores it.
    /// - Throws: `.invalidBlob` when the bytes do not decode or verify (nothing is stored), else as `put(_:)`.
    public func put(encoding: [UInt8]) async throws(StoreError) -> PutResult {
        let blob: SignedBlob
        do {
            blob = try SignedBlob.decode(encoding, maxPayloadBytes: configuration.maxPayloadBytes)
        } catch {
            throw .invalidBlob(error)
        }
        return try await put(blob)
    }

    /// Appends a custom event to the log through the same group commit as puts.
    /// - Returns: the event with its sequence, after the commit.
    /// - Throws: `.invalidEventTopic` for an empty, too long (over 255 bytes) or built-in topic, else as `put(_:)`.
    public func appendEvent(topic: String, data: [UInt8]) async throws(StoreError) -> StoredEvent {
        guard StoredEvent.isValidCustomTopic(topic) else { throw .invalidEventTopic(topic: topic) }
        let result = await withCheckedContinuation { continuation in
            committer.queue.enqueue(.event(topic: topic, data: data, continuation))
        }
        return try result.get()
    }

    private func submit(_ blobs: [SignedBlob]) async throws(StoreError) -> [PutResult] {
        let result = await withCheckedContinuation { continuation in
            committer.queue.enqueue(.blobs(blobs, reply: { continuation.resume(returning: $0) }))
        }
        return try result.get()
    }

    /// Stores verified blobs (at most `maxBatchBlobs`, which share one transaction) and calls `completion` on the
    /// writer thread once that transaction committed, or failed. For event-driven callers that would otherwise
    /// start a task per put; `completion` must return quickly (hand the result to your own thread).
    public func put(_ blobs: [SignedBlob], completion: @escaping @Sendable (Result<[PutResult], StoreError>) -> Void) {
        precondition(blobs.count <= configuration.maxBatchBlobs, "put(_:completion:) takes one batch at most")
        committer.queue.enqueue(.blobs(blobs, reply: completion))
    }

    /// Records evidence the caller has judged (the store does not judge kinds), with both of its blobs, `maxBatchBlobs`
    /// / 2 evidence (at least one) per transaction.
    ///
    /// In its transaction each evidence stores its two blobs unless they are stored, exactly as `put` does (slots,
    /// indexes, counters, `blob` and `chain` events, and any channel fork the pair completes), then the evidence unless
    /// it is stored (with its `evidence` event). Recording stored evidence again changes nothing.
    /// - Returns: every evidence newly recorded, in order: for each evidence, the channel forks its blobs completed,
    ///   then the evidence itself when it was new; answered after the commit.
    /// - Throws: `.invalidEvidence` when an evidence's encoding does not decode and verify as itself (a blob that does
    ///   not verify or exceeds `maxPayloadBytes`, kind 0), before anything is queued; else as `put(_:)` (evidence
    ///   of chunks committed before the failure stays recorded).
    public func record(_ evidence: [Evidence]) async throws(StoreError) -> [EvidenceID] {
        for item in evidence { try check(item) }
        let chunkSize = maxEvidencePerRequest
        var recorded: [EvidenceID] = []
        for start in stride(from: 0, to: evidence.count, by: chunkSize) {
            let chunk = Array(evidence[start..<min(start + chunkSize, evidence.count)])
            let result = await withCheckedContinuation { continuation in
                committer.queue.enqueue(.evidence(chunk, reply: { continuation.resume(returning: $0) }))
            }
            recorded += try result.get()
        }
        return recorded
    }

    /// Records evidence as `record(_:)` does, in one transaction, and calls `completion` on the writer thread once it
    /// committed or failed, or at once on the caller's thread when the evidence is refused or the queue is full. For
    /// event-driven callers; `completion` must return quickly.
    /// - Parameter evidence: at most `maxBatchBlobs` / 2 (at least one).
    public func record(
        _ evidence: [Evidence],
        completion: @escaping @Sendable (Result<[EvidenceID], StoreError>) -> Void
    ) {
        precondition(evidence.count <= maxEvidencePerRequest, "record(_:completion:) takes one batch at most")
        do {
            for item in evidence { try check(item) }
        } catch {
            completion(.failure(error))
            return
        }
        committer.queue.enqueue(.evidence(evidence, reply: completion))
    }

    /// The most evidence one write request holds: each stores up to two blobs.
    var maxEvidencePerRequest: Int {
        max(1, min(configuration.maxBatchBlobs, configuration.maxPendingWrites) / 2)
    }

    /// Refuses evidence whose encoding does not decode and verify as the same evidence (its blobs' signatures
    /// included): a caller could have built it from unverified blobs or with kind 0.
    private func check(_ evidence: Evidence) throws(StoreError) {
        let decoded: Evidence
        do {
            decoded = try Evidence.decode(evidence.encoding, maxPayloadBytes: configuration.maxPayloadBytes)
        } catch {
            throw .invalidEvidence(id: evidence.id, error)
        }
        guard decoded.id == evidence.id else {
            throw .invalidEvidence(id: evidence.id, .invalidEvidence(reason: "its encoding decodes as other evidence"))
        }
    }

    /// Opens the databases, growing the map while an upgrade finds it full.
    private static func openDatabases(in environment: LMDBEnvironment, logger: Logger) throws(StoreError)
        -> StoreDatabases
    {
        var grows = 0
        while true {
            do throws(StoreError) {
                return try StoreDatabases.open(in: environment, logger: logger)
            } catch {
                guard case .lmdb(_, MDB_MAP_FULL, _) = error, grows < GroupCommitter.maxMapGrowsPerBatch else {
                    throw error
                }
                grows += 1
                let size = try environment.growMap()
                logger.info("grew the LMDB map for the upgrade", metadata: ["mapSizeBytes": "\(size)"])
            }
        }
    }

    private static func createDirectory(_ path: String) throws(StoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .corrupt(path: path, reason: "not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            let code = (error as NSError).code
            throw .lmdb(operation: "mkdir", code: Int32(truncatingIfNeeded: code), message: "\(error)")
        }
    }
}
