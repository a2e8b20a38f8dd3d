import CairnStore
import Synchronization

/// A live feed of committed events for one client; it ends when the client falls too far behind or the node stops.
public struct EventSubscription: Sendable {
    /// What the feed carries.
    public enum Item: Sendable {
        /// The events of one commit that passed the topic filter, in log order (never empty): a writer sends them in
        /// one write.
        case events([StoredEvent])
        /// Sent to every feed every `api.sse_keepalive_ms`: the stream writes a comment line, so that a client that
        /// vanished on an idle stream is found by the write that fails.
        case keepalive
    }

    /// Identifies the subscription for `Node.unsubscribe`.
    public let id: Int
    /// Commits' events and keepalives; at most `api.sse_buffer_events` events (a keepalive counts as one) wait for
    /// the reader to take them.
    public let events: Feed

    /// The items of one subscription; taking an item frees its events' room in the bound.
    public struct Feed: AsyncSequence, Sendable {
        let stream: AsyncStream<Item>
        let backlog: EventBacklog

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(base: stream.makeAsyncIterator(), backlog: backlog)
        }

        /// Takes items in order; `nil` once the feed ended.
        public struct AsyncIterator: AsyncIteratorProtocol {
            var base: AsyncStream<Item>.AsyncIterator
            let backlog: EventBacklog

            public mutating func next() async -> Item? {
                guard let item = await base.next() else { return nil }
                backlog.taken(EventBacklog.weight(of: item))
                return item
            }
        }
    }
}

/// How many events were handed to a feed and not yet taken by its reader. The node's loop is the only one that adds,
/// the reader the only one that takes, so a check then an add never overshoots the bound.
final class EventBacklog: Sendable {
    private let count = Atomic<Int>(0)

    /// Counts `weight` more waiting events unless that would pass `limit`; a reader that has taken everything gets
    /// the next commit whatever its size, so a commit larger than the bound does not close a reader that keeps up.
    /// - Returns: whether they fit.
    func add(_ weight: Int, limit: Int) -> Bool {
        let waiting = count.load(ordering: .acquiring)
        guard waiting == 0 || waiting + weight <= limit else { return false }
        count.add(weight, ordering: .relaxed)
        return true
    }

    func taken(_ weight: Int) {
        count.subtract(weight, ordering: .releasing)
    }

    /// What an item counts for in the bound: its events, or one for a keepalive.
    static func weight(of item: EventSubscription.Item) -> Int {
        switch item {
        case .events(let events): events.count
        case .keepalive: 1
        }
    }
}
