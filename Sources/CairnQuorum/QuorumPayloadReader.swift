import CairnCore

/// `ByteReader` for quorum payloads: the same big-endian reads, failing with `QuorumPayloadError`, plus the header
/// every quorum payload starts with and the bounded, strictly ascending lists they hold.
struct QuorumPayloadReader {
    private var reader: ByteReader

    init(_ bytes: [UInt8]) { reader = ByteReader(bytes) }

    /// Reads the genesis hash and checks the version byte.
    mutating func header(version: UInt8) throws(QuorumPayloadError) -> GenesisHash {
        let genesis = try read(GenesisHash.self, "genesis hash")
        let found = try uint8("version")
        guard found == version else { throw .unsupportedVersion(found) }
        return genesis
    }

    mutating func uint8(_ field: String) throws(QuorumPayloadError) -> UInt8 {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readUInt8(field) }
    }

    mutating func uint32(_ field: String) throws(QuorumPayloadError) -> UInt32 {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readUInt32(field) }
    }

    mutating func uint64(_ field: String) throws(QuorumPayloadError) -> UInt64 {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readUInt64(field) }
    }

    mutating func bytes(_ count: Int, _ field: String) throws(QuorumPayloadError) -> [UInt8] {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readBytes(count, field) }
    }

    mutating func read<Value: Bytes32>(_ type: Value.Type, _ field: String) throws(QuorumPayloadError) -> Value {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.read(type, field) }
    }

    /// A count already read, checked against `allowed` before anything is allocated for it.
    static func check(count: Int, _ field: String, allowed: ClosedRange<Int>) throws(QuorumPayloadError) {
        guard allowed.contains(count) else { throw .countOutOfRange(field: field, count: count, allowed: allowed) }
    }

    /// `count` 32-byte values in strictly ascending order.
    mutating func ascending<Value: Bytes32>(_ type: Value.Type, count: Int, _ field: String)
        throws(QuorumPayloadError) -> [Value]
    {
        guard reader.remaining >= count * 32 else { throw .truncated(field: field) }
        var values: [Value] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            let value = try read(type, field)
            if let last = values.last, !(last < value) { throw .notAscending(field: field, index: index) }
            values.append(value)
        }
        return values
    }

    func expectEnd() throws(QuorumPayloadError) {
        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
    }

    private mutating func map<T>(_ field: String, _ body: (inout ByteReader) throws(CoreError) -> T)
        throws(QuorumPayloadError) -> T
    {
        do {
            return try body(&reader)
        } catch {
            throw .truncated(field: field)
        }
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
