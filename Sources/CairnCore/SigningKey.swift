import CSodium

/// An Ed25519 key pair derived from a 32-byte seed; signs with `crypto_sign_detached`.
public struct SigningKey: Sendable {
    /// The seed length in bytes.
    public static let seedBytes = 32
    /// The signature length in bytes.
    public static let signatureBytes = 64

    /// The 32-byte seed the key pair is derived from; this is the secret to keep.
    public let seed: [UInt8]
    /// The public half.
    public let publicKey: PublicKey
    private let secretKey: [UInt8]

    /// Derives the key pair from a 32-byte seed.
    /// - Throws: `CoreError.invalidKey` when the seed is not 32 bytes.
    public init(seed: [UInt8]) throws(CoreError) {
        guard seed.count == Self.seedBytes else { throw .invalidKey(length: seed.count) }
        Sodium.ensure()
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        let rc = crypto_sign_seed_keypair(&pk, &sk, seed)
        guard rc == 0 else { throw .invalidKey(length: seed.count) }
        self.seed = seed
        self.publicKey = PublicKey(unchecked: pk)
        self.secretKey = sk
    }

    /// A fresh key from the operating system's random source.
    public static func generate() -> SigningKey {
        Sodium.ensure()
        var seed = [UInt8](repeating: 0, count: seedBytes)
        randombytes_buf(&seed, seedBytes)
        // A 32-byte seed always derives a key pair.
        return try! SigningKey(seed: seed)
    }

    /// Signs `message` and returns the 64-byte detached signature.
    public func sign(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Self.signatureBytes)
        let rc = secretKey.withUnsafeBufferPointer { sk in
            crypto_sign_detached(
                &signature,
                nil,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(message.count),
                sk.baseAddress!
            )
        }
        precondition(rc == 0, "crypto_sign_detached cannot fail with a valid secret key")
        return signature
    }
}

extension PublicKey {
    /// Checks a detached Ed25519 signature; libsodium rejects non-canonical and small-order encodings.
    public func verify(signature: [UInt8], message: UnsafeRawBufferPointer) -> Bool {
        signature.withUnsafeBytes { verify(signature: $0, message: message) }
    }

    /// Checks a detached Ed25519 signature given in place (no copy); `false` unless it is 64 bytes and verifies.
    public func verify(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == SigningKey.signatureBytes else { return false }
        Sodium.ensure()
        return bytes.withUnsafeBufferPointer { pk in
            crypto_sign_verify_detached(
                signature.baseAddress!.assumingMemoryBound(to: UInt8.self),
                message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(message.count),
                pk.baseAddress!
            ) == 0
        }
    }
}
