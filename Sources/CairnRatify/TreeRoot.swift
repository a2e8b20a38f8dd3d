import CairnCore

/// The root hash of a source tree (Docs/PROTOCOL.md, "Tree hash"): what proposals name and holders vote on.
public struct TreeRoot: Bytes32 {
    public let words: Words32
    public init(words: Words32) { self.words = words }
}
