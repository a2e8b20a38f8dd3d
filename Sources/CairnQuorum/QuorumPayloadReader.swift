import CairnCore

/// `PayloadReader` for quorum payloads: failing with `QuorumPayloadError`, plus the header every quorum payload starts
/// with and the bounded, strictly ascending lists they hold.
typealias QuorumPayloadReader = PayloadReader<QuorumPayloadError>

extension PayloadReader where Failure == QuorumPayloadError {
    init(_ bytes: [UInt8]) {
        self.init(bytes, truncated: { .truncated(field: $0) }, trailing: { .trailingBytes(count: $0) })
    }

    /// Reads the genesis hash and checks the version byte.
    mutating func header(version: UInt8) throws(QuorumPayloadError) -> GenesisHash {
        let genesis = try read(GenesisHash.self, "genesis hash")
        let found = try uint8("version")
        guard found == version else { throw .unsupportedVersion(found) }
        return genesis
    }

    /// A count already read, checked against `allowed` before anything is allocated for it.
    static func check(count: Int, _ field: String, allowed: ClosedRange<Int>) throws(QuorumPayloadError) {
        guard allowed.contains(count) else { throw .countOutOfRange(field: field, count: count, allowed: allowed) }
    }

    /// `count` 32-byte values in strictly ascending order.
    mutating func ascending<Value: Bytes32>(_ type: Value.Type, count: Int, _ field: String)
        throws(QuorumPayloadError) -> [Value]
    {
        guard remaining >= count * 32 else { throw .truncated(field: field) }
        var values: [Value] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            let value = try read(type, field)
            if let last = values.last, !(last < value) { throw .notAscending(field: field, index: index) }
            values.append(value)
        }
        return values
    }
}

extension ByteWriter {
    /// Writes the header every quorum payload starts with: the genesis hash, then the version byte.
    mutating func writeQuorumHeader(genesis: GenesisHash, version: UInt8) {
        write(genesis)
        write(version)
    }
}

extension Array where Element: Bytes32 {
    /// Whether the values are in strictly ascending order (sorted, no duplicates): the canonical order of lists.
    var isStrictlyAscending: Bool {
        zip(self, dropFirst()).allSatisfy { $0 < $1 }
    }
}
