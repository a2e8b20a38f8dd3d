import Foundation
import Synchronization
import Testing

@testable import CairnNode

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
        let before = Mutex(false)
        #expect(loop.execute { before.withLock { $0 = true } })
        loop.shutdown()
        // Work queued before the shutdown ran; the loop thread has ended, so work handed over now could only run if
        // it were queued, and it is refused instead.
        #expect(before.withLock { $0 })
        let ran = Mutex(false)
        #expect(!loop.execute { ran.withLock { $0 = true } })
        #expect(!ran.withLock { $0 })
    }

    @Test(.timeLimit(.minutes(1))) func shutdownIsIdempotent() throws {
        let loop = try EventLoop()
        loop.shutdown()
        #expect(loop.isClosed)
        // A second call returns at once (it does not wait for a loop thread that already ended) and changes nothing.
        loop.shutdown()
        #expect(loop.isClosed)
        #expect(!loop.execute {})
    }

    /// A TCP stream still open when the loop stops is closed through its own callback, which releases the stream
    /// its handle retains, and the loop then closes (no `EBUSY` left behind).
    @Test(.timeLimit(.minutes(1))) func shutdownClosesLeftoverStreamsAndReleasesThem() throws {
        let loop = try EventLoop()
        let opened = DispatchSemaphore(value: 0)
        let stream = Mutex<WeakStream?>(nil)
        loop.execute {
            do {
                let tcp = try TCPStream(loop: loop.uvLoop)
                stream.withLock { $0 = WeakStream(tcp) }
            } catch {
                Issue.record("cannot open a TCP handle: \(error)")
            }
            opened.signal()
        }
        opened.wait()
        loop.shutdown()
        #expect(loop.isClosed)
        #expect(stream.withLock { $0?.isReleased } == true, "the leftover stream leaked")
    }

    @Test func libuvErrorsReadAsSentences() {
        let error = EventLoop.error("uv_tcp_bind", -EADDRINUSE)
        #expect("\(error)" == "uv_tcp_bind failed: address already in use")
        let listen = EventLoopError.cannotListen(address: "127.0.0.1:1", code: -98, message: "address already in use")
        #expect("\(listen)" == "cannot listen on 127.0.0.1:1: address already in use")
    }

    @Test func hostOfAnAddressLibuvCannotFormatIsNil() {
        var storage = sockaddr_storage()
        storage.ss_family = sa_family_t(AF_UNIX)
        #expect(SocketAddress(storage: storage).host == nil)
        #expect(SocketAddress(numericHost: "::1", port: 7700)?.host == "::1")
        #expect(SocketAddress(numericHost: "127.0.0.1", port: 7700)?.description == "127.0.0.1:7700")
    }
}

/// A weak reference to a stream, to see whether anything still holds it.
final class WeakStream: @unchecked Sendable {
    // @unchecked: read only after the loop thread that wrote it has ended.
    weak var stream: TCPStream?

    init(_ stream: TCPStream) {
        self.stream = stream
    }

    var isReleased: Bool { stream == nil }
}
