/// Takes the events of every node's follower, one at a time: skips an event whose key was already handled, else
/// delivers it and only then records it, so that an event is repeated only when the watcher dies between delivering
/// and recording it (at least once).
struct WatchSink: Sendable {
    let state: WatchState
    let output: WatchOutput
    let report: @Sendable (String) -> Void
    private let gate = AsyncGate()

    init(state: WatchState, output: WatchOutput, report: @escaping @Sendable (String) -> Void) {
        self.state = state
        self.output = output
        self.report = report
    }

    /// Handles one event; returns once it is recorded.
    /// - Throws: `WatchStateError` or `CLIError` when it cannot be delivered or recorded (the watcher stops),
    ///   `CancellationError`.
    func handle(_ event: WatchEvent) async throws {
        let key = event.deduplicationKey
        try await gate.run { [state, output, report] in
            // A stopping watcher (SIGINT, SIGTERM) finishes the event it is handling but starts no other.
            try Task.checkCancellation()
            if await state.isRecorded(key) {
                try await state.skipped(event)
                return
            }
            if event.topic == WatchEvent.lostTopic {
                let fields = event.fields
                report(
                    "\(event.node): fell behind its event log retention: the events after \(fields["after"] ?? "?") "
                        + "and before \(fields["oldest"] ?? "?") are gone; continuing from the oldest it keeps"
                )
            }
            try await output.deliver(event, report: report)
            try await state.handled(event, key: key)
        }
    }
}
