import CairnCore

/// A timed ban of a node key, with the reason it was banned.
public struct BanRecord: Sendable, Equatable {
    /// The longest reason kept, in UTF-8 bytes; longer reasons are cut at a character boundary.
    public static let maxReasonBytes = 255

    /// The banned node's key.
    public let key: PublicKey
    /// When the ban ends, in milliseconds since the Unix epoch; the ban holds while now is before it.
    public let untilMilliseconds: UInt64
    /// Why the key was banned, at most `maxReasonBytes` UTF-8 bytes.
    public let reason: String

    /// Builds a ban; a `reason` over `maxReasonBytes` UTF-8 bytes is cut to the longest prefix of whole characters
    /// that fits.
    public init(key: PublicKey, untilMilliseconds: UInt64, reason: String) {
        self.key = key
        self.untilMilliseconds = untilMilliseconds
        self.reason = Self.truncated(reason)
    }

    /// `true` when the ban still holds at `now` (milliseconds since the Unix epoch).
    public func isActive(now: UInt64) -> Bool {
        untilMilliseconds > now
    }

    private static func truncated(_ reason: String) -> String {
        guard reason.utf8.count > maxReasonBytes else { return reason }
        var kept = ""
        var keptBytes = 0
        for character in reason {
            let size = character.utf8.count
            guard keptBytes + size <= maxReasonBytes else { break }
            kept.append(character)
            keptBytes += size
        }
        return kept
    }
}

/// The layout of the `bans` database: key (32 bytes) → until (8, big-endian `UInt64` milliseconds) ‖ reason length
/// (1 byte, 0–255) ‖ reason UTF-8.
enum BanLayout {
    static func encodeValue(_ record: BanRecord) -> [UInt8] {
        let reason = Array(record.reason.utf8)
        precondition(reason.count <= BanRecord.maxReasonBytes, "BanRecord.init truncates the reason")
        var writer = ByteWriter(capacity: 8 + 1 + reason.count)
        writer.write(record.untilMilliseconds)
        writer.write(UInt8(reason.count))
        writer.write(bytes: reason)
        return writer.bytes
    }

    /// Reads an entry back, or `nil` when the key or value is malformed.
    static func decode(key: [UInt8], value: [UInt8]) -> BanRecord? {
        guard let publicKey = PublicKey(bytes: key) else { return nil }
        var reader = ByteReader(value)
        do {
            let until = try reader.readUInt64("until")
            let length = Int(try reader.readUInt8("reason length"))
            guard let reason = String(validating: try reader.readBytes(length, "reason"), as: UTF8.self) else {
                return nil
            }
            try reader.expectEnd()
            return BanRecord(key: publicKey, untilMilliseconds: until, reason: reason)
        } catch {
            return nil
        }
    }
}
