import CairnCore

/// Why a pair of blobs is not equivocation evidence (kind 2).
public struct EquivocationRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case wrongKind(UInt8)
        case sameBlob
        case differentAuthors
        case notSignatureChannel(String)
        case malformedSignature(QuorumPayloadError)
        case otherGenesis(GenesisHash)
        case outsideStakeTable(PublicKey)
        case differentEpochs(UInt64, UInt64)
        case differentHeights(UInt64, UInt64)
        case sameValue
    }

    private let base: Base

    /// The evidence is of another kind than 2.
    public static func wrongKind(_ kind: UInt8) -> EquivocationRefusal { .init(base: .wrongKind(kind)) }
    /// One blob twice is not evidence.
    public static let sameBlob = EquivocationRefusal(base: .sameBlob)
    /// The blobs have different authors.
    public static let differentAuthors = EquivocationRefusal(base: .differentAuthors)
    /// A blob is not on `quorum/sig`.
    public static func notSignatureChannel(_ channel: String) -> EquivocationRefusal {
        .init(base: .notSignatureChannel(channel))
    }
    /// A blob's payload is not a well-formed signature.
    public static func malformedSignature(_ error: QuorumPayloadError) -> EquivocationRefusal {
        .init(base: .malformedSignature(error))
    }
    /// A signature names another network's genesis.
    public static func otherGenesis(_ hash: GenesisHash) -> EquivocationRefusal { .init(base: .otherGenesis(hash)) }
    /// The author holds no stake: a fresh key cannot mint evidence.
    public static func outsideStakeTable(_ key: PublicKey) -> EquivocationRefusal {
        .init(base: .outsideStakeTable(key))
    }
    /// The signatures are for different epochs (the smaller first).
    public static func differentEpochs(_ a: UInt64, _ b: UInt64) -> EquivocationRefusal {
        .init(base: .differentEpochs(a, b))
    }
    /// The signatures are for different heights (the smaller first).
    public static func differentHeights(_ a: UInt64, _ b: UInt64) -> EquivocationRefusal {
        .init(base: .differentHeights(a, b))
    }
    /// The signatures sign the same block and vote set: a repeat, not a conflict.
    public static let sameValue = EquivocationRefusal(base: .sameValue)

    public var description: String {
        switch base {
        case .wrongKind(let kind): "evidence kind \(kind) is not a quorum double sign"
        case .sameBlob: "the two blobs are the same blob"
        case .differentAuthors: "the blobs have different authors"
        case .notSignatureChannel(let channel): "blob on \(channel), not quorum/sig"
        case .malformedSignature(let error): "not a signature: \(error)"
        case .otherGenesis(let hash): "a signature of another genesis \(hash.hex.prefix(16))"
        case .outsideStakeTable(let key): "signer \(key.hex.prefix(16)) is not in the stake table"
        case .differentEpochs(let a, let b): "different epochs \(a) and \(b)"
        case .differentHeights(let a, let b): "different heights \(a) and \(b)"
        case .sameValue: "both sign the same block and vote set"
        }
    }
}
