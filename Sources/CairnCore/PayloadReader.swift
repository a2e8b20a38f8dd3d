/// `ByteReader` for a component's payloads: the same big-endian reads, failing with the component's own error type
/// (a plug-in's payload errors), which says which field ended early and how many bytes trail the last one.
public struct PayloadReader<Failure: Error>: Sendable {
    private var reader: ByteReader
    private let truncated: @Sendable (String) -> Failure
    private let trailing: @Sendable (Int) -> Failure

    /// A reader of `bytes` whose errors are made by `truncated` (a field ends early) and `trailing` (bytes follow
    /// the last field).
    public init(
        _ bytes: [UInt8],
        truncated: @escaping @Sendable (String) -> Failure,
        trailing: @escaping @Sendable (Int) -> Failure
    ) {
        reader = ByteReader(bytes)
        self.truncated = truncated
        self.trailing = trailing
    }

    /// Bytes not read yet.
    public var remaining: Int { reader.remaining }

    /// Reads one byte.
    public mutating func uint8(_ field: String) throws(Failure) -> UInt8 {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readUInt8(field) }
    }

    /// Reads a big-endian u16.
    public mutating func uint16(_ field: String) throws(Failure) -> UInt16 {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readUInt16(field) }
    }

    /// Reads a big-endian u32.
    public mutating func uint32(_ field: String) throws(Failure) -> UInt32 {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readUInt32(field) }
    }

    /// Reads a big-endian u64.
    public mutating func uint64(_ field: String) throws(Failure) -> UInt64 {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readUInt64(field) }
    }

    /// Reads `count` bytes.
    public mutating func bytes(_ count: Int, _ field: String) throws(Failure) -> [UInt8] {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.readBytes(count, field) }
    }

    /// Reads a 32-byte value.
    public mutating func read<Value: Bytes32>(_ type: Value.Type, _ field: String) throws(Failure) -> Value {
        try map(field) { (reader: inout ByteReader) throws(CoreError) in try reader.read(type, field) }
    }

    /// Fails when bytes follow the last field.
    public func expectEnd() throws(Failure) {
        guard reader.remaining == 0 else { throw trailing(reader.remaining) }
    }

    private mutating func map<T>(_ field: String, _ body: (inout ByteReader) throws(CoreError) -> T) throws(Failure)
        -> T
    {
        do {
            return try body(&reader)
        } catch {
            throw truncated(field)
        }
    }
}
