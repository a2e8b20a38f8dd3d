import CLMDB
import CairnCore

/// The reconciliation index: a counted B+tree over the items (timestamp in seconds, blob id) of every stored blob, in
/// the named database `reconciliation`, read and written inside one LMDB transaction.
///
/// Node `0` is the `Header`; nodes `1...` are `ReconciliationNode` pages under their id (8 bytes, big-endian), given
/// out in increasing order and never freed (blobs are never deleted). An internal entry holds its child's item count
/// and id sum, so a rank, a bound's rank or a range's sum is found on one root-to-leaf path: every query reads
/// O(log n) nodes and an insert rewrites one path. Nodes are sized to fill one LMDB overflow page.
///
/// Every read checks what it relies on: page lengths, levels falling by one, and each child holding the item count its
/// parent gives it; a damaged page is a thrown `.corrupt`, never a trap. Key order inside a node and the sums are
/// not re-checked on reads: a wrong order or sum gives wrong answers, not a crash.
struct ReconciliationIndex {
    /// The index's own header: capacities chosen when it was made, the root, the next node id and the item count.
    struct Header: Equatable {
        /// The version of this layout.
        static let currentFormat: UInt8 = 1
        static let encodedBytes = 1 + 2 + 2 + 8 + 8 + 8

        var leafCapacity: Int
        var internalCapacity: Int
        var root: UInt64
        var nextNodeID: UInt64
        var itemCount: UInt64

        var encoded: [UInt8] {
            var writer = ByteWriter(capacity: Self.encodedBytes)
            writer.write(Self.currentFormat)
            writer.write(UInt16(leafCapacity))
            writer.write(UInt16(internalCapacity))
            writer.write(root)
            writer.write(nextNodeID)
            writer.write(itemCount)
            return writer.bytes
        }

        init(leafCapacity: Int, internalCapacity: Int, root: UInt64, nextNodeID: UInt64, itemCount: UInt64) {
            self.leafCapacity = leafCapacity
            self.internalCapacity = internalCapacity
            self.root = root
            self.nextNodeID = nextNodeID
            self.itemCount = itemCount
        }

        init(decoding bytes: [UInt8], path: String) throws(StoreError) {
            func corrupt(_ reason: String) -> StoreError {
                .corrupt(path: path, reason: "reconciliation index header: \(reason)")
            }
            guard bytes.count == Self.encodedBytes else { throw corrupt("\(bytes.count) bytes") }
            guard bytes[0] == Self.currentFormat else { throw corrupt("format \(bytes[0])") }
            leafCapacity = Int(bytes[1]) << 8 | Int(bytes[2])
            internalCapacity = Int(bytes[3]) << 8 | Int(bytes[4])
            root = Keys.decode(bytes[5..<13], as: UInt64.self)!
            nextNodeID = Keys.decode(bytes[13..<21], as: UInt64.self)!
            itemCount = Keys.decode(bytes[21..<29], as: UInt64.self)!
            guard ReconciliationIndex.capacityRange.contains(leafCapacity),
                ReconciliationIndex.capacityRange.contains(internalCapacity)
            else { throw corrupt("node capacities \(leafCapacity) and \(internalCapacity)") }
            guard root > 0, root < nextNodeID else { throw corrupt("root \(root) with next node \(nextNodeID)") }
            guard itemCount <= UInt64(Int.max) else { throw corrupt("item count \(itemCount)") }
        }
    }

    /// The database's name.
    static let databaseName = "reconciliation"
    /// Bytes of an LMDB page that a value in overflow pages cannot use (`PAGEHDRSZ`).
    static let lmdbPageHeaderBytes = 16
    /// Node capacities a header may give; three entries is the least a split can work with.
    static let capacityRange = 3...4096
    static let headerKey = nodeKey(0)

    let txn: LMDBTransaction
    let dbi: MDB_dbi
    private(set) var header: Header
    private var headerChanged = false

    /// Reads the header of an existing index.
    init(txn: LMDBTransaction, dbi: MDB_dbi) throws(StoreError) {
        self.txn = txn
        self.dbi = dbi
        guard let bytes = try txn.get(dbi, Self.headerKey) else {
            throw .corrupt(path: txn.path, reason: "reconciliation index has no header")
        }
        header = try Header(decoding: bytes, path: txn.path)
    }

    /// Node capacities that fit a node in one overflow page of `pageSize` bytes.
    static func capacities(pageSize: Int) -> (leaf: Int, inner: Int) {
        let limit = pageSize - lmdbPageHeaderBytes
        let leaf = ReconciliationNode.capacity(level: 0, byteLimit: limit)
        let inner = ReconciliationNode.capacity(level: 1, byteLimit: limit)
        return (
            min(max(leaf, capacityRange.lowerBound), capacityRange.upperBound),
            min(max(inner, capacityRange.lowerBound), capacityRange.upperBound)
        )
    }

    /// Writes an empty index (a header and an empty root leaf) into the empty database `dbi`.
    /// - Parameter capacities: node capacities; by default those that fit one page (tests pass small ones).
    static func create(
        txn: LMDBTransaction,
        dbi: MDB_dbi,
        capacities: (leaf: Int, inner: Int)? = nil
    ) throws(StoreError) {
        var pageCapacities = Self.capacities(pageSize: try txn.pageSize())
        if let capacities { pageCapacities = capacities }
        precondition(capacityRange.contains(pageCapacities.leaf) && capacityRange.contains(pageCapacities.inner))
        let header = Header(
            leafCapacity: pageCapacities.leaf,
            internalCapacity: pageCapacities.inner,
            root: 1,
            nextNodeID: 2,
            itemCount: 0
        )
        try txn.put(dbi, headerKey, header.encoded)
        try txn.put(dbi, nodeKey(1), ReconciliationNode(level: 0).bytes)
    }

    static func nodeKey(_ id: UInt64) -> [UInt8] {
        Keys.uint64(id)
    }

    /// The number of items.
    var count: Int { Int(header.itemCount) }

    // MARK: Reads

    /// The item at `rank`.
    func item(at rank: Int) throws(StoreError) -> SyncItem {
        guard rank >= 0, rank < count else { throw .rankOutOfRange(rank: rank, count: count) }
        var node = try rootNode()
        var remaining = UInt64(rank)
        while !node.isLeaf {
            let index = Self.child(containing: &remaining, in: node)
            node = try child(of: node, at: index)
        }
        return node.item(at: Int(remaining))
    }

    /// The items at `ranks`, in order.
    func items(in ranks: Range<Int>) throws(StoreError) -> [SyncItem] {
        try check(ranks)
        guard !ranks.isEmpty else { return [] }
        var items: [SyncItem] = []
        items.reserveCapacity(ranks.count)
        // The path to the leaf holding `ranks.lowerBound`; each entry is a node and the child taken.
        var path: [(node: ReconciliationNode, index: Int)] = []
        var node = try rootNode()
        var remaining = UInt64(ranks.lowerBound)
        while !node.isLeaf {
            let index = Self.child(containing: &remaining, in: node)
            path.append((node, index))
            node = try child(of: node, at: index)
        }
        var position = Int(remaining)
        while true {
            while position < node.count, items.count < ranks.count {
                items.append(node.item(at: position))
                position += 1
            }
            if items.count == ranks.count { return items }
            // The next leaf: up to the first ancestor with a child to the right, then down its leftmost path.
            while let last = path.last, last.index + 1 >= last.node.count { path.removeLast() }
            guard var top = path.popLast() else {
                throw .corrupt(path: txn.path, reason: "reconciliation index ends before rank \(ranks.upperBound)")
            }
            top.index += 1
            path.append(top)
            node = try child(of: top.node, at: top.index)
            while !node.isLeaf {
                path.append((node, 0))
                node = try child(of: node, at: 0)
            }
            position = 0
        }
    }

    /// The first rank in `ranks` whose item is not less than `bound` (`ranks.upperBound` when none is).
    func lowerBound(of bound: SyncItem, in ranks: Range<Int>) throws(StoreError) -> Int {
        try check(ranks)
        // Items are sorted, so the answer in `ranks` is the number of items below `bound`, clamped to `ranks`.
        let key = Keys.sync(timestamp: bound.timestamp, id: bound.id)
        var node = try rootNode()
        var below: UInt64 = 0
        while !node.isLeaf {
            // Entry keys are the smallest keys of their subtrees: the children before the last one starting below
            // `key` are all below it.
            let index = node.lowerBound(of: key)
            guard index > 0 else { break }
            for earlier in 0..<index - 1 { below += node.childCount(at: earlier) }
            node = try child(of: node, at: index - 1)
        }
        if node.isLeaf { below += UInt64(node.lowerBound(of: key)) }
        return min(max(Int(below), ranks.lowerBound), ranks.upperBound)
    }

    /// The sum and count of the ids at `ranks`.
    func accumulator(of ranks: Range<Int>) throws(StoreError) -> SyncAccumulator {
        try check(ranks)
        guard !ranks.isEmpty else { return SyncAccumulator() }
        var sum = try prefixSum(ranks.upperBound)
        sum.subtract(try prefixSum(ranks.lowerBound))
        return sum.accumulator
    }

    /// The sum of the ids at ranks `0..<rank`.
    func prefixSum(_ rank: Int) throws(StoreError) -> PartialSum {
        var sum = PartialSum()
        guard rank > 0 else { return sum }
        var node = try rootNode()
        guard rank < count else { return node.sum }
        var remaining = UInt64(rank)
        while !node.isLeaf {
            let index = Self.child(containing: &remaining, in: node)
            node.addSums(of: 0..<index, into: &sum)
            node = try child(of: node, at: index)
        }
        node.addSums(of: 0..<Int(remaining), into: &sum)
        return sum
    }

    private func check(_ ranks: Range<Int>) throws(StoreError) {
        guard ranks.lowerBound >= 0 else { throw .rankOutOfRange(rank: ranks.lowerBound, count: count) }
        guard ranks.upperBound <= count else { throw .rankOutOfRange(rank: ranks.upperBound, count: count) }
    }

    /// The entry of internal `node` whose subtree holds rank `remaining` of `node`'s subtree; `remaining` becomes the
    /// rank inside that child. Needs `remaining < node.total`, which `rootNode` and `child(of:at:)` make sure of.
    private static func child(containing remaining: inout UInt64, in node: ReconciliationNode) -> Int {
        var index = 0
        while remaining >= node.childCount(at: index) {
            remaining -= node.childCount(at: index)
            index += 1
        }
        return index
    }

    /// The root, checked against the header's item count.
    func rootNode() throws(StoreError) -> ReconciliationNode {
        let root = try node(header.root, level: nil)
        guard root.total == header.itemCount else {
            throw .corrupt(
                path: txn.path,
                reason: "reconciliation index root holds \(root.total) items, the header says \(header.itemCount)"
            )
        }
        guard root.count > 0 || root.isLeaf else {
            throw .corrupt(path: txn.path, reason: "reconciliation index root \(header.root) is an empty inner node")
        }
        return root
    }

    /// The child of internal entry `index`, checked: one level down, not empty, holding the count its parent gives.
    func child(of parent: ReconciliationNode, at index: Int) throws(StoreError) -> ReconciliationNode {
        let id = parent.childID(at: index)
        let child = try node(id, level: parent.level - 1)
        guard child.count > 0, child.total == parent.childCount(at: index) else {
            throw .corrupt(
                path: txn.path,
                reason: "reconciliation index node \(id) holds \(child.total) items in \(child.count) entries, "
                    + "its parent says \(parent.childCount(at: index))"
            )
        }
        return child
    }

    private func node(_ id: UInt64, level: UInt8?) throws(StoreError) -> ReconciliationNode {
        guard let bytes = try txn.get(dbi, Self.nodeKey(id)) else {
            throw .corrupt(path: txn.path, reason: "reconciliation index node \(id) is missing")
        }
        return try ReconciliationNode(decoding: bytes, id: id, expectedLevel: level, path: txn.path)
    }

    // MARK: Writes

    /// Inserts `item`; `false` when it is already there.
    mutating func insert(_ item: SyncItem) throws(StoreError) -> Bool {
        let key = Keys.sync(timestamp: item.timestamp, id: item.id)
        var path: [(id: UInt64, node: ReconciliationNode, index: Int)] = []
        var id = header.root
        var node = try rootNode()
        while !node.isLeaf {
            let index = max(0, node.upperBound(of: key) - 1)
            let childID = node.childID(at: index)
            let child = try child(of: node, at: index)
            path.append((id, node, index))
            id = childID
            node = child
        }
        var position = node.lowerBound(of: key)
        if position < node.count, node.compareKey(at: position, with: key) == 0 { return false }
        guard node.level == 0, header.itemCount < UInt64(Int.max) else {
            throw .corrupt(path: txn.path, reason: "reconciliation index is full")
        }
        node.insert(key: key, at: position)
        header.itemCount += 1
        headerChanged = true

        // Write the path back bottom-up, splitting nodes that grew past their capacity.
        while true {
            var sibling: (key: [UInt8], id: UInt64, sum: PartialSum)?
            let capacity = node.isLeaf ? header.leafCapacity : header.internalCapacity
            if node.count > capacity {
                let right = node.split(at: Self.splitIndex(count: node.count, insertedAt: position))
                let rightID = try writeNew(right)
                sibling = (right.key(at: 0), rightID, right.sum)
            }
            try write(node, id: id)
            guard var parent = path.popLast() else {
                if let sibling {
                    var root = ReconciliationNode(level: node.level + 1)
                    root.insert(key: node.key(at: 0), child: id, sum: node.sum, at: 0)
                    root.insert(key: sibling.key, child: sibling.id, sum: sibling.sum, at: 1)
                    header.root = try writeNew(root)
                }
                return true
            }
            parent.node.update(at: parent.index, key: node.key(at: 0), sum: node.sum)
            position = parent.index
            if let sibling {
                position += 1
                parent.node.insert(key: sibling.key, child: sibling.id, sum: sibling.sum, at: position)
            }
            id = parent.id
            node = parent.node
        }
    }

    /// Where an overfull node of `count` entries splits, given where the new entry went: in the middle, or right
    /// before the new entry when it went into the upper half, so that ascending inserts (new blobs, or a gap filled
    /// in order) leave full nodes behind rather than half-full ones.
    static func splitIndex(count: Int, insertedAt position: Int) -> Int {
        let middle = count / 2
        return position > middle ? position : middle
    }

    /// Writes the header if an insert changed it.
    mutating func saveHeader() throws(StoreError) {
        guard headerChanged else { return }
        try txn.put(dbi, Self.headerKey, header.encoded)
        headerChanged = false
    }

    private func write(_ node: ReconciliationNode, id: UInt64) throws(StoreError) {
        try txn.put(dbi, Self.nodeKey(id), node.bytes)
    }

    /// Stores a new node under the next id, which is above every stored one.
    private mutating func writeNew(_ node: ReconciliationNode) throws(StoreError) -> UInt64 {
        let id = header.nextNodeID
        header.nextNodeID += 1
        headerChanged = true
        guard try txn.put(dbi, Self.nodeKey(id), node.bytes, flags: MDB_APPEND) else {
            throw .corrupt(path: txn.path, reason: "reconciliation index node \(id) is below a stored node")
        }
        return id
    }
}
