/// An X25519 key pair used for one handshake only; the caller supplies its secret so runs are reproducible.
public struct EphemeralKey: Sendable {
    /// The secret scalar length in bytes.
    public static let secretBytes = 32

    /// The 32-byte X25519 public point sent in the clear.
    public let publicKey: [UInt8]
    /// The 32-byte secret scalar (clamped by X25519 when used).
    let secret: [UInt8]

    /// Wraps a 32-byte secret scalar, for example one drawn from a seeded generator in a simulation.
    /// - Throws: `HandshakeError.invalidEphemeralSecret` when the secret is not 32 bytes.
    public init(secret: [UInt8]) throws(HandshakeError) {
        guard secret.count == Self.secretBytes else { throw .invalidEphemeralSecret(length: secret.count) }
        self.secret = secret
        self.publicKey = TransportCrypto.x25519Base(secret: secret)
    }

    /// Draws a secret scalar from `generator`: four `UInt64`s, each written little-endian.
    public init<Generator: RandomNumberGenerator>(using generator: inout Generator) {
        var secret: [UInt8] = []
        secret.reserveCapacity(Self.secretBytes)
        for _ in 0..<4 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { secret.append(UInt8(truncatingIfNeeded: word >> shift)) }
        }
        self.secret = secret
        self.publicKey = TransportCrypto.x25519Base(secret: secret)
    }

    /// A fresh key pair from the system's secure random source; for drivers, never called by the state machines.
    public static func generate() -> EphemeralKey {
        var generator = SystemRandomNumberGenerator()
        return EphemeralKey(using: &generator)
    }
}
