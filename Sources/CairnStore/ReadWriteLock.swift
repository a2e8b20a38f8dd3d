#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `pthread_rwlock_t`: transactions hold it shared, map resizes and close hold it exclusively.
///
/// Not recursive: a thread must not take it shared twice, since a waiting exclusive locker may sit between.
final class ReadWriteLock: @unchecked Sendable {  // the pthread lock is the synchronisation itself
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        defer { pthread_rwlockattr_destroy(&attributes) }
        #if canImport(Glibc)
            // glibc prefers readers by default, which could starve a map resize under a steady stream of reads.
            pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        #endif
        let rc = pthread_rwlock_init(lock, &attributes)
        precondition(rc == 0, "pthread_rwlock_init failed: \(rc)")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    func lockShared() {
        let rc = pthread_rwlock_rdlock(lock)
        precondition(rc == 0, "pthread_rwlock_rdlock failed: \(rc)")
    }

    func lockExclusive() {
        let rc = pthread_rwlock_wrlock(lock)
        precondition(rc == 0, "pthread_rwlock_wrlock failed: \(rc)")
    }

    func unlock() {
        let rc = pthread_rwlock_unlock(lock)
        precondition(rc == 0, "pthread_rwlock_unlock failed: \(rc)")
    }

    func withExclusive<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lockExclusive()
        defer { unlock() }
        return try body()
    }
}
