import CairnCore

/// The outcome of a completed handshake: who the peer is and the keys for each direction.
public struct Session: Sendable, Equatable {
    /// Which side of the handshake this node played.
    public let role: Handshake.Role
    /// This node's static public key.
    public let localKey: PublicKey
    /// The remote node's authenticated static public key.
    public let remoteKey: PublicKey
    /// The 32-byte ChaCha20-Poly1305 key for records this node sends.
    public let sendKey: [UInt8]
    /// The 32-byte ChaCha20-Poly1305 key for records this node receives.
    public let receiveKey: [UInt8]
    /// The final transcript hash `h3`, equal on both sides; usable as a session id or channel binding.
    public let handshakeHash: [UInt8]

    /// Assembles a session; the handshake is the only producer outside tests.
    public init(
        role: Handshake.Role,
        localKey: PublicKey,
        remoteKey: PublicKey,
        sendKey: [UInt8],
        receiveKey: [UInt8],
        handshakeHash: [UInt8]
    ) {
        self.role = role
        self.localKey = localKey
        self.remoteKey = remoteKey
        self.sendKey = sendKey
        self.receiveKey = receiveKey
        self.handshakeHash = handshakeHash
    }
}
