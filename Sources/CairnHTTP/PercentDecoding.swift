import CairnCore

/// Strict percent-decoding to bytes, so that the caller can insist on valid UTF-8 afterwards.
enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`); `nil` on a malformed escape.
    static func bytes(_ text: Substring, plusIsSpace: Bool = false) -> [UInt8]? {
        var out: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Hex.digitValue),
                    let low = iterator.next().flatMap(Hex.digitValue)
                else {
                    return nil
                }
                out.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                out.append(UInt8(ascii: " "))
            default:
                out.append(byte)
            }
        }
        return out
    }

    /// The raw bytes of query parameter `name`, decoded; `nil` when absent.
    static func queryParameter(_ name: String, in query: String) -> [UInt8]?? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first.map(String.init) == name else { continue }
            return .some(bytes(parts.count > 1 ? parts[1] : "", plusIsSpace: true))
        }
        return .none
    }
}
