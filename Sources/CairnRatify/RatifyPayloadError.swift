/// Why a ratification payload does not decode (each refusal names the field).
public enum RatifyPayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload ends inside a field.
    case truncated(field: String)
    /// Bytes follow the last field.
    case trailingBytes(count: Int)
    /// A version byte other than 1.
    case unsupportedVersion(UInt8)
    /// The payload names another network's genesis.
    case otherGenesis
    /// A count or length outside what the field allows.
    case countOutOfRange(field: String, count: Int, allowed: ClosedRange<Int>)
    /// A title that is not UTF-8.
    case invalidTitle
    /// A manifest part listed twice in one proposal.
    case duplicatePart(index: Int)
    /// A vote choice other than 0 (no) or 1 (yes).
    case invalidChoice(UInt8)
    /// A channel under `ratify/` that the plug-in does not define.
    case unknownChannel(String)

    public var description: String {
        switch self {
        case .truncated(let field): "the payload ends inside its \(field)"
        case .trailingBytes(let count): "\(count) bytes follow the end of the payload"
        case .unsupportedVersion(let version): "unsupported payload version \(version)"
        case .otherGenesis: "the payload names another network's genesis"
        case .countOutOfRange(let field, let count, let allowed):
            "\(field) is \(count), allowed \(allowed.lowerBound)...\(allowed.upperBound)"
        case .invalidTitle: "the title is not UTF-8"
        case .duplicatePart(let index): "manifest part \(index) is listed twice"
        case .invalidChoice(let choice): "vote choice \(choice): 0 is no, 1 is yes"
        case .unknownChannel(let channel): "\(channel) is not a ratification channel"
        }
    }
}
