import CairnCore

/// A position in a channel listing, which runs in (seq, id) order, ids compared byte by byte.
///
/// Its text form (the API's `after` parameter and `next` field) is `SEQ` or `SEQ.ID`: `SEQ` a decimal seq without
/// sign or leading zeros ("0" for zero) at most `UInt64.max`, `ID` 64 lower-case hexadecimal digits.
public struct ChannelCursor: Sendable, Hashable, LosslessStringConvertible {
    /// The position before the first blob of every channel.
    public static let start = ChannelCursor(seq: 0)

    /// The seq the position is in.
    public let seq: UInt64
    /// `nil`: after every blob of `seq`; otherwise after the blob (`seq`, `id`) and before (`seq`, a greater id).
    /// The blob need not be stored.
    public let id: BlobID?

    /// The position after the blob (`seq`, `id`), or after every blob of `seq` when `id` is `nil`.
    public init(seq: UInt64, id: BlobID? = nil) {
        self.seq = seq
        self.id = id
    }

    /// Parses the text form; `nil` for anything else (a sign, a leading zero, upper-case hex, a seq above
    /// `UInt64.max`, an id of another length, spaces).
    public init?(_ description: String) {
        let utf8 = Array(description.utf8)
        let dot = utf8.firstIndex(of: UInt8(ascii: "."))
        let digits = utf8[..<(dot ?? utf8.endIndex)]
        guard !digits.isEmpty, digits.count <= 20,
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            digits.first != UInt8(ascii: "0") || digits.count == 1,
            let seq = UInt64(String(decoding: digits, as: UTF8.self))
        else { return nil }
        guard let dot else {
            self.init(seq: seq)
            return
        }
        let hex = utf8[(dot + 1)...]
        guard hex.count == 64,
            hex.allSatisfy({
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }),
            let id = BlobID(hex: String(decoding: hex, as: UTF8.self))
        else { return nil }
        self.init(seq: seq, id: id)
    }

    /// `SEQ` or `SEQ.ID`.
    public var description: String {
        guard let id else { return "\(seq)" }
        return "\(seq).\(id.hex)"
    }
}
