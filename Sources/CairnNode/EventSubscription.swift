import CairnStore

/// A live feed of committed events for one client; it ends when the client falls too far behind or the node stops.
public struct EventSubscription: Sendable {
    /// What the feed carries.
    public enum Item: Sendable {
        /// A committed event, in log order, that passed the topic filter.
        case event(StoredEvent)
        /// Nothing happened for `api.sse_keepalive_ms`: the stream writes a comment line, so that a dead client is
        /// found by the write that fails.
        case keepalive
    }

    /// Identifies the subscription for `Node.unsubscribe`.
    public let id: Int
    /// Committed events and keepalives, at most `api.sse_buffer_events` of them waiting.
    public let events: AsyncStream<Item>
}
