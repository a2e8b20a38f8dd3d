import CairnCore

/// The hash of a consensus block, as the application (the chain being secured) computes it; quorum members sign it.
public struct BlockHash: Bytes32 {
    public let words: Words32
    public init(words: Words32) { self.words = words }
}
