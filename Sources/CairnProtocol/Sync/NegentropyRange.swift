import CairnCore

/// One range of a Negentropy message: everything from the previous range's upper bound (or the start of the
/// timestamp/id space) up to, but excluding, `upperBound`, and what the sender says about it.
public struct NegentropyRange: Hashable, Sendable {
    /// What a range says about the sender's items in it.
    public enum Payload: Hashable, Sendable {
        /// Mode 0: the sender does not want to process this range further.
        case skip
        /// Mode 1: the 16-byte fingerprint of the sender's ids in the range.
        case fingerprint([UInt8])
        /// Mode 2: every id the sender has in the range, in item order.
        case idList([BlobID])

        /// The mode varint that introduces this payload.
        public var mode: UInt64 {
            switch self {
            case .skip: return 0
            case .fingerprint: return 1
            case .idList: return 2
            }
        }
    }

    /// The exclusive upper end of the range.
    public var upperBound: NegentropyBound
    /// The sender's statement about the range.
    public var payload: Payload

    /// A range up to `upperBound` carrying `payload` (a fingerprint must be 16 bytes).
    public init(upperBound: NegentropyBound, payload: Payload) {
        if case .fingerprint(let bytes) = payload {
            precondition(bytes.count == NegentropyMessage.fingerprintBytes, "a fingerprint is 16 bytes")
        }
        self.upperBound = upperBound
        self.payload = payload
    }
}
