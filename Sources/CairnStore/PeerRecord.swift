import CairnCore

/// A peer address the mesh has seen and when it last saw it: one entry of the store's peer book.
public struct PeerRecord: Sendable, Equatable {
    /// The longest host the peer book stores, in UTF-8 bytes.
    public static let maxHostBytes = 255

    /// A DNS name or IP literal; the peer book compares hosts byte for byte.
    public let host: String
    /// The TCP port.
    public let port: UInt16
    /// When the peer was last seen, in milliseconds since the Unix epoch.
    public let lastSeenMilliseconds: UInt64

    /// Builds a record; `BlobStore.rememberPeer(_:)` checks the host.
    public init(host: String, port: UInt16, lastSeenMilliseconds: UInt64) {
        self.host = host
        self.port = port
        self.lastSeenMilliseconds = lastSeenMilliseconds
    }

    /// `true` when `host` can be stored: 1 to `maxHostBytes` UTF-8 bytes.
    public static func isValidHost(_ host: String) -> Bool {
        (1...maxHostBytes).contains(host.utf8.count)
    }
}

/// Key layouts of the peer book, kept in two databases written together in one transaction:
///
/// - `peers`: address → last seen, where address = host length (1 byte, 1–255) ‖ host UTF-8 ‖ port (2, big-endian)
///   and last seen is the `UInt64` milliseconds, big-endian (8 bytes). Upserts find the old entry here.
/// - `peer-recency`: last seen (8, big-endian) ‖ address → empty. Ascending key order is least recently seen first
///   (equal times by address bytes): listing walks it backwards, eviction takes its first entry.
enum PeerBookLayout {
    /// Bytes of the last-seen prefix of a `peer-recency` key.
    static let lastSeenBytes = 8

    /// The address bytes of (`host`, `port`); `host` must be valid (`PeerRecord.isValidHost`).
    static func address(host: String, port: UInt16) -> [UInt8] {
        let hostBytes = Array(host.utf8)
        precondition(PeerRecord.isValidHost(host), "host checked before it is queued")
        var writer = ByteWriter(capacity: 1 + hostBytes.count + 2)
        writer.write(UInt8(hostBytes.count))
        writer.write(bytes: hostBytes)
        writer.write(port)
        return writer.bytes
    }

    /// The `peer-recency` key of an address seen at `lastSeen`.
    static func recencyKey(lastSeen: UInt64, address: [UInt8]) -> [UInt8] {
        Keys.uint64(lastSeen) + address
    }

    /// Reads an address, or `nil` when the bytes are not exactly one well-formed address.
    static func decodeAddress(_ bytes: ArraySlice<UInt8>) -> (host: String, port: UInt16)? {
        var reader = ByteReader(Array(bytes))
        do {
            let length = Int(try reader.readUInt8("host length"))
            guard length > 0, let host = String(validating: try reader.readBytes(length, "host"), as: UTF8.self)
            else { return nil }
            let port = try reader.readUInt16("port")
            try reader.expectEnd()
            return (host, port)
        } catch {
            return nil
        }
    }

    /// Reads a `peer-recency` key back into a record, or `nil` when it is malformed.
    static func decodeRecency(_ key: [UInt8]) -> PeerRecord? {
        guard key.count > lastSeenBytes,
            let lastSeen = Keys.decode(key[..<lastSeenBytes], as: UInt64.self),
            let (host, port) = decodeAddress(key[lastSeenBytes...])
        else { return nil }
        return PeerRecord(host: host, port: port, lastSeenMilliseconds: lastSeen)
    }
}
