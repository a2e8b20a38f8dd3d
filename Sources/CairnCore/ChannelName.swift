/// A channel name: 1 to 64 bytes of UTF-8 with no control characters.
public struct ChannelName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The longest name, in UTF-8 bytes.
    public static let maxBytes = 64

    /// The name as text.
    public let value: String
    /// The name's UTF-8 bytes, as encoded on the wire.
    public var utf8: [UInt8] { Array(value.utf8) }

    /// Validates a name given as text.
    /// - Throws: `CoreError.invalidChannelName` when it is empty, too long or holds a control character.
    public init(_ value: String) throws(CoreError) {
        let count = value.utf8.count
        guard count > 0 else { throw .invalidChannelName(reason: "empty") }
        guard count <= Self.maxBytes else {
            throw .invalidChannelName(reason: "\(count) bytes, limit \(Self.maxBytes)")
        }
        if let scalar = value.unicodeScalars.first(where: Self.isControl) {
            throw .invalidChannelName(reason: "control character U+\(String(scalar.value, radix: 16, uppercase: true))")
        }
        self.value = value
    }

    /// Validates a name given as bytes; they must be well-formed UTF-8.
    /// - Throws: `CoreError.invalidChannelName` when the bytes are not UTF-8 or the text is not a valid name.
    public init(utf8 bytes: [UInt8]) throws(CoreError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidChannelName(reason: "not valid UTF-8")
        }
        try self.init(text)
    }

    public var description: String { value }

    public static func < (lhs: ChannelName, rhs: ChannelName) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }
}
