import CairnStore

/// A live feed of committed events for one client; it ends when the client falls too far behind or the node stops.
public struct EventSubscription: Sendable {
    /// Identifies the subscription for `Node.unsubscribe`.
    public let id: Int
    /// Committed events, in log order, filtered by topic.
    public let events: AsyncStream<StoredEvent>
}
