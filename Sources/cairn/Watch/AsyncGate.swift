import DequeModule

/// Lets one task at a time run a body that suspends (an actor alone would interleave callers at each `await`);
/// waiters enter in arrival order.
actor AsyncGate {
    private var isBusy = false
    private var waiters: Deque<CheckedContinuation<Void, Never>> = []

    /// Runs `body` once no other body is running.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if isBusy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            isBusy = true
        }
        defer {
            if let next = waiters.popFirst() { next.resume() } else { isBusy = false }
        }
        return try await body()
    }
}
