/// Why a genesis file was refused. Each error names the key it is about (a dotted path such as `stake.<hex>` or
/// `initial_quorum[2]`) and prints as one line.
public struct GenesisError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case unreadable(path: String, reason: String)
        case syntax(line: Int, column: Int, message: String)
        case unknownKey(String)
        case missingKey(String)
        case wrongType(key: String, expected: String)
        case invalidValue(key: String, value: String, reason: String)
    }

    private let base: Base

    /// The file could not be read.
    public static func unreadable(path: String, reason: String) -> GenesisError {
        GenesisError(base: .unreadable(path: path, reason: reason))
    }
    /// The text is not valid TOML.
    public static func syntax(line: Int, column: Int, message: String) -> GenesisError {
        GenesisError(base: .syntax(line: line, column: column, message: message))
    }
    /// A key the genesis format does not know, e.g. a typo.
    public static func unknownKey(_ key: String) -> GenesisError { GenesisError(base: .unknownKey(key)) }
    /// A required key is absent.
    public static func missingKey(_ key: String) -> GenesisError { GenesisError(base: .missingKey(key)) }
    /// A value of the wrong TOML type.
    public static func wrongType(key: String, expected: String) -> GenesisError {
        GenesisError(base: .wrongType(key: key, expected: expected))
    }
    /// A value of the right type that the key does not allow: bad hex, zero stake, a duplicate, out of range.
    public static func invalidValue(key: String, value: String, reason: String) -> GenesisError {
        GenesisError(base: .invalidValue(key: key, value: value, reason: reason))
    }

    /// The key the error is about, when it is about one.
    public var key: String? {
        switch base {
        case .unreadable, .syntax: nil
        case .unknownKey(let key), .missingKey(let key): key
        case .wrongType(let key, _), .invalidValue(let key, _, _): key
        }
    }

    public var description: String {
        switch base {
        case .unreadable(let path, let reason): "cannot read genesis \(path): \(reason)"
        case .syntax(let line, let column, let message):
            "genesis syntax error at line \(line), column \(column): \(message)"
        case .unknownKey(let key): "unknown genesis key '\(key)'"
        case .missingKey(let key): "missing genesis key '\(key)'"
        case .wrongType(let key, let expected): "genesis key '\(key)' must be \(expected)"
        case .invalidValue(let key, let value, let reason): "invalid value \(value) for genesis key '\(key)': \(reason)"
        }
    }
}
