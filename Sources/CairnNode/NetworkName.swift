/// The rule for a network (mesh) name, `node.network` and `cairn init --network`: 1 to 64 bytes of UTF-8 without
/// control characters (the rule of a channel name, with the genesis file's limit). Quotes, backslashes, spaces and
/// other Unicode are fine: `cairn init` escapes the name when it writes `cairn.toml`.
public enum NetworkName {
    /// The longest name, in UTF-8 bytes (the genesis file's limit).
    public static let maxBytes = 64

    /// What a valid name is, for error messages.
    public static let rule = "1 to \(maxBytes) bytes of UTF-8 without control characters"

    /// Whether `name` follows the rule.
    public static func isValid(_ name: String) -> Bool {
        (1...maxBytes).contains(name.utf8.count)
            && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

}
