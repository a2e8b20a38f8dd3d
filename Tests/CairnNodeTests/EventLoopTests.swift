import CairnNode
import Foundation
import Synchronization
import Testing

/// An actor that lives on an `EventLoop`, to check that its jobs run on the loop thread.
actor LoopBound {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }
    var log: [Int] = []

    init(loop: EventLoop) {
        self.loop = loop
    }

    func record(_ value: Int) -> Bool {
        log.append(value)
        return loop.inLoop
    }
}

@Suite struct EventLoopTests {
    @Test func actorJobsRunOnTheLoopThread() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let actor = LoopBound(loop: loop)
        #expect(await actor.record(1))
        #expect(!loop.inLoop)
    }

    @Test func closuresRunInTheOrderTheyWereQueued() async throws {
        let loop = try EventLoop()
        let seen = Mutex<[Int]>([])
        for index in 0..<1000 {
            loop.execute { seen.withLock { $0.append(index) } }
        }
        loop.shutdown()
        #expect(seen.withLock { $0 } == Array(0..<1000))
    }

    @Test func concurrentCallersAreSerialised() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let actor = LoopBound(loop: loop)
        let onLoop = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<500 {
                group.addTask { await actor.record(index) }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(onLoop.count == 500)
        #expect(onLoop.allSatisfy { $0 })
        #expect(await actor.log.sorted() == Array(0..<500))
    }

    @Test func workHandedOverAfterShutdownIsDropped() throws {
        let loop = try EventLoop()
        loop.shutdown()
        let ran = Mutex(false)
        loop.execute { ran.withLock { $0 = true } }
        #expect(!ran.withLock { $0 })
    }

    @Test func shutdownIsIdempotent() throws {
        let loop = try EventLoop()
        loop.shutdown()
        loop.shutdown()
    }
}
