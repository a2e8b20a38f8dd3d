/// Which rule of `Docs/PROTOCOL.md` §7.1 a path breaks.
public enum TreePathError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes are not well-formed UTF-8 (overlong forms, surrogates and truncated sequences included).
    case notUTF8
    /// The path has no bytes.
    case empty
    /// The path is longer than `TreePath.maxBytes`.
    case tooLong(bytes: Int, limit: Int)
    /// The path holds a control character (U+0000–U+001F, U+007F–U+009F), given as its scalar value.
    case controlCharacter(UInt32)
    /// The path starts or ends with `/` or holds `//`.
    case emptyComponent
    /// The path has a `.` or `..` component.
    case dotComponent(String)

    public var description: String {
        switch self {
        case .notUTF8: "not valid UTF-8"
        case .empty: "empty"
        case .tooLong(let bytes, let limit): "\(bytes) bytes long, limit \(limit)"
        case .controlCharacter(let value): "holds the control character U+\(hex4(value))"
        case .emptyComponent: "starts or ends with '/' or holds '//'"
        case .dotComponent(let component): "has a '\(component)' component"
        }
    }

    private func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
