import CairnCore

/// Key layouts of the named databases. Integers are big-endian so LMDB's byte order is numeric order.
enum Keys {
    /// `meta` key holding ASCII `cairn-store`.
    static let formatKey = Array("format".utf8)
    /// `meta` key holding the schema version as a big-endian `UInt32`.
    static let schemaKey = Array("schema".utf8)
    /// The value of `formatKey`.
    static let formatMarker = Array("cairn-store".utf8)
    /// `counters` keys; each value is a big-endian `UInt64`.
    static let blobCountKey = Array("blobs".utf8)
    static let payloadBytesKey = Array("payload-bytes".utf8)
    static let evidenceCountKey = Array("evidence".utf8)

    /// author (32) ‖ channel length (1) ‖ channel UTF-8: the prefix every slot key of one channel shares.
    static func channelPrefix(author: PublicKey, name: ChannelName) -> [UInt8] {
        let channel = name.utf8
        var writer = ByteWriter(capacity: 33 + channel.count + 8)
        writer.write(bytes: author.bytes)
        writer.write(UInt8(channel.count))
        writer.write(bytes: channel)
        return writer.bytes
    }

    /// The `slots` key: channel prefix ‖ seq (8, big-endian).
    static func slot(author: PublicKey, name: ChannelName, seq: UInt64) -> [UInt8] {
        channelPrefix(author: author, name: name) + uint64(seq)
    }

    /// The `chain-waiting` key of a blob at `seq` > 1 that is not linked: channel prefix ‖ seq − 1 (8, big-endian) ‖
    /// prev (32), so the blobs waiting for one predecessor share a key and sort by id.
    static func chainWaiting(channelPrefix: [UInt8], belowSeq: UInt64, prev: BlobID) -> [UInt8] {
        channelPrefix + uint64(belowSeq) + prev.bytes
    }

    /// The `sync` key: timestamp (8, big-endian) ‖ blob id (32).
    static func sync(timestamp: UInt64, id: BlobID) -> [UInt8] {
        uint64(timestamp) + id.bytes
    }

    static func uint64(_ value: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.write(value)
        return writer.bytes
    }

    static func uint32(_ value: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: 4)
        writer.write(value)
        return writer.bytes
    }

    /// Reads a big-endian integer of exactly `T`'s width, or `nil` when the length differs.
    static func decode<T: FixedWidthInteger>(_ bytes: some Collection<UInt8>, as type: T.Type = T.self) -> T? {
        guard bytes.count == MemoryLayout<T>.size else { return nil }
        return bytes.reduce(T(0)) { $0 << 8 | T($1) }
    }
}
