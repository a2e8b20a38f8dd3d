import DequeModule

/// The outbound queue of one peer connection: three priority lanes and byte budgets, so a slow reader loses lazy
/// traffic first and is then disconnected, and memory stays bounded.
///
/// Frames are opaque bytes (already encrypted records, or messages about to be). Lanes dequeue in priority order,
/// evidence before eager before lazy, first in first out within a lane.
public struct SendQueue: Sendable {
    /// Byte budgets of one queue.
    public struct Budget: Sendable, Equatable {
        /// Above this many queued bytes, new lazy frames are dropped, and queued lazy frames are discarded to make
        /// room for eager and evidence frames.
        public var lazyBytes = 256 * 1024
        /// A frame that would take the queue above this many bytes is refused with `.overBudget`: the peer is too
        /// slow and should be disconnected (`GoodbyeReason.tooSlow`).
        public var totalBytes = 8 * 1024 * 1024

        /// The defaults above.
        public init() {}
    }

    /// A priority lane.
    public enum Lane: Sendable, Equatable, CaseIterable {
        /// Equivocation evidence: first out, never dropped to make room.
        case evidence
        /// Full blobs pushed to mesh peers, requested blobs, control messages.
        case eager
        /// Announcements (`have`, `idontwant`) and other traffic that anti-entropy can make up for.
        case lazy
    }

    /// What `enqueue` did with a frame.
    public enum EnqueueResult: Sendable, Equatable {
        /// The frame is queued.
        case queued
        /// A lazy frame was dropped: the queue is above the lazy budget.
        case droppedLazy
        /// The frame was not queued: it would take the queue above the total budget. Disconnect the peer.
        case overBudget
    }

    /// The budgets in force.
    public let budget: Budget
    /// Bytes currently queued in all lanes.
    public private(set) var queuedBytes = 0
    /// Lazy frames dropped or discarded since the queue was made.
    public private(set) var droppedLazyFrames = 0
    /// Bytes of lazy frames dropped or discarded since the queue was made.
    public private(set) var droppedLazyBytes = 0

    private var evidence: Deque<[UInt8]> = []
    private var eager: Deque<[UInt8]> = []
    private var lazy: Deque<[UInt8]> = []
    private var lazyQueuedBytes = 0

    /// An empty queue.
    public init(budget: Budget) {
        self.budget = budget
    }

    /// `true` when nothing is queued.
    public var isEmpty: Bool { evidence.isEmpty && eager.isEmpty && lazy.isEmpty }

    /// Frames currently queued in all lanes.
    public var queuedFrames: Int { evidence.count + eager.count + lazy.count }

    /// Queues a frame in its lane.
    ///
    /// A lazy frame that would take the queue above `lazyBytes` is dropped. An eager or evidence frame that would
    /// take it above `lazyBytes` first discards queued lazy frames, oldest first, until it fits under `lazyBytes`
    /// or no lazy frame is left; it is then refused with `.overBudget` only when it would take the queue above
    /// `totalBytes`. Evidence is never dropped for lazy reasons but counts toward `totalBytes`.
    public mutating func enqueue(_ frame: [UInt8], lane: Lane) -> EnqueueResult {
        let size = frame.count
        switch lane {
        case .lazy:
            guard queuedBytes + size <= budget.lazyBytes else {
                droppedLazyFrames += 1
                droppedLazyBytes += size
                return .droppedLazy
            }
            lazy.append(frame)
            lazyQueuedBytes += size
        case .eager, .evidence:
            while queuedBytes + size > budget.lazyBytes, let discarded = lazy.popFirst() {
                queuedBytes -= discarded.count
                lazyQueuedBytes -= discarded.count
                droppedLazyFrames += 1
                droppedLazyBytes += discarded.count
            }
            guard queuedBytes + size <= budget.totalBytes else { return .overBudget }
            if lane == .evidence { evidence.append(frame) } else { eager.append(frame) }
        }
        queuedBytes += size
        checkInvariants()
        return .queued
    }

    /// Removes frames in priority order: at least one if any is queued (even one larger than `maxBytes`), then
    /// more while the next frame in priority order fits within `maxBytes` in total.
    public mutating func dequeue(maxBytes: Int) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var taken = 0
        while let lane = nextLane {
            let size = peekSize(lane)
            guard frames.isEmpty || taken + size <= maxBytes else { break }
            let frame: [UInt8]
            switch lane {
            case .evidence: frame = evidence.removeFirst()
            case .eager: frame = eager.removeFirst()
            case .lazy:
                frame = lazy.removeFirst()
                lazyQueuedBytes -= size
            }
            queuedBytes -= size
            taken += size
            frames.append(frame)
        }
        checkInvariants()
        return frames
    }

    /// Drops everything queued (the connection is closing); returns the number of frames dropped.
    @discardableResult
    public mutating func removeAll() -> Int {
        let count = queuedFrames
        evidence.removeAll()
        eager.removeAll()
        lazy.removeAll()
        queuedBytes = 0
        lazyQueuedBytes = 0
        return count
    }

    private var nextLane: Lane? {
        if !evidence.isEmpty { return .evidence }
        if !eager.isEmpty { return .eager }
        if !lazy.isEmpty { return .lazy }
        return nil
    }

    private func peekSize(_ lane: Lane) -> Int {
        switch lane {
        case .evidence: evidence.first?.count ?? 0
        case .eager: eager.first?.count ?? 0
        case .lazy: lazy.first?.count ?? 0
        }
    }

    private func checkInvariants() {
        assert(queuedBytes >= 0 && lazyQueuedBytes >= 0 && lazyQueuedBytes <= queuedBytes, "negative queue bytes")
        assert(queuedBytes <= max(budget.totalBytes, 0), "queue above its total budget")
        assert(!isEmpty || queuedBytes == 0, "bytes counted in an empty queue")
    }
}
