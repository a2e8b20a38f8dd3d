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
        Sodium.ensure()
        // The state is 64-byte aligned in C, so Swift sees it as opaque; allocate it with that alignment.
        let state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        defer { state.deallocate() }
        let statePointer = OpaquePointer(state)
        var rc = crypto_generichash_init(statePointer, nil, 0, digestBytes)
        precondition(rc == 0, "crypto_generichash_init failed")
        for part in parts {
            rc = part.withUnsafeBufferPointer {
                crypto_generichash_update(statePointer, $0.baseAddress, UInt64($0.count))
            }
            precondition(rc == 0, "crypto_generichash_update failed")
        }
        var out = [UInt8](repeating: 0, count: digestBytes)
        rc = out.withUnsafeMutableBufferPointer { crypto_generichash_final(statePointer, $0.baseAddress!, digestBytes) }
        precondition(rc == 0, "crypto_generichash_final failed")
        return out
    }
}
