import CLibUV
import DequeModule
import Foundation
import Logging
import Synchronization

/// What went wrong starting or driving the libuv loop.
public enum EventLoopError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A libuv call failed; `code` is its negative errno and `message` is `uv_strerror(code)`.
    case libuv(operation: String, code: Int32, message: String)
    /// A listener could not bind or listen on `address` (in use, not a local address, not numeric).
    case cannotListen(address: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .libuv(let operation, _, let message): "\(operation) failed: \(message)"
        case .cannotListen(let address, _, let message): "cannot listen on \(address): \(message)"
        }
    }
}

/// A libuv loop on a thread of its own; the only thread that touches the node's mutable state.
///
/// Other threads hand it work with `execute(_:)` (or through `LoopExecutor`, as actor jobs); each hand-off wakes the
/// loop with `uv_async_send`, which libuv coalesces, and the loop runs queued work in FIFO order.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: `loop` and `wakeup` are touched only on the loop thread after `init`; `pending` is behind a Mutex.
    private enum Work {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    private struct Pending: ~Copyable {
        var work = Deque<Work>()
        var stopping = false
    }

    private let loop: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let pending = Mutex(Pending())
    private let stopped = Mutex(false)
    private var thread: Thread?
    private let threadID = Mutex<pthread_t?>(nil)
    private let finished = DispatchSemaphore(value: 0)
    private let closed = Mutex(false)
    private static let logger = Logger(label: "cairn.loop")

    /// The executor that runs actor jobs on this loop; set in `init` before the thread starts, never changed.
    public private(set) var executor: LoopExecutor!

    /// Creates the loop and starts its thread.
    /// - Parameter name: the thread's name, as shown by debuggers and `top -H`.
    /// - Throws: `EventLoopError.libuv` when libuv cannot initialise the loop.
    public init(name: String = "cairn-loop") throws(EventLoopError) {
        loop = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        var rc = uv_loop_init(loop)
        guard rc == 0 else {
            loop.deallocate()
            wakeup.deallocate()
            throw Self.error("uv_loop_init", rc)
        }
        rc = uv_async_init(loop, wakeup) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().drain()
        }
        guard rc == 0 else {
            uv_loop_close(loop)
            loop.deallocate()
            wakeup.deallocate()
            throw Self.error("uv_async_init", rc)
        }
        wakeup.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        executor = LoopExecutor(loop: self)
        let thread = Thread { [self] in self.run() }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    deinit {
        // A loop that libuv would not close may still point at its handles: leaking it beats freeing live memory.
        guard isClosed else { return }
        loop.deallocate()
        wakeup.deallocate()
    }

    /// `true` once `shutdown()` has closed the libuv loop (every handle closed and freed).
    public var isClosed: Bool { closed.withLock { $0 } }

    /// The underlying `uv_loop_t`, for drivers that add handles; use it only on the loop thread.
    public var uvLoop: UnsafeMutablePointer<uv_loop_t> {
        precondition(inLoop, "the uv loop may only be touched on its own thread")
        return loop
    }

    /// `true` on the loop's own thread.
    public var inLoop: Bool {
        guard let id = threadID.withLock({ $0 }) else { return false }
        return pthread_equal(id, pthread_self()) != 0
    }

    /// Runs `body` on the loop thread, after work queued before it. After `shutdown()` it is dropped: late
    /// completions (a verification, a commit) have nothing left to update.
    /// - Returns: `false` when the work was dropped (the loop is stopping, or could not be woken).
    @discardableResult
    public func execute(_ body: @escaping @Sendable () -> Void) -> Bool {
        enqueue(.closure(body))
    }

    /// Queues an actor job. After `shutdown()` the job is dropped and its task never resumes: the process is
    /// exiting, and a suspended task is harmless where a trap would turn a clean exit into a crash.
    func enqueue(job: UnownedJob) {
        _ = enqueue(.job(job))
    }

    /// Stops the loop after the work already queued and waits for its thread to end. Idempotent.
    public func shutdown() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let woken = pending.withLock { state in
            state.stopping = true
            return Result { () throws(EventLoopError) in try wake() }
        }
        if case .failure(let error) = woken {
            // The loop cannot be woken to close its handles: nothing can stop it cleanly, so it is left running.
            Self.logger.critical("cannot stop the event loop", metadata: ["error": "\(error)"])
            return
        }
        finished.wait()
        // The loop thread has ended, so this thread may drive the loop: a handle still open (closed after the
        // last iteration, or added by a callback) is closed here and its close callback run before the loop goes.
        var rc = uv_loop_close(loop)
        if rc == UV_EBUSY.rawValue {
            closeAllHandles()
            _ = uv_run(loop, UV_RUN_DEFAULT)
            rc = uv_loop_close(loop)
        }
        guard rc == 0 else {
            Self.logger.error("cannot close the event loop", metadata: ["error": "\(Self.error("uv_loop_close", rc))"])
            return
        }
        closed.withLock { $0 = true }
    }

    /// Queues work and wakes the loop; `false` once the loop is stopping or when it cannot be woken.
    private func enqueue(_ work: Work) -> Bool {
        let result = pending.withLock { state -> Result<Bool, EventLoopError> in
            guard !state.stopping else { return .success(false) }
            // Sent under the lock, so that no wake-up can reach a handle that `shutdown` has closed.
            do throws(EventLoopError) {
                try wake()
            } catch {
                return .failure(error)
            }
            state.work.append(work)
            return .success(true)
        }
        switch result {
        case .success(let queued): return queued
        case .failure(let error):
            Self.logger.error("cannot wake the event loop; work dropped", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Wakes the loop (`uv_async_send`, which libuv coalesces).
    private func wake() throws(EventLoopError) {
        let rc = uv_async_send(wakeup)
        guard rc == 0 else { throw Self.error("uv_async_send", rc) }
    }

    private func run() {
        threadID.withLock { $0 = pthread_self() }
        // Non-zero means the loop was stopped with handles still active: `shutdown` closes them.
        let rc = uv_run(loop, UV_RUN_DEFAULT)
        if rc != 0 { Self.logger.debug("the event loop ended with active handles", metadata: ["active": "\(rc)"]) }
        finished.signal()
    }

    /// Runs the work queued so far, one batch per wake-up, so that a steady stream of hand-offs cannot starve
    /// sockets and timers; more work re-arms the wake-up.
    private func drain() {
        let batch = pending.withLock { state in
            let batch = state.work
            state.work.removeAll(keepingCapacity: true)
            return batch
        }
        for work in batch {
            switch work {
            case .closure(let body): body()
            case .job(let job): job.runSynchronously(on: executor.asUnownedSerialExecutor())
            }
        }
        let (more, stopping) = pending.withLock { (!$0.work.isEmpty, $0.stopping) }
        if more {
            do throws(EventLoopError) {
                try wake()
            } catch {
                // Without a wake-up the rest would wait for the next I/O event: run it now instead.
                Self.logger.error("cannot wake the event loop", metadata: ["error": "\(error)"])
                drain()
            }
        } else if stopping {
            closeAllHandles()
        }
    }

    /// Closes every handle still open. A TCP stream closes through its own callback, which releases the stream the
    /// handle retains; other handles belong to their owners (the wake-up handle to this loop) and are freed by them.
    private func closeAllHandles() {
        uv_walk(
            loop,
            { handle, _ in
                guard let handle, uv_is_closing(handle) == 0 else { return }
                if handle.pointee.type == UV_TCP, let stream = TCPStream.owner(of: handle) {
                    stream.close()
                } else {
                    uv_close(handle, nil)
                }
            },
            nil
        )
    }

    static func error(_ operation: String, _ code: Int32) -> EventLoopError {
        .libuv(operation: operation, code: code, message: String(cString: uv_strerror(code)))
    }
}

/// A `SerialExecutor` that runs actor jobs on an `EventLoop`: actors whose `unownedExecutor` is this live on the loop.
public final class LoopExecutor: SerialExecutor {
    private unowned let loop: EventLoop

    init(loop: EventLoop) {
        self.loop = loop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(job: UnownedJob(job))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(loop.inLoop, "expected to run on the cairn event loop")
    }
}
