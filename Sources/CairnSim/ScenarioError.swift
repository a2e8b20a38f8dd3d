/// Why a scenario file was refused; each case names the key (a dotted path such as `links.latency_ms` or
/// `hostile[1].kind`) and prints as one line.
enum ScenarioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The text is not valid TOML.
    case syntax(line: Int, column: Int, message: String)
    /// A key the scenario format does not know, e.g. a typo.
    case unknownKey(String)
    /// A required key is absent.
    case missingKey(String)
    /// A value of the wrong TOML type.
    case wrongType(key: String, expected: String, found: String)
    /// A value of the right type outside what the key allows.
    case invalidValue(key: String, value: String, reason: String)

    /// The key the error is about, when it is about one.
    var key: String? {
        switch self {
        case .unreadable, .syntax: nil
        case .unknownKey(let key), .missingKey(let key): key
        case .wrongType(let key, _, _), .invalidValue(let key, _, _): key
        }
    }

    var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read scenario \(path): \(reason)"
        case .syntax(let line, let column, let message):
            "scenario syntax error at line \(line), column \(column): \(message)"
        case .unknownKey(let key): "unknown scenario key '\(key)'"
        case .missingKey(let key): "missing scenario key '\(key)'"
        case .wrongType(let key, let expected, let found): "scenario key '\(key)' must be \(expected), not \(found)"
        case .invalidValue(let key, let value, let reason):
            "invalid value \(value) for scenario key '\(key)': \(reason)"
        }
    }
}
