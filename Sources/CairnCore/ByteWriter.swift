/// Appends big-endian fixed-width integers and raw bytes to a buffer.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Starts an empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func write(_ value: UInt8) { bytes.append(value) }

    /// Appends a big-endian `UInt16`.
    public mutating func write(_ value: UInt16) { writeBigEndian(value) }

    /// Appends a big-endian `UInt32`.
    public mutating func write(_ value: UInt32) { writeBigEndian(value) }

    /// Appends a big-endian `UInt64`.
    public mutating func write(_ value: UInt64) { writeBigEndian(value) }

    /// Appends raw bytes.
    public mutating func write<Bytes: Sequence>(bytes more: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: more)
    }

    /// Appends a 32-byte value without an intermediate array.
    public mutating func write(_ value: some Bytes32) {
        value.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    private mutating func writeBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads big-endian fixed-width integers and raw bytes from a buffer, failing with `CoreError.truncated`.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    /// The index of the next unread byte.
    public private(set) var offset: Int

    /// Reads `bytes` from the start.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    /// The number of bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    /// Reads one byte.
    public mutating func readUInt8(_ field: String) throws(CoreError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(field: field) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a big-endian `UInt16`.
    public mutating func readUInt16(_ field: String) throws(CoreError) -> UInt16 { try readBigEndian(field) }

    /// Reads a big-endian `UInt32`.
    public mutating func readUInt32(_ field: String) throws(CoreError) -> UInt32 { try readBigEndian(field) }

    /// Reads a big-endian `UInt64`.
    public mutating func readUInt64(_ field: String) throws(CoreError) -> UInt64 { try readBigEndian(field) }

    /// Reads `count` raw bytes.
    public mutating func readBytes(_ count: Int, _ field: String) throws(CoreError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated(field: field) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a 32-byte value without an intermediate array.
    public mutating func read<Value: Bytes32>(_ type: Value.Type, _ field: String) throws(CoreError) -> Value {
        guard remaining >= 32 else { throw .truncated(field: field) }
        defer { offset += 32 }
        return bytes.withUnsafeBytes {
            Value(words: Words32(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 32])))
        }
    }

    /// Fails with `CoreError.trailingBytes` unless every byte was read.
    public func expectEnd() throws(CoreError) {
        guard remaining == 0 else { throw .trailingBytes(count: remaining) }
    }

    private mutating func readBigEndian<T: FixedWidthInteger>(_ field: String) throws(CoreError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(field: field) }
        var value: T = 0
        for index in offset..<offset + size {
            value = value << 8 | T(bytes[index])
        }
        offset += size
        return value
    }
}
