/// A fuzz input read front to back: bytes, small integers and chunks that steer a target. Reading past the end
/// gives zeros and empty arrays, so every input is valid.
public struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    /// Wraps the bytes libFuzzer passed.
    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Wraps bytes.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// `true` once every byte was read.
    public var isAtEnd: Bool { offset >= bytes.count }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    /// The next byte, or zero at the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next two bytes, big-endian.
    public mutating func uint16() -> Int { Int(byte()) << 8 | Int(byte()) }

    /// Up to `count` next bytes.
    public mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, offset + max(0, count))
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] { take(remaining) }

    /// Length-prefixed pieces (one length byte each) until the input ends: plaintexts, messages.
    public mutating func pieces(limit: Int) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        while !isAtEnd, pieces.count < limit { pieces.append(take(Int(byte()))) }
        return pieces
    }

    /// Splits `stream` into consecutive chunks whose sizes the input chooses (1–64 bytes, the rest when it ends):
    /// how a transport may deliver bytes.
    public mutating func chunks(of stream: [UInt8]) -> [ArraySlice<UInt8>] {
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < stream.count {
            let size = isAtEnd ? stream.count - start : Int(byte() % 64) + 1
            let end = min(stream.count, start + size)
            chunks.append(stream[start..<end])
            start = end
        }
        return chunks
    }
}

/// Stops the fuzzer with a message when an invariant does not hold (a crash libFuzzer records, in any build).
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

/// `true` for one input in `rate`, chosen by the bytes (the same input always gets the same answer): for checks as
/// costly as a signature verification, which would otherwise bound a decoder target's inputs per second.
public func fuzzSampled(_ bytes: [UInt8], oneIn rate: UInt8) -> Bool {
    bytes.reduce(UInt8(0), &+) % rate == 0
}
