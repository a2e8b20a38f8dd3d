/// Makes metric and label names that libraries choose (`hb.requests`, `http.route`) valid Prometheus names.
public enum PrometheusNames {
    /// Replaces every character outside `[a-zA-Z0-9_:]` with `_` in the name and the label names.
    @Sendable public static func sanitize(_ name: String, _ labels: [(String, String)]) -> (String, [(String, String)])
    {
        (clean(name), labels.map { (clean($0.0), $0.1) })
    }

    private static func clean(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") ? $0 : "_" })
    }
}
