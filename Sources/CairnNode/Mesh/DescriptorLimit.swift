#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`): every peer connection, pending handshake, API
/// client and the store take one, and a node at its limit cannot accept honest peers.
enum DescriptorLimit {
    /// Below this many descriptors the node warns at start.
    static let recommendedMinimum: UInt64 = 4096

    /// The soft limit before and after raising it, and the hard limit.
    struct Raised: Sendable, Equatable {
        let before: UInt64
        let after: UInt64
        let hard: UInt64

        /// `true` when the limit in force is below `recommendedMinimum`.
        var isLow: Bool { after < DescriptorLimit.recommendedMinimum }
    }

    /// Raises the soft limit to the hard limit (on macOS also capped by `OPEN_MAX`).
    /// - Returns: the limits, or the `errno` of a failed `getrlimit` or `setrlimit` (the limit then stays).
    static func raiseToHardLimit() -> Result<Raised, Errno> {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return .failure(Errno(errno)) }
        let before = UInt64(limit.rlim_cur)
        var target = limit.rlim_max
        #if canImport(Darwin)
            target = min(target, rlim_t(OPEN_MAX))
        #endif
        guard target > limit.rlim_cur else {
            return .success(Raised(before: before, after: before, hard: UInt64(limit.rlim_max)))
        }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(resource, &raised) == 0 else { return .failure(Errno(errno)) }
        return .success(Raised(before: before, after: UInt64(target), hard: UInt64(limit.rlim_max)))
    }

    /// An `errno` value from a failed call.
    struct Errno: Error, Sendable, Equatable {
        let code: Int32

        init(_ code: Int32) { self.code = code }
    }

    #if canImport(Glibc)
        private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resource = RLIMIT_NOFILE
    #endif
}
