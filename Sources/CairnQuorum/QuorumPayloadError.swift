import CairnCore

/// Why bytes are not a well-formed quorum payload. Each error carries the offending field or value.
public struct QuorumPayloadError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case truncated(field: String)
        case trailingBytes(count: Int)
        case unsupportedVersion(UInt8)
        case otherGenesis(GenesisHash)
        case unknownChannel(String)
        case countOutOfRange(field: String, count: Int, allowed: ClosedRange<Int>)
        case notAscending(field: String, index: Int)
        case invalidFlag(field: String, value: UInt8)
        case zeroHeight
        case tooLarge(field: String, size: Int, limit: Int)
    }

    private let base: Base

    /// The payload ended before `field` was complete.
    public static func truncated(field: String) -> QuorumPayloadError { .init(base: .truncated(field: field)) }
    /// Bytes remain after a complete payload.
    public static func trailingBytes(count: Int) -> QuorumPayloadError { .init(base: .trailingBytes(count: count)) }
    /// The version byte is not one this implementation reads.
    public static func unsupportedVersion(_ version: UInt8) -> QuorumPayloadError {
        .init(base: .unsupportedVersion(version))
    }
    /// The payload names another network's genesis.
    public static func otherGenesis(_ hash: GenesisHash) -> QuorumPayloadError { .init(base: .otherGenesis(hash)) }
    /// A channel under `quorum/` that the quorum does not define.
    public static func unknownChannel(_ name: String) -> QuorumPayloadError { .init(base: .unknownChannel(name)) }
    /// A list holds more or fewer entries than its field allows.
    public static func countOutOfRange(field: String, count: Int, allowed: ClosedRange<Int>) -> QuorumPayloadError {
        .init(base: .countOutOfRange(field: field, count: count, allowed: allowed))
    }
    /// A list is not in strictly ascending byte order (so it is either out of order or holds a duplicate).
    public static func notAscending(field: String, index: Int) -> QuorumPayloadError {
        .init(base: .notAscending(field: field, index: index))
    }
    /// A flag byte holds a value other than 0 or 1.
    public static func invalidFlag(field: String, value: UInt8) -> QuorumPayloadError {
        .init(base: .invalidFlag(field: field, value: value))
    }
    /// A signature or block for height 0, which no epoch holds.
    public static let zeroHeight = QuorumPayloadError(base: .zeroHeight)
    /// A variable-length field longer than its limit.
    public static func tooLarge(field: String, size: Int, limit: Int) -> QuorumPayloadError {
        .init(base: .tooLarge(field: field, size: size, limit: limit))
    }

    public var description: String {
        switch base {
        case .truncated(let field): "quorum payload truncated in \(field)"
        case .trailingBytes(let count): "quorum payload has \(count) trailing bytes"
        case .unsupportedVersion(let version): "unsupported quorum payload version \(version)"
        case .otherGenesis(let hash): "quorum payload of another genesis \(hash.hex.prefix(16))"
        case .unknownChannel(let name): "the quorum defines no channel \(name)"
        case .countOutOfRange(let field, let count, let allowed):
            "\(field): \(count) entries, allowed \(allowed.lowerBound)...\(allowed.upperBound)"
        case .notAscending(let field, let index): "\(field)[\(index)] is not above the entry before it"
        case .invalidFlag(let field, let value): "\(field) is \(value), not 0 or 1"
        case .zeroHeight: "height 0 does not exist"
        case .tooLarge(let field, let size, let limit): "\(field): \(size) bytes, limit \(limit)"
        }
    }
}
