import CairnStore
import NIOCore
import Synchronization

/// The most recent Server-Sent Events frames, by event sequence: every stream sends the same bytes for one event, so
/// the first stream to send it encodes it (a store read and a JSON encoding) and the others reuse them.
final class EventFrameCache: Sendable {
    /// Frames kept: those within this many sequence numbers of the newest.
    let window: UInt64
    private let state = Mutex<(frames: [UInt64: ByteBuffer], newest: UInt64)>(([:], 0))

    init(window: UInt64 = 1024) {
        self.window = window
    }

    /// The frame of `event`, encoded by `encode` unless a stream encoded it already.
    func frame(_ event: StoredEvent, encode: (StoredEvent) -> String) -> ByteBuffer {
        if let frame = state.withLock({ $0.frames[event.seq] }) { return frame }
        let frame = ByteBuffer(string: encode(event))
        state.withLock { state in
            state.frames[event.seq] = frame
            state.newest = max(state.newest, event.seq)
            // Evict in bulk once the map holds twice the window, so each insertion costs O(1) amortised.
            if UInt64(state.frames.count) > 2 * window {
                let newest = state.newest
                state.frames = state.frames.filter { $0.key + window > newest }
            }
        }
        return frame
    }
}
