import CairnCore

/// Appends ranges to a V1 message, keeping the timestamp delta state the bound encoding needs. Starts with the
/// version byte.
struct NegentropyWriter {
    private(set) var bytes: [UInt8] = [NegentropyMessage.protocolVersion]
    private var lastTimestamp: UInt64 = 0

    /// A point the writer can return to, dropping what was appended after it.
    struct Checkpoint {
        fileprivate var count: Int
        fileprivate var lastTimestamp: UInt64
    }

    /// The number of bytes written, version byte included.
    var count: Int { bytes.count }

    /// `true` when nothing but the version byte has been written.
    var isEmpty: Bool { bytes.count == 1 }

    var checkpoint: Checkpoint { Checkpoint(count: bytes.count, lastTimestamp: lastTimestamp) }

    mutating func rollBack(to checkpoint: Checkpoint) {
        bytes.removeSubrange(checkpoint.count...)
        lastTimestamp = checkpoint.lastTimestamp
    }

    mutating func append(_ range: NegentropyRange) {
        switch range.payload {
        case .skip: appendSkip(upTo: range.upperBound)
        case .fingerprint(let fingerprint): appendFingerprint(fingerprint, upTo: range.upperBound)
        case .idList(let ids): appendIDList(ids, upTo: range.upperBound)
        }
    }

    mutating func appendSkip(upTo bound: NegentropyBound) {
        append(bound)
        appendVarint(NegentropyRange.Payload.skip.mode)
    }

    mutating func appendFingerprint(_ fingerprint: [UInt8], upTo bound: NegentropyBound) {
        precondition(fingerprint.count == NegentropyMessage.fingerprintBytes, "a fingerprint is 16 bytes")
        append(bound)
        appendVarint(NegentropyRange.Payload.fingerprint([]).mode)
        bytes.append(contentsOf: fingerprint)
    }

    mutating func appendIDList(_ ids: some Collection<BlobID>, upTo bound: NegentropyBound) {
        append(bound)
        appendVarint(NegentropyRange.Payload.idList([]).mode)
        appendVarint(UInt64(ids.count))
        bytes.reserveCapacity(bytes.count + ids.count * NegentropyMessage.idBytes)
        for id in ids { bytes.append(contentsOf: id.bytes) }
    }

    /// The most bytes one bound can take: a 10-byte timestamp varint, the length byte and a whole id.
    static let maxBoundBytes = 10 + 1 + NegentropyMessage.idBytes

    private mutating func append(_ bound: NegentropyBound) {
        if bound.isInfinity {
            appendVarint(0)
            lastTimestamp = .max
        } else {
            precondition(bound.timestamp >= lastTimestamp, "bounds ascend within a message")
            appendVarint(bound.timestamp - lastTimestamp + 1)
            lastTimestamp = bound.timestamp
        }
        appendVarint(UInt64(bound.idPrefix.count))
        bytes.append(contentsOf: bound.idPrefix)
    }

    private mutating func appendVarint(_ value: UInt64) {
        let significantBits = 64 - value.leadingZeroBitCount
        let digits = max(1, (significantBits + 6) / 7)
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let digit = UInt8(truncatingIfNeeded: value >> UInt64(index * 7)) & 0x7F
            bytes.append(index == 0 ? digit : digit | 0x80)
        }
    }
}
