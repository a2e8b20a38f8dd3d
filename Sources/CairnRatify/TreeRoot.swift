import CairnCore

/// The root hash of a tree: what `cairn tree hash` prints and what holders ratify (`Docs/PROTOCOL.md` §7.4).
public struct TreeRoot: Bytes32 {
    public let words: Words32
    public init(words: Words32) { self.words = words }
}
