import CSodium

/// BLAKE2b-256 (`crypto_generichash` with a 32-byte output and no key).
public enum Blake2b {
    /// The digest length in bytes.
    public static let digestBytes = 32

    /// Hashes `input` in one call.
    public static func hash256(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        Sodium.ensure()
        var out = [UInt8](repeating: 0, count: digestBytes)
        let rc = out.withUnsafeMutableBufferPointer { outBuf in
            crypto_generichash(
                outBuf.baseAddress!,
                digestBytes,
                input.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(input.count),
                nil,
                0
            )
        }
        precondition(rc == 0, "crypto_generichash cannot fail for a 32-byte unkeyed digest")
        return out
    }

    /// Hashes a byte array in one call.
    public static func hash256(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { hash256($0) }
    }

    /// Hashes the concatenation of several parts without copying them together.
    public static func hash256(parts: [[UInt8]]) -> [UInt8] {
        var hasher = Hasher()
        for part in parts {
            hasher.update(part)
        }
        return hasher.finalize()
    }
}
