import CairnCore

/// Reads the ranges of a V1 message one at a time, checking every field as it goes.
struct NegentropyReader {
    private let bytes: [UInt8]
    private var offset: Int
    private var lastTimestamp: UInt64 = 0
    private var previousBound = SyncItem(timestamp: 0, id: .zero)

    /// Reads `bytes` from `offset` (just past the version byte).
    init(_ bytes: [UInt8], offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    var isAtEnd: Bool { offset == bytes.count }

    private var remaining: Int { bytes.count - offset }

    mutating func readRange() throws(NegentropyError) -> NegentropyRange {
        let bound = try readBound()
        let mode = try readVarint(field: "mode")
        switch mode {
        case NegentropyRange.Payload.skip.mode:
            return NegentropyRange(upperBound: bound, payload: .skip)
        case NegentropyRange.Payload.fingerprint([]).mode:
            let fingerprint = try readBytes(NegentropyMessage.fingerprintBytes, field: "fingerprint")
            return NegentropyRange(upperBound: bound, payload: .fingerprint(fingerprint))
        case NegentropyRange.Payload.idList([]).mode:
            let count = try readVarint(field: "id list length")
            let available = remaining / NegentropyMessage.idBytes
            guard count <= UInt64(available) else { throw .idListTooLong(count: count, remainingBytes: remaining) }
            var ids: [BlobID] = []
            ids.reserveCapacity(Int(count))
            for _ in 0..<count {
                ids.append(BlobID(unchecked: try readBytes(NegentropyMessage.idBytes, field: "id")))
            }
            return NegentropyRange(upperBound: bound, payload: .idList(ids))
        default:
            throw .unknownMode(mode)
        }
    }

    private mutating func readBound() throws(NegentropyError) -> NegentropyBound {
        let encodedTimestamp = try readVarint(field: "bound timestamp")
        let timestamp: UInt64
        if encodedTimestamp == 0 {
            timestamp = .max
        } else {
            let delta = encodedTimestamp - 1
            let (sum, overflow) = lastTimestamp.addingReportingOverflow(delta)
            guard !overflow, sum != .max else { throw .timestampOverflow(previous: lastTimestamp, delta: delta) }
            timestamp = sum
        }
        lastTimestamp = timestamp
        let length = try readVarint(field: "id prefix length")
        guard length <= UInt64(NegentropyBound.idPrefixLimit) else { throw .idPrefixTooLong(length: length) }
        if timestamp == .max && length != 0 { throw .infinityWithIDPrefix(length: Int(length)) }
        let bound = NegentropyBound(timestamp: timestamp, idPrefix: try readBytes(Int(length), field: "id prefix"))
        let item = bound.item
        guard item >= previousBound else { throw .boundOutOfOrder(previous: previousBound, bound: item) }
        previousBound = item
        return bound
    }

    private mutating func readVarint(field: String) throws(NegentropyError) -> UInt64 {
        var value: UInt64 = 0
        var first = true
        while true {
            guard offset < bytes.count else { throw .truncated(field: field) }
            let byte = bytes[offset]
            offset += 1
            if first && byte == 0x80 { throw .nonMinimalVarint }
            first = false
            guard value >> 57 == 0 else { throw .varintOverflow }
            value = value << 7 | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 { return value }
        }
    }

    private mutating func readBytes(_ count: Int, field: String) throws(NegentropyError) -> [UInt8] {
        guard count <= remaining else { throw .truncated(field: field) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}
