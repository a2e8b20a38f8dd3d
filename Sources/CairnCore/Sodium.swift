import CSodium

/// One-time libsodium initialisation; every entry point that calls libsodium reads this first.
public enum Sodium {
    /// `true` once `sodium_init` has succeeded; evaluated lazily and exactly once (Swift globals are thread-safe).
    public static let ready: Bool = {
        let rc = sodium_init()
        precondition(rc >= 0, "sodium_init failed with \(rc)")
        return true
    }()

    /// Ensures libsodium is initialised before use.
    @inline(__always)
    public static func ensure() {
        _ = ready
    }
}
