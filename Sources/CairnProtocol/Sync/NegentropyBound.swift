import CairnCore

/// The upper end of a Negentropy range: a timestamp and the shortest id prefix that separates the range's last item
/// from the next range's first. Omitted trailing id bytes are zeros.
public struct NegentropyBound: Hashable, Sendable {
    /// The timestamp in seconds; `UInt64.max` is the infinity bound, above every item.
    public var timestamp: UInt64
    /// Up to 32 leading bytes of an id.
    public var idPrefix: [UInt8]

    /// A bound at `timestamp` with `idPrefix` (at most 32 bytes).
    public init(timestamp: UInt64, idPrefix: [UInt8] = []) {
        precondition(idPrefix.count <= NegentropyBound.idPrefixLimit, "an id prefix is at most 32 bytes")
        self.timestamp = timestamp
        self.idPrefix = idPrefix
    }

    /// The bound that includes every item exactly: the item's timestamp and its whole id.
    public init(_ item: SyncItem) {
        self.init(timestamp: item.timestamp, idPrefix: item.id.bytes)
    }

    /// The longest id prefix a bound may carry.
    public static let idPrefixLimit = 32

    /// The bound above every item: it closes the last range of a message.
    public static let infinity = NegentropyBound(timestamp: .max)

    /// `true` for the infinity bound.
    public var isInfinity: Bool { timestamp == .max }

    /// The item this bound compares like: its id prefix padded with zero bytes. The infinity bound is
    /// `SyncItem.infinity`, which no stored item reaches.
    public var item: SyncItem {
        if isInfinity { return .infinity }
        var id = idPrefix
        id.append(contentsOf: repeatElement(0, count: NegentropyBound.idPrefixLimit - id.count))
        return SyncItem(timestamp: timestamp, id: BlobID(unchecked: id))
    }

    /// The shortest bound above `previous` and at or below `next` (which must be greater than `previous`): the
    /// timestamp alone when the timestamps differ, else `next`'s id up to and including the first byte that
    /// differs from `previous`'s.
    public static func minimal(between previous: SyncItem, and next: SyncItem) -> NegentropyBound {
        precondition(previous < next, "bounds separate ascending items")
        guard previous.timestamp == next.timestamp else { return NegentropyBound(timestamp: next.timestamp) }
        let previousID = previous.id.bytes
        let nextID = next.id.bytes
        var shared = 0
        while shared < nextID.count - 1 && previousID[shared] == nextID[shared] { shared += 1 }
        return NegentropyBound(timestamp: next.timestamp, idPrefix: Array(nextID[0...shared]))
    }
}
