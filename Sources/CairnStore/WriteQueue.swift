import Foundation

/// The bounded queue between `put` callers and the writer thread.
///
/// Callers enqueue requests; the writer blocks in `takeBatch` until there is work or the queue is closed.
final class WriteQueue: @unchecked Sendable {  // every stored property is guarded by `condition`
    private let condition = NSCondition()
    private var pending: [WriteRequest] = []
    private var pendingUnits = 0
    private var isClosed = false
    private var acceptedUnits = 0
    let maxPendingUnits: Int

    init(maxPendingUnits: Int) {
        self.maxPendingUnits = maxPendingUnits
    }

    /// Queues `request`, or answers it at once with `.closed` or `.tooManyPending`.
    func enqueue(_ request: WriteRequest) {
        condition.lock()
        let rejection: StoreError?
        if isClosed {
            rejection = .closed
        } else if pendingUnits + request.units > maxPendingUnits {
            rejection = .tooManyPending(limit: maxPendingUnits)
        } else {
            rejection = nil
            pending.append(request)
            pendingUnits += request.units
            acceptedUnits += request.units
            assert(pendingUnits <= maxPendingUnits, "the write queue never exceeds its bound")
            condition.signal()
        }
        condition.unlock()
        if let rejection { request.fail(rejection) }
    }

    /// Blocks until requests are queued, then takes the oldest ones holding at most `maxUnits` units (always at least
    /// one request). Returns `nil` once the queue is closed and empty.
    func takeBatch(maxUnits: Int) -> [WriteRequest]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !isClosed {
            condition.wait()
        }
        guard !pending.isEmpty else { return nil }
        var count = 0
        var units = 0
        while count < pending.count && (count == 0 || units + pending[count].units <= maxUnits) {
            units += pending[count].units
            count += 1
        }
        let batch = Array(pending[..<count])
        pending.removeFirst(count)
        pendingUnits -= units
        return batch
    }

    /// Refuses new requests; the writer still drains what is queued.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Units waiting for the writer (not counting the batch being written).
    var queuedUnits: Int {
        condition.lock()
        defer { condition.unlock() }
        return pendingUnits
    }

    /// Units ever accepted into the queue.
    var totalAcceptedUnits: Int {
        condition.lock()
        defer { condition.unlock() }
        return acceptedUnits
    }
}
