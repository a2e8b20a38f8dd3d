import CairnCore

/// The hash of a genesis (`Genesis.hash`): it names a quorum network and starts every quorum payload, so nothing
/// signed for one network counts on another.
public struct GenesisHash: Bytes32 {
    public let words: Words32
    public init(words: Words32) { self.words = words }
}
