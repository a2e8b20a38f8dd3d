/// Why a configuration file or value was refused.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The text is not valid TOML.
    case syntax(line: Int, column: Int, message: String)
    /// A key the configuration does not know, e.g. a typo.
    case unknownKey(String)
    /// A key whose value is out of range or malformed; `value` is as written (strings quoted).
    case invalidValue(key: String, value: String, reason: String)
    /// A key whose value is of the wrong TOML type, e.g. a number where a string belongs.
    case wrongType(key: String, expected: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read configuration \(path): \(reason)"
        case .syntax(let line, let column, let message):
            "configuration syntax error at line \(line), column \(column): \(message)"
        case .unknownKey(let key): "unknown configuration key '\(key)'"
        case .invalidValue(let key, let value, let reason): "invalid value \(value) for '\(key)': \(reason)"
        case .wrongType(let key, let expected): "'\(key)' must be \(expected)"
        }
    }
}
