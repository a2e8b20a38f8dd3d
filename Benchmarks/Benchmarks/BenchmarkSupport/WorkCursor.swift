import Foundation

/// Hands out the indices `0..<count` one at a time to concurrent workers, so that a worker slowed down (by another
/// process on the same core) takes fewer items instead of holding up the end of the run.
final class WorkCursor: @unchecked Sendable {  // `next` is guarded by `lock`
    private let count: Int
    private var next = 0
    private let lock = NSLock()

    init(count: Int) {
        self.count = count
    }

    /// The next index not yet taken, or `nil` once all are.
    func take() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}
