import CLMDB
import Foundation
import Logging

/// The writer thread: takes batches from the `WriteQueue`, writes each in one transaction, then answers every
/// request of the batch (or fails them all with the transaction's error).
final class GroupCommitter: @unchecked Sendable {  // `observer` and `isFinished` are guarded by `condition`
    /// How often one batch may grow the map before its error is given to the callers.
    static let maxMapGrowsPerBatch = 32

    let queue: WriteQueue
    private let writer: BatchWriter
    private let maxBatchUnits: Int
    private let metrics: StoreMetrics
    private let logger: Logger
    private let condition = NSCondition()
    private var observer: (@Sendable (StoreCommit) -> Void)?
    private var isStarted = false
    private var isFinished = false
    /// Whether the last transaction failed for want of room; only the writer thread touches it.
    private var isStorageFull = false

    init(queue: WriteQueue, writer: BatchWriter, maxBatchUnits: Int, metrics: StoreMetrics, logger: Logger) {
        self.queue = queue
        self.writer = writer
        self.maxBatchUnits = max(1, maxBatchUnits)
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts the writer thread.
    func start() {
        condition.lock()
        precondition(!isStarted, "the writer thread starts once")
        isStarted = true
        condition.unlock()
        let thread = Thread { [self] in run() }
        thread.name = "cairn-store-writer"
        thread.start()
    }

    /// Closes the queue and waits until the writer has answered every queued request and exited.
    func stop() {
        queue.close()
        condition.lock()
        while isStarted && !isFinished {
            condition.wait()
        }
        condition.unlock()
    }

    /// Sets the function called on the writer thread after each commit with what that commit added.
    func setObserver(_ observer: @escaping @Sendable (StoreCommit) -> Void) {
        condition.lock()
        self.observer = observer
        condition.unlock()
    }

    private func run() {
        while let batch = queue.takeBatch(maxUnits: maxBatchUnits) {
            process(batch)
        }
        condition.lock()
        isFinished = true
        condition.broadcast()
        condition.unlock()
    }

    private func process(_ batch: [WriteRequest]) {
        let units = batch.reduce(0) { $0 + $1.units }
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: BatchWriter.Outcome
        do {
            outcome = try writeGrowingMap(batch)
        } catch {
            if case .storageFull = error {
                storageFull(error)
            } else {
                logger.error("write batch failed", metadata: ["requests": "\(batch.count)", "error": "\(error)"])
            }
            for request in batch { request.fail(error) }
            return
        }
        if isStorageFull {
            isStorageFull = false
            metrics.storageFullNow.record(0)
            logger.notice("storage has room again: writes resumed")
        }
        if !outcome.refusals.isEmpty {
            metrics.recordRefusals(outcome.refusals)
            logger.info(
                "refused blobs beyond the quota",
                metadata: ["count": "\(outcome.refusals.count)", "reason": "\(outcome.refusals[0])"]
            )
        }
        let elapsed = clock.now - start
        let (seconds, attoseconds) = elapsed.components
        metrics.commitLatency.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        metrics.batchBlobs.record(units)
        metrics.blobsStored.increment(by: outcome.storedBlobs)
        metrics.payloadBytes.increment(by: outcome.storedPayloadBytes)
        if outcome.storedEvidence > 0 {
            metrics.evidence.increment(by: outcome.storedEvidence)
            logger.notice("recorded evidence", metadata: ["count": "\(outcome.storedEvidence)"])
        }
        if outcome.prevMismatches > 0 {
            metrics.prevMismatches.increment(by: outcome.prevMismatches)
            logger.notice(
                "stored blobs whose prev contradicts their channel",
                metadata: ["count": "\(outcome.prevMismatches)"]
            )
        }
        metrics.blobsLinked.increment(by: outcome.linkedBlobs)
        if outcome.evictedPeers > 0 {
            metrics.peersEvicted.increment(by: outcome.evictedPeers)
            logger.debug("evicted least recently seen peers", metadata: ["count": "\(outcome.evictedPeers)"])
        }
        if outcome.droppedEvents > 0 { metrics.eventsDropped.increment(by: outcome.droppedEvents) }
        logger.trace("committed batch", metadata: ["requests": "\(batch.count)", "events": "\(outcome.events.count)"])

        condition.lock()
        let observer = self.observer
        condition.unlock()
        observer?(StoreCommit(storedBlobs: outcome.storedBlobIDs, events: outcome.events))
        for (request, result) in zip(batch, outcome.results) {
            request.succeed(result)
        }
    }

    /// A transaction failed for want of room: counted every time, logged once until a commit succeeds again (the log
    /// may live on the same full disk).
    private func storageFull(_ error: StoreError) {
        metrics.storageFull.increment()
        guard !isStorageFull else { return }
        isStorageFull = true
        metrics.storageFullNow.record(1)
        logger.error(
            "storage full: writes fail (HTTP 507) until there is room again; reads go on",
            metadata: ["error": "\(error)"]
        )
    }

    /// Writes the batch; on `MDB_MAP_FULL` the aborted transaction is retried with a doubled map, up to
    /// `maxMapGrowsPerBatch` times, after which the map full is `.storageFull`.
    private func writeGrowingMap(_ batch: [WriteRequest]) throws(StoreError) -> BatchWriter.Outcome {
        var grows = 0
        while true {
            do throws(StoreError) {
                return try writer.write(batch)
            } catch {
                guard case .lmdb(let operation, MDB_MAP_FULL, let message) = error else { throw error }
                guard grows < Self.maxMapGrowsPerBatch else {
                    throw .storageFull(operation: operation, code: MDB_MAP_FULL, message: message)
                }
                grows += 1
                let size = try writer.environment.growMap()
                metrics.mapGrows.increment()
                logger.info("grew the LMDB map", metadata: ["mapSizeBytes": "\(size)"])
            }
        }
    }
}
