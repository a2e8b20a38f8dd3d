import CairnCore

/// BLAKE2b-256 of a file's contents, or of a symlink's target text (`Docs/PROTOCOL.md` §7.2). Unprefixed, so
/// `b2sum -l 256 FILE` prints it.
public struct ContentHash: Bytes32 {
    public let words: Words32
    public init(words: Words32) { self.words = words }

    /// Hashes bytes held in memory (a symlink's target; a small file in tests).
    public init(of content: [UInt8]) {
        self.init(unchecked: Blake2b.hash256(content))
    }
}
