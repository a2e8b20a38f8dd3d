import DequeModule

/// A set that holds at most `capacity` elements and forgets the oldest insertion first (FIFO).
///
/// Used for the gossip seen-cache (blob and evidence ids) and for the small per-peer sets (ids a peer has told
/// us it holds, wants we sent). Lookups and insertions are O(1); memory is bounded by `capacity`.
/// `remove` forgets an element at once but leaves its slot in the insertion order until that slot is evicted, so
/// the set may hold fewer than `capacity` elements for a while, and an element removed and inserted again may be
/// forgotten early; it never holds more than `capacity`.
struct SeenCache<Element: Hashable & Sendable>: Sendable {
    /// The most elements held at once.
    let capacity: Int
    private var members: Set<Element> = []
    private var order: Deque<Element> = []
    /// How many elements were forgotten to make room since creation.
    private(set) var evictions = 0

    /// An empty cache of at most `capacity` elements (at least one).
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The number of elements held.
    var count: Int { members.count }

    /// `true` when `element` is held.
    func contains(_ element: Element) -> Bool { members.contains(element) }

    /// Adds `element` unless it is held; evicts the oldest entries when full.
    /// - Returns: `true` when the element was not held before.
    @discardableResult
    mutating func insert(_ element: Element) -> Bool {
        guard members.insert(element).inserted else { return false }
        order.append(element)
        while order.count > capacity {
            let oldest = order.removeFirst()
            if members.remove(oldest) != nil { evictions += 1 }
        }
        assert(members.count <= capacity, "seen-cache above its bound")
        return true
    }

    /// Forgets `element` if it is held.
    /// - Returns: `true` when it was held.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        members.remove(element) != nil
    }
}
