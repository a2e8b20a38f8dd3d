import CairnCore

/// A file's path inside a tree (`Docs/PROTOCOL.md` §7.1): 1 to 4,096 bytes of well-formed UTF-8, relative,
/// `/`-separated, without empty, `.` or `..` components and without control characters. Paths compare byte by byte
/// (no Unicode normalisation), which is the order of a manifest.
public struct TreePath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The longest path in bytes.
    public static let maxBytes = 4096

    /// The path's UTF-8 bytes.
    public let bytes: [UInt8]

    /// Checks `bytes` against the path rules.
    /// - Throws: `TreePathError` saying which rule the bytes break.
    public init(validating bytes: [UInt8]) throws(TreePathError) {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= Self.maxBytes else { throw .tooLong(bytes: bytes.count, limit: Self.maxBytes) }
        if let control = text.unicodeScalars.first(where: Self.isControl) { throw .controlCharacter(control.value) }
        for component in bytes.split(separator: Self.separator, omittingEmptySubsequences: false) {
            guard !component.isEmpty else { throw .emptyComponent }
            if component.elementsEqual([Self.dot]) || component.elementsEqual([Self.dot, Self.dot]) {
                throw .dotComponent(String(decoding: component, as: UTF8.self))
            }
        }
        self.bytes = bytes
    }

    /// Checks a string's UTF-8 against the path rules.
    /// - Throws: `TreePathError` saying which rule the path breaks.
    public init(_ text: String) throws(TreePathError) {
        try self.init(validating: Array(text.utf8))
    }

    /// The path as text (it is valid UTF-8 by construction).
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (lhs: TreePath, rhs: TreePath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    static let separator = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")

    /// U+0000–U+001F and U+007F–U+009F, the rule of channel names (`Docs/PROTOCOL.md` §1.1).
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value <= 0x1f || (0x7f...0x9f).contains(scalar.value)
    }

    /// `bytes` for a message: valid UTF-8 as text, each byte of an invalid sequence and each control character as
    /// `\xNN`, so the name of a refused file prints on one line whatever it holds.
    public static func display(_ bytes: [UInt8]) -> String {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        var out = ""
        func escape(_ slice: ArraySlice<UInt8>) {
            for byte in slice {
                out += "\\x" + Hex.encode([byte])
            }
        }
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if isControl(scalar) {
                    escape(bytes[offset..<offset + encoded.count])
                } else {
                    out.unicodeScalars.append(scalar)
                }
                offset += encoded.count
            case .error(let length):
                escape(bytes[offset..<offset + length])
                offset += length
            case .emptyInput:
                return out
            }
        }
    }
}
