import CairnCore

/// Why a handshake did not establish a session.
public enum HandshakeError: Error, Equatable, Sendable {
    /// `receive` was called before `start`.
    case notStarted
    /// A handshake message's version byte is not one this implementation speaks.
    case unsupportedVersion(UInt8)
    /// The message authentication code of message `message` (1 or 2) does not verify: the peer belongs to
    /// another network, or the bytes were corrupted or replayed from another handshake.
    case badNetworkTag(message: Int)
    /// The encrypted part of message `message` (2 or 3) does not decrypt: corrupted, replayed or forged.
    case decryptionFailed(message: Int)
    /// The remote node's signature over the transcript does not verify under the key it presented.
    case badSignature(remote: PublicKey)
    /// The remote node presented this node's own key.
    case connectionToSelf
    /// The remote node is not the one the initiator dialled.
    case unexpectedRemoteKey(expected: PublicKey, actual: PublicKey)
    /// The remote static key is not a valid Ed25519 point, or has no X25519 equivalent.
    case invalidRemoteStaticKey(PublicKey)
    /// A Diffie-Hellman step with the remote key in message `message` gave the all-zero point (a low-order key).
    case weakRemoteKey(message: Int)
    /// Bytes arrived that the handshake does not expect at this point (`count` of them).
    case unexpectedBytes(count: Int)
    /// The handshake did not complete by its deadline (milliseconds, the driver's clock).
    case timedOut(deadline: UInt64, now: UInt64)
    /// An ephemeral secret of the wrong length.
    case invalidEphemeralSecret(length: Int)
}
