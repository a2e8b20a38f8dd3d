import CairnCore

/// The Merkle tree over a manifest's entries (`Docs/PROTOCOL.md` §7.4): a leaf per entry, inner nodes shaped as in
/// RFC 6962 §2.1, and a root that also binds the entry count. Pure: it sees entries, never a file system.
public enum TreeHash {
    /// `cairn/tree/v1` and a zero byte, in front of every hash of the tree structure.
    public static let domain: [UInt8] = Array("cairn/tree/v1".utf8) + [0]

    private static let leafPrefix: UInt8 = 0
    private static let nodePrefix: UInt8 = 1
    private static let rootPrefix: UInt8 = 2

    /// `BLAKE2b-256(domain || 0x00 || entry)`.
    public static func leaf(_ entry: TreeEntry) -> [UInt8] {
        Blake2b.hash256(parts: [domain, [leafPrefix], entry.encoding])
    }

    /// `BLAKE2b-256(domain || 0x01 || left || right)`.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        Blake2b.hash256(parts: [domain, [nodePrefix], left, right])
    }

    /// The root over `entries`, which must be in manifest order.
    public static func root(of entries: [TreeEntry]) -> TreeRoot {
        precondition(entries.count <= Int(UInt32.max), "a manifest counts its entries in 32 bits")
        var count = ByteWriter(capacity: 4)
        count.write(UInt32(entries.count))
        let top = entries.isEmpty ? [UInt8](repeating: 0, count: Blake2b.digestBytes) : merkle(entries.map(leaf))
        return TreeRoot(unchecked: Blake2b.hash256(parts: [domain, [rootPrefix], count.bytes, top]))
    }

    /// RFC 6962's tree hash, bottom up: pairing neighbours level by level and carrying an odd last node up
    /// unchanged gives the same tree as splitting at the largest power of two below the count.
    static func merkle(_ leaves: [[UInt8]]) -> [UInt8] {
        precondition(!leaves.isEmpty, "the Merkle tree of no leaves is not defined; the root uses zeros")
        var level = leaves
        while level.count > 1 {
            var next: [[UInt8]] = []
            next.reserveCapacity((level.count + 1) / 2)
            for start in stride(from: 0, to: level.count, by: 2) {
                next.append(start + 1 < level.count ? node(level[start], level[start + 1]) : level[start])
            }
            level = next
        }
        return level[0]
    }
}
