import CSodium

extension Blake2b {
    /// BLAKE2b-256 fed in pieces (`crypto_generichash_init`, `_update`, `_final`): a file or a long concatenation
    /// is hashed without holding it in memory. Non-copyable, so one state is never finalised twice.
    public struct Hasher: ~Copyable {
        private let state: UnsafeMutableRawPointer

        /// Starts an empty, unkeyed BLAKE2b-256.
        public init() {
            Sodium.ensure()
            // The state is 64-byte aligned in C, so Swift sees it as opaque; allocate it with that alignment.
            state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
            let rc = crypto_generichash_init(OpaquePointer(state), nil, 0, Blake2b.digestBytes)
            precondition(rc == 0, "crypto_generichash_init cannot fail for a 32-byte unkeyed digest")
        }

        deinit { state.deallocate() }

        /// Feeds `bytes`.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            let rc = crypto_generichash_update(
                OpaquePointer(state),
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(bytes.count)
            )
            precondition(rc == 0, "crypto_generichash_update cannot fail on an initialised state")
        }

        /// Feeds a byte array.
        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// The digest of everything fed; ends the hasher.
        public consuming func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: Blake2b.digestBytes)
            let rc = out.withUnsafeMutableBufferPointer {
                crypto_generichash_final(OpaquePointer(state), $0.baseAddress!, Blake2b.digestBytes)
            }
            precondition(rc == 0, "crypto_generichash_final cannot fail once")
            return out
        }
    }
}
