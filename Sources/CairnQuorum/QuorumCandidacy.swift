import CairnCore

/// A candidacy (`quorum/candidacy`): the blob's author declares itself electable. Signed by the candidate's own
/// key, it is consent and proof of key. It carries nothing but the header.
public struct QuorumCandidacy: Sendable, Hashable {
    /// The only candidacy version.
    public static let formatVersion: UInt8 = 1
    /// The encoded size.
    public static let encodedBytes = 33

    /// The network's genesis hash.
    public let genesis: GenesisHash

    /// A candidacy on the network of `genesis`.
    public init(genesis: GenesisHash) { self.genesis = genesis }

    /// Decodes a payload.
    /// - Throws: `QuorumPayloadError` for anything but exactly the header of version 1.
    public init(decoding bytes: [UInt8]) throws(QuorumPayloadError) {
        var reader = QuorumPayloadReader(bytes)
        genesis = try reader.header(version: Self.formatVersion)
        try reader.expectEnd()
    }

    /// The canonical encoding: genesis hash, version.
    public var encoding: [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedBytes)
        writer.writeQuorumHeader(genesis: genesis, version: Self.formatVersion)
        return writer.bytes
    }
}
