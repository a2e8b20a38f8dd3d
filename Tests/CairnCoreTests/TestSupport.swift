import CairnCore

/// A deterministic key whose 32-byte seed repeats `byte`.
func testKey(_ byte: UInt8) -> SigningKey {
    try! SigningKey(seed: [UInt8](repeating: byte, count: 32))
}

/// Signs a blob with test defaults.
func testBlob(
    key: SigningKey = testKey(1),
    channel: String = "main",
    seq: UInt64 = 1,
    prev: BlobID = .zero,
    timestamp: UInt64 = 1_700_000_000_000,
    payload: [UInt8] = Array("payload".utf8)
) -> SignedBlob {
    try! SignedBlob.sign(
        key: key,
        channel: try! ChannelName(channel),
        seq: seq,
        prev: prev,
        timestamp: timestamp,
        payload: payload
    )
}

extension [UInt8] {
    /// Decodes hex that the test itself wrote.
    init(hex: String) { self = Hex.decode(hex)! }
}
