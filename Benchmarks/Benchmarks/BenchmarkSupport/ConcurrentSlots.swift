import Foundation

/// A fixed array that concurrent workers fill, each writing only its own indices.
final class ConcurrentSlots<Element>: @unchecked Sendable {  // each index is written by one worker, read after the join
    private var storage: [Element?]
    private let lock = NSLock()

    init(count: Int) {
        storage = [Element?](repeating: nil, count: count)
    }

    subscript(index: Int) -> Element {
        get { lock.withLock { storage[index]! } }
        set { lock.withLock { storage[index] = newValue } }
    }

    /// Every slot, once all are written.
    var values: [Element] {
        lock.withLock { storage.map { $0! } }
    }
}
