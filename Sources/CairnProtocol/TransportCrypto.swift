import CSodium
import CairnCore

/// The libsodium primitives the transport is built from, with every return code checked.
enum TransportCrypto {
    /// X25519 scalar and point length.
    static let x25519Bytes = 32
    /// `crypto_auth` (HMAC-SHA512-256) tag length.
    static let authTagBytes = Int(crypto_auth_BYTES)
    /// ChaCha20-Poly1305 (IETF) tag length.
    static let aeadTagBytes = Int(crypto_aead_chacha20poly1305_ietf_ABYTES)
    /// ChaCha20-Poly1305 (IETF) nonce length.
    static let aeadNonceBytes = Int(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)

    /// Ensures libsodium is initialised before use (once per process, shared with CairnCore).
    @inline(__always)
    static func ensure() {
        Sodium.ensure()
    }

    /// BLAKE2b-256 of the concatenation of `parts`.
    static func hash(_ parts: [UInt8]...) -> [UInt8] {
        Blake2b.hash256(parts: parts)
    }

    /// BLAKE2b-256 keyed with a 32-byte `key` over `label ‖ parts`.
    static func kdf(key: [UInt8], label: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        ensure()
        precondition(key.count == 32, "kdf keys are 32 bytes")
        var message = label
        for part in parts { message.append(contentsOf: part) }
        var out = [UInt8](repeating: 0, count: 32)
        let rc = crypto_generichash(&out, 32, message, UInt64(message.count), key, 32)
        precondition(rc == 0, "crypto_generichash cannot fail for a 32-byte keyed digest")
        return out
    }

    /// HMAC-SHA512-256 (`crypto_auth`) of `message` under a 32-byte `key`.
    static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        ensure()
        precondition(key.count == Int(crypto_auth_KEYBYTES), "crypto_auth keys are 32 bytes")
        var tag = [UInt8](repeating: 0, count: authTagBytes)
        let rc = crypto_auth(&tag, message, UInt64(message.count), key)
        precondition(rc == 0, "crypto_auth cannot fail")
        return tag
    }

    /// Checks a `crypto_auth` tag in constant time.
    static func verify(tag: ArraySlice<UInt8>, key: [UInt8], message: [UInt8]) -> Bool {
        ensure()
        guard tag.count == authTagBytes else { return false }
        let tagBytes = Array(tag)
        return crypto_auth_verify(tagBytes, message, UInt64(message.count), key) == 0
    }

    /// The X25519 public point of a 32-byte secret scalar.
    static func x25519Base(secret: [UInt8]) -> [UInt8] {
        ensure()
        var point = [UInt8](repeating: 0, count: x25519Bytes)
        let rc = crypto_scalarmult_base(&point, secret)
        precondition(rc == 0, "crypto_scalarmult_base cannot fail for a clamped scalar")
        return point
    }

    /// X25519(secret, point), or `nil` when the result is the all-zero point (a low-order input).
    static func x25519(secret: [UInt8], point: ArraySlice<UInt8>) -> [UInt8]? {
        ensure()
        guard secret.count == x25519Bytes, point.count == x25519Bytes else { return nil }
        var shared = [UInt8](repeating: 0, count: x25519Bytes)
        let pointBytes = Array(point)
        guard crypto_scalarmult(&shared, secret, pointBytes) == 0 else { return nil }
        guard shared.contains(where: { $0 != 0 }) else { return nil }
        return shared
    }

    /// The X25519 point birationally equivalent to an Ed25519 public key, or `nil` for an invalid key.
    static func curvePublic(of key: PublicKey) -> [UInt8]? {
        ensure()
        var point = [UInt8](repeating: 0, count: x25519Bytes)
        guard crypto_sign_ed25519_pk_to_curve25519(&point, key.bytes) == 0 else { return nil }
        return point
    }

    /// The X25519 scalar matching an Ed25519 key pair derived from `seed`.
    static func curveSecret(ofSeed seed: [UInt8]) -> [UInt8] {
        ensure()
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        var rc = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        precondition(rc == 0, "crypto_sign_seed_keypair cannot fail for a 32-byte seed")
        var scalar = [UInt8](repeating: 0, count: x25519Bytes)
        rc = crypto_sign_ed25519_sk_to_curve25519(&scalar, secretKey)
        precondition(rc == 0, "crypto_sign_ed25519_sk_to_curve25519 cannot fail")
        sodium_memzero(&secretKey, secretKey.count)
        return scalar
    }

    /// The 12-byte nonce for a record counter: four zero bytes, then the counter big-endian.
    static func nonce(counter: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: aeadNonceBytes)
        for index in 0..<8 {
            nonce[4 + index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index)))
        }
        return nonce
    }

    /// ChaCha20-Poly1305 (IETF) encryption; appends ciphertext and tag to `output`.
    static func seal(
        key: [UInt8],
        nonce: [UInt8],
        associatedData: UnsafeRawBufferPointer,
        plaintext: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) {
        ensure()
        precondition(output.count == plaintext.count + aeadTagBytes, "output must hold ciphertext and tag")
        var written: UInt64 = 0
        let rc = crypto_aead_chacha20poly1305_ietf_encrypt(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self),
            &written,
            plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self),
            UInt64(plaintext.count),
            associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self),
            UInt64(associatedData.count),
            nil,
            nonce,
            key
        )
        precondition(rc == 0 && Int(written) == output.count, "crypto_aead_chacha20poly1305_ietf_encrypt failed")
    }

    /// ChaCha20-Poly1305 (IETF) encryption into a new array.
    static func seal(key: [UInt8], nonce: [UInt8], associatedData: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: plaintext.count + aeadTagBytes)
        associatedData.withUnsafeBytes { ad in
            plaintext.withUnsafeBytes { text in
                output.withUnsafeMutableBytes { out in
                    seal(key: key, nonce: nonce, associatedData: ad, plaintext: text, into: out)
                }
            }
        }
        return output
    }

    /// ChaCha20-Poly1305 (IETF) decryption, or `nil` when the tag does not verify.
    static func open(
        key: [UInt8],
        nonce: [UInt8],
        associatedData: UnsafeRawBufferPointer,
        ciphertext: UnsafeRawBufferPointer
    ) -> [UInt8]? {
        ensure()
        guard ciphertext.count >= aeadTagBytes else { return nil }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - aeadTagBytes)
        var written: UInt64 = 0
        let rc = plaintext.withUnsafeMutableBufferPointer { out in
            crypto_aead_chacha20poly1305_ietf_decrypt(
                out.baseAddress,
                &written,
                nil,
                ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                UInt64(ciphertext.count),
                associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(associatedData.count),
                nonce,
                key
            )
        }
        guard rc == 0, Int(written) == plaintext.count else { return nil }
        return plaintext
    }

    /// ChaCha20-Poly1305 (IETF) decryption of arrays, or `nil` when the tag does not verify.
    static func open(key: [UInt8], nonce: [UInt8], associatedData: [UInt8], ciphertext: ArraySlice<UInt8>)
        -> [UInt8]?
    {
        associatedData.withUnsafeBytes { ad in
            ciphertext.withUnsafeBytes { text in open(key: key, nonce: nonce, associatedData: ad, ciphertext: text) }
        }
    }
}
