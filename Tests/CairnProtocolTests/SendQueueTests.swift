import Testing

@testable import CairnProtocol

@Suite("SendQueue")
struct SendQueueTests {
    /// A frame of `size` bytes whose first byte tags it, so tests can tell frames apart.
    static func frame(_ tag: UInt8, size: Int = 10) -> [UInt8] {
        [tag] + [UInt8](repeating: 0, count: max(size, 1) - 1)
    }

    static func budget(lazy: Int, total: Int) -> SendQueue.Budget {
        var budget = SendQueue.Budget()
        budget.lazyBytes = lazy
        budget.totalBytes = total
        return budget
    }

    @Test func dequeuesEvidenceThenEagerThenLazyInArrivalOrder() {
        var queue = SendQueue(budget: .init())
        #expect(queue.enqueue(Self.frame(1), lane: .lazy) == .queued)
        #expect(queue.enqueue(Self.frame(2), lane: .eager) == .queued)
        #expect(queue.enqueue(Self.frame(3), lane: .evidence) == .queued)
        #expect(queue.enqueue(Self.frame(4), lane: .lazy) == .queued)
        #expect(queue.enqueue(Self.frame(5), lane: .eager) == .queued)
        #expect(queue.enqueue(Self.frame(6), lane: .evidence) == .queued)
        #expect(queue.queuedBytes == 60)
        #expect(queue.queuedFrames == 6)
        #expect(queue.dequeue(maxBytes: .max).map { $0[0] } == [3, 6, 2, 5, 1, 4])
        #expect(queue.isEmpty)
        #expect(queue.queuedBytes == 0)
    }

    @Test func dequeueTakesAtLeastOneFrameThenStopsAtTheByteLimit() {
        var queue = SendQueue(budget: .init())
        _ = queue.enqueue(Self.frame(1, size: 100), lane: .eager)
        _ = queue.enqueue(Self.frame(2, size: 10), lane: .eager)
        _ = queue.enqueue(Self.frame(3, size: 10), lane: .eager)
        _ = queue.enqueue(Self.frame(4, size: 5), lane: .lazy)
        #expect(queue.dequeue(maxBytes: 50).map { $0[0] } == [1])
        #expect(queue.dequeue(maxBytes: 25).map { $0[0] } == [2, 3, 4])
        #expect(queue.dequeue(maxBytes: 25).isEmpty)
    }

    @Test func dequeueNeverSkipsAheadToASmallerLowerPriorityFrame() {
        var queue = SendQueue(budget: .init())
        _ = queue.enqueue(Self.frame(1, size: 10), lane: .eager)
        _ = queue.enqueue(Self.frame(2, size: 30), lane: .eager)
        _ = queue.enqueue(Self.frame(3, size: 1), lane: .lazy)
        #expect(queue.dequeue(maxBytes: 20).map { $0[0] } == [1])
        #expect(queue.dequeue(maxBytes: 40).map { $0[0] } == [2, 3])
    }

    @Test func lazyFramesAreDroppedAboveTheLazyBudget() {
        var queue = SendQueue(budget: Self.budget(lazy: 100, total: 1_000))
        #expect(queue.enqueue(Self.frame(1, size: 60), lane: .lazy) == .queued)
        #expect(queue.enqueue(Self.frame(2, size: 60), lane: .lazy) == .droppedLazy)
        #expect(queue.enqueue(Self.frame(3, size: 40), lane: .lazy) == .queued)
        #expect(queue.droppedLazyFrames == 1)
        #expect(queue.droppedLazyBytes == 60)
        #expect(queue.enqueue(Self.frame(4, size: 200), lane: .eager) == .queued)
        #expect(queue.enqueue(Self.frame(5, size: 1), lane: .lazy) == .droppedLazy)
        #expect(queue.queuedBytes == 200)
    }

    @Test func queuedLazyFramesMakeRoomForEagerAndEvidenceOldestFirst() {
        var queue = SendQueue(budget: Self.budget(lazy: 100, total: 1_000))
        _ = queue.enqueue(Self.frame(1, size: 40), lane: .lazy)
        _ = queue.enqueue(Self.frame(2, size: 30), lane: .lazy)
        _ = queue.enqueue(Self.frame(3, size: 20), lane: .lazy)
        #expect(queue.enqueue(Self.frame(4, size: 40), lane: .eager) == .queued)
        #expect(queue.droppedLazyFrames == 1)
        #expect(queue.queuedBytes == 90)
        #expect(queue.enqueue(Self.frame(5, size: 50), lane: .evidence) == .queued)
        #expect(queue.droppedLazyFrames == 3)
        #expect(queue.queuedBytes == 90)
        #expect(queue.dequeue(maxBytes: .max).map { $0[0] } == [5, 4])
    }

    @Test func aQueueAboveTheTotalBudgetReportsOverBudgetWithoutQueueing() {
        var queue = SendQueue(budget: Self.budget(lazy: 100, total: 500))
        for tag in 1...5 { #expect(queue.enqueue(Self.frame(UInt8(tag), size: 100), lane: .eager) == .queued) }
        #expect(queue.enqueue(Self.frame(6, size: 1), lane: .eager) == .overBudget)
        #expect(queue.enqueue(Self.frame(7, size: 1), lane: .evidence) == .overBudget)
        #expect(queue.enqueue(Self.frame(8, size: 1), lane: .lazy) == .droppedLazy)
        #expect(queue.queuedBytes == 500)
        #expect(queue.queuedFrames == 5)
    }

    @Test func evidenceIsNeverDroppedForLazyReasons() {
        var queue = SendQueue(budget: Self.budget(lazy: 100, total: 10_000))
        for tag in 1...50 { _ = queue.enqueue(Self.frame(UInt8(tag), size: 100), lane: .eager) }
        #expect(queue.queuedBytes > queue.budget.lazyBytes)
        for tag in 51...60 { #expect(queue.enqueue(Self.frame(UInt8(tag), size: 100), lane: .evidence) == .queued) }
        #expect(queue.dequeue(maxBytes: 1_000).map { $0[0] } == Array(51...60))
    }

    @Test func removeAllEmptiesTheQueue() {
        var queue = SendQueue(budget: .init())
        _ = queue.enqueue(Self.frame(1), lane: .lazy)
        _ = queue.enqueue(Self.frame(2), lane: .evidence)
        #expect(queue.removeAll() == 2)
        #expect(queue.isEmpty && queue.queuedBytes == 0)
    }

    /// Random enqueues and dequeues against a simple model of the rules: byte accounting stays exact, never
    /// negative and within the total budget; frames come out once, in priority order and in arrival order within
    /// a lane; only lazy frames are ever dropped, and every evidence frame accepted is delivered.
    @Test(arguments: [1, 2, 3, 42, 0xC0FFEE] as [UInt64])
    func randomOperationsKeepTheAccountingExact(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let budget = Self.budget(lazy: 2_000, total: 6_000)
        var queue = SendQueue(budget: budget)
        var model: [SendQueue.Lane: [[UInt8]]] = [.evidence: [], .eager: [], .lazy: []]
        var modelDropped = 0
        var evidenceAccepted = 0
        var evidenceDelivered = 0
        var serial: UInt32 = 0
        func modelBytes() -> Int { model.values.joined().reduce(0) { $0 + $1.count } }

        for _ in 0..<5_000 {
            if Int.random(in: 0..<10, using: &random) < 6 {
                let lane = SendQueue.Lane.allCases.randomElement(using: &random)!
                serial += 1
                let size = Int.random(in: 4...400, using: &random)
                let frame = withUnsafeBytes(of: serial.bigEndian, Array.init) + [UInt8](repeating: 0, count: size - 4)
                let expected: SendQueue.EnqueueResult
                if lane == .lazy {
                    if modelBytes() + size > budget.lazyBytes {
                        modelDropped += 1
                        expected = .droppedLazy
                    } else {
                        model[.lazy]!.append(frame)
                        expected = .queued
                    }
                } else {
                    while modelBytes() + size > budget.lazyBytes, !model[.lazy]!.isEmpty {
                        model[.lazy]!.removeFirst()
                        modelDropped += 1
                    }
                    if modelBytes() + size > budget.totalBytes {
                        expected = .overBudget
                    } else {
                        model[lane]!.append(frame)
                        expected = .queued
                        if lane == .evidence { evidenceAccepted += 1 }
                    }
                }
                #expect(queue.enqueue(frame, lane: lane) == expected)
            } else {
                let maxBytes = Int.random(in: 0...3_000, using: &random)
                let frames = queue.dequeue(maxBytes: maxBytes)
                #expect(frames.isEmpty == model.values.allSatisfy(\.isEmpty))
                #expect(frames.count <= 1 || frames.reduce(0) { $0 + $1.count } <= maxBytes)
                for frame in frames {
                    guard let lane = SendQueue.Lane.allCases.first(where: { !model[$0]!.isEmpty }) else {
                        Issue.record("dequeued more frames than were queued")
                        break
                    }
                    #expect(model[lane]!.removeFirst() == frame)
                    if lane == .evidence { evidenceDelivered += 1 }
                }
            }
            #expect(queue.queuedBytes == modelBytes())
            #expect(queue.queuedBytes >= 0 && queue.queuedBytes <= budget.totalBytes)
            #expect(queue.droppedLazyFrames == modelDropped)
            #expect(queue.isEmpty == model.values.allSatisfy(\.isEmpty))
        }
        #expect(queue.dequeue(maxBytes: .max) == model[.evidence]! + model[.eager]! + model[.lazy]!)
        evidenceDelivered += model[.evidence]!.count
        #expect(queue.isEmpty && queue.queuedBytes == 0)
        #expect(evidenceDelivered == evidenceAccepted)
        #expect(modelDropped > 0)
    }
}
