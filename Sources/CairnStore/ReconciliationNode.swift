import CairnCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One node page of the reconciliation index, decoded and checked.
///
/// Layout: level (1 byte, 0 for a leaf) ‖ entry count (`UInt16` big-endian) ‖ entries, ascending by key. A key is the
/// `sync` key of an item, timestamp in seconds (8, big-endian) ‖ id (32), so byte order is item order. A leaf entry is
/// one key. An internal entry is the smallest key in a child's subtree ‖ the child's node id (8, big-endian) ‖ the
/// child's item count (8, big-endian) ‖ the sum of the child's ids (32, little-endian, as `SyncAccumulator`).
struct ReconciliationNode {
    static let headerBytes = 3
    static let keyBytes = 40
    static let leafEntryBytes = keyBytes
    static let internalEntryBytes = keyBytes + 8 + 8 + PartialSum.byteCount
    /// The highest level a node may have; at the smallest page size (4 KiB, 46 children) that is far above 2⁶⁴ items.
    static let maxLevel: UInt8 = 16

    private(set) var bytes: [UInt8]
    /// 0 for a leaf; a child's level is one less than its parent's.
    let level: UInt8
    /// The number of entries.
    private(set) var count: Int
    /// The number of items in the subtree.
    private(set) var total: UInt64

    var isLeaf: Bool { level == 0 }
    var entryBytes: Int { Self.entryBytes(level: level) }

    static func entryBytes(level: UInt8) -> Int {
        level == 0 ? leafEntryBytes : internalEntryBytes
    }

    /// The largest node of `level` that `byteLimit` bytes hold, in entries.
    static func capacity(level: UInt8, byteLimit: Int) -> Int {
        (byteLimit - headerBytes) / entryBytes(level: level)
    }

    /// An empty node.
    init(level: UInt8) {
        self.level = level
        bytes = [level, 0, 0]
        count = 0
        total = 0
    }

    /// Decodes the stored page of node `id`.
    /// - Throws: `.corrupt` when the length does not match the entry count, the count exceeds the largest capacity,
    ///   the level is not `expectedLevel`, an internal entry counts no items, or the counts overflow.
    init(decoding bytes: [UInt8], id: UInt64, expectedLevel: UInt8?, path: String) throws(StoreError) {
        func corrupt(_ reason: String) -> StoreError {
            .corrupt(path: path, reason: "reconciliation index node \(id): \(reason)")
        }
        guard bytes.count >= Self.headerBytes else { throw corrupt("\(bytes.count) bytes") }
        level = bytes[0]
        guard level <= Self.maxLevel else { throw corrupt("level \(level)") }
        if let expectedLevel, level != expectedLevel { throw corrupt("level \(level), expected \(expectedLevel)") }
        count = Int(bytes[1]) << 8 | Int(bytes[2])
        // No stored node exceeds the largest capacity, and an insert must not push the count past 16 bits.
        guard count <= ReconciliationIndex.capacityRange.upperBound else { throw corrupt("\(count) entries") }
        let expectedBytes = Self.headerBytes + count * Self.entryBytes(level: level)
        guard bytes.count == expectedBytes else {
            throw corrupt("\(bytes.count) bytes for \(count) entries of level \(level) (\(expectedBytes) expected)")
        }
        self.bytes = bytes
        if level == 0 {
            total = UInt64(count)
        } else {
            total = 0
            for index in 0..<count {
                let childCount = self.childCount(at: index)
                guard childCount > 0 else { throw corrupt("entry \(index) counts no items") }
                let (sum, overflow) = total.addingReportingOverflow(childCount)
                guard !overflow else { throw corrupt("item counts overflow") }
                total = sum
            }
        }
    }

    private func offset(_ index: Int) -> Int {
        Self.headerBytes + index * entryBytes
    }

    /// `memcmp` of entry `index`'s key with `key` (40 bytes).
    func compareKey(at index: Int, with key: [UInt8]) -> Int32 {
        let start = offset(index)
        return bytes.withUnsafeBytes { page in
            key.withUnsafeBytes { other in memcmp(page.baseAddress! + start, other.baseAddress!, Self.keyBytes) }
        }
    }

    /// The first entry whose key is not less than `key` (`count` when there is none).
    func lowerBound(of key: [UInt8]) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if compareKey(at: middle, with: key) < 0 { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The first entry whose key is greater than `key` (`count` when there is none).
    func upperBound(of key: [UInt8]) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if compareKey(at: middle, with: key) <= 0 { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The key of entry `index`.
    func key(at index: Int) -> [UInt8] {
        let start = offset(index)
        return Array(bytes[start..<start + Self.keyBytes])
    }

    /// The item of leaf entry `index`.
    func item(at index: Int) -> SyncItem {
        let start = offset(index)
        return SyncItem(timestamp: uint64(at: start), id: BlobID(unchecked: Array(bytes[start + 8..<start + 40])))
    }

    /// The node id of internal entry `index`'s child.
    func childID(at index: Int) -> UInt64 {
        uint64(at: offset(index) + Self.keyBytes)
    }

    /// The item count of internal entry `index`'s child.
    func childCount(at index: Int) -> UInt64 {
        uint64(at: offset(index) + Self.keyBytes + 8)
    }

    /// Adds the ids of entries `range` (a leaf's items or an internal node's children) to `sum`.
    func addSums(of range: Range<Int>, into sum: inout PartialSum) {
        bytes.withUnsafeBytes { page in
            if level == 0 {
                for index in range { sum.add(page, at: offset(index) + 8, count: 1) }
            } else {
                for index in range {
                    sum.add(page, at: offset(index) + Self.keyBytes + 16, count: childCount(at: index))
                }
            }
        }
    }

    /// The sum and count of every entry.
    var sum: PartialSum {
        var sum = PartialSum()
        addSums(of: 0..<count, into: &sum)
        return sum
    }

    /// Inserts a leaf entry.
    mutating func insert(key: [UInt8], at index: Int) {
        precondition(level == 0 && key.count == Self.keyBytes && index <= count, "bad leaf insert")
        bytes.insert(contentsOf: key, at: offset(index))
        setCount(count + 1)
        total += 1
    }

    /// Inserts an internal entry for a child.
    mutating func insert(key: [UInt8], child: UInt64, sum: PartialSum, at index: Int) {
        precondition(level > 0 && key.count == Self.keyBytes && index <= count, "bad internal insert")
        bytes.insert(contentsOf: Self.internalEntry(key: key, child: child, sum: sum), at: offset(index))
        setCount(count + 1)
        total += sum.count
    }

    /// Replaces the key, count and sum of internal entry `index`, keeping its child.
    mutating func update(at index: Int, key: [UInt8], sum: PartialSum) {
        precondition(level > 0 && key.count == Self.keyBytes && index < count, "bad internal update")
        total = total - childCount(at: index) + sum.count
        let start = offset(index)
        let entry = Self.internalEntry(key: key, child: childID(at: index), sum: sum)
        bytes.replaceSubrange(start..<start + Self.internalEntryBytes, with: entry)
    }

    /// Moves entries `index...` into a new node of the same level, which it returns.
    mutating func split(at index: Int) -> ReconciliationNode {
        precondition(index > 0 && index < count, "a split leaves both halves non-empty")
        var right = ReconciliationNode(level: level)
        right.bytes += bytes[offset(index)...]
        right.setCount(count - index)
        bytes.removeSubrange(offset(index)...)
        setCount(index)
        if level == 0 {
            right.total = UInt64(right.count)
            total = UInt64(count)
        } else {
            right.total = (0..<right.count).reduce(0) { $0 + right.childCount(at: $1) }
            total -= right.total
        }
        return right
    }

    private mutating func setCount(_ newCount: Int) {
        precondition(newCount <= Int(UInt16.max), "node entry count fits 16 bits")
        count = newCount
        bytes[1] = UInt8(newCount >> 8)
        bytes[2] = UInt8(newCount & 0xFF)
    }

    private func uint64(at start: Int) -> UInt64 {
        bytes.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt64.self)) }
    }

    private static func internalEntry(key: [UInt8], child: UInt64, sum: PartialSum) -> [UInt8] {
        var entry = key
        entry.reserveCapacity(internalEntryBytes)
        withUnsafeBytes(of: child.bigEndian) { entry.append(contentsOf: $0) }
        withUnsafeBytes(of: sum.count.bigEndian) { entry.append(contentsOf: $0) }
        entry.append(contentsOf: sum.sumBytes)
        return entry
    }
}
