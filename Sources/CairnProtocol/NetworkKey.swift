import CairnCore

/// The key that isolates one mesh: BLAKE2b-256 of `domain` and the UTF-8 network name, and for a network with a
/// genesis (a quorum network), a zero byte and the genesis hash.
///
/// It keys the handshake's message authentication codes and is bound into every transcript hash, so nodes of
/// different networks never complete a handshake.
public struct NetworkKey: Bytes32 {
    /// The domain-separation prefix: ASCII `cairn/network/v1` and a zero byte.
    public static let domain: [UInt8] = Array("cairn/network/v1".utf8) + [0]

    /// The 32 key bytes, inline.
    public let words: Words32

    public init(words: Words32) { self.words = words }

    /// Derives the key of the network called `networkName`, bound to `genesisHash` when the network has a genesis:
    /// a node without that genesis (or with another) cannot complete a handshake with it.
    public init(networkName: String, genesisHash: [UInt8]? = nil) {
        var parts = [Self.domain, Array(networkName.utf8)]
        if let genesisHash { parts += [[0], genesisHash] }
        self.init(unchecked: Blake2b.hash256(parts: parts))
    }
}
