import CairnCore
import Testing

@Suite struct SignedBlobTests {
    @Test(arguments: TestVectors.blobs)
    func signingReproducesTheTestVector(_ vector: BlobVector) throws {
        let key = try SigningKey(seed: [UInt8](hex: vector.seed))
        #expect(key.publicKey.hex == vector.author)
        let blob = try SignedBlob.sign(
            key: key,
            channel: try ChannelName(vector.channel),
            seq: vector.seq,
            prev: BlobID(hex: vector.prev)!,
            timestamp: vector.timestamp,
            payload: [UInt8](hex: vector.payload)
        )
        #expect(Hex.encode(blob.encoding) == vector.encoding)
        #expect(blob.id.hex == vector.id)
    }

    @Test(arguments: TestVectors.blobs)
    func decodingTheTestVectorYieldsItsFields(_ vector: BlobVector) throws {
        let blob = try SignedBlob.decode([UInt8](hex: vector.encoding))
        #expect(blob.author.hex == vector.author)
        #expect(blob.channel.value == vector.channel)
        #expect(blob.seq == vector.seq)
        #expect(blob.prev.hex == vector.prev)
        #expect(blob.timestamp == vector.timestamp)
        #expect(Hex.encode(blob.payload) == vector.payload)
        #expect(blob.id.hex == vector.id)
    }

    @Test func roundTripPreservesEveryField() throws {
        let first = testBlob(payload: [])
        let second = testBlob(seq: 2, prev: first.id, timestamp: 42, payload: Array(repeating: 7, count: 4096))
        for blob in [first, second] {
            let decoded = try SignedBlob.decode(blob.encoding)
            #expect(decoded.encoding == blob.encoding)
            #expect(decoded.id == blob.id)
            #expect(Array(decoded.payload) == Array(blob.payload))
            #expect(decoded.prev == blob.prev)
        }
    }

    /// Flipping any single bit of the encoding must be rejected: either the structure breaks or the signature fails.
    @Test func everyFlippedBitIsRejected() {
        let blob = testBlob(channel: "ch", payload: Array("x".utf8))
        for index in blob.encoding.indices {
            for bit in 0..<8 {
                var bytes = blob.encoding
                bytes[index] ^= 1 << bit
                #expect(throws: CoreError.self, "byte \(index) bit \(bit)") { try SignedBlob.decode(bytes) }
            }
        }
    }

    @Test func tamperedFieldsGiveTypedErrors() {
        let blob = testBlob(channel: "main", payload: Array("hello".utf8))
        var bytes = blob.encoding
        bytes[0] = 2
        #expect(throws: CoreError.unsupportedVersion(2)) { try SignedBlob.decode(bytes) }

        bytes = blob.encoding
        bytes[1] ^= 0x01  // author
        #expect(throws: CoreError.badSignature) { try SignedBlob.decode(bytes) }

        bytes = blob.encoding
        bytes[33] = 0  // channel length
        #expect(throws: CoreError.invalidChannelName(reason: "empty")) { try SignedBlob.decode(bytes) }

        bytes = blob.encoding
        bytes[34] = 0xff  // channel byte: not UTF-8
        #expect(throws: CoreError.invalidChannelName(reason: "not valid UTF-8")) { try SignedBlob.decode(bytes) }

        bytes = blob.encoding
        bytes[34 + 4 + 7] = 0  // seq = 0
        #expect(throws: CoreError.invalidSeq(0)) { try SignedBlob.decode(bytes) }

        bytes = blob.encoding
        bytes[34 + 4 + 8] = 1  // prev non-zero for seq 1
        #expect(throws: CoreError.invalidPrev(seq: 1)) { try SignedBlob.decode(bytes) }

        bytes = blob.encoding
        bytes[34 + 4 + 8 + 32 + 7] ^= 1  // timestamp
        #expect(throws: CoreError.badSignature) { try SignedBlob.decode(bytes) }

        bytes = blob.encoding
        bytes[bytes.count - 66] ^= 1  // payload
        #expect(throws: CoreError.badSignature) { try SignedBlob.decode(bytes) }

        bytes = blob.encoding
        bytes[bytes.count - 1] ^= 1  // signature
        #expect(throws: CoreError.badSignature) { try SignedBlob.decode(bytes) }
    }

    @Test func trailingBytesAreRejected() {
        let blob = testBlob()
        #expect(throws: CoreError.trailingBytes(count: 1)) { try SignedBlob.decode(blob.encoding + [0]) }
    }

    @Test func everyTruncationIsRejected() {
        let blob = testBlob()
        for length in 0..<blob.encoding.count {
            #expect(throws: CoreError.self) { try SignedBlob.decode(Array(blob.encoding.prefix(length))) }
        }
    }

    @Test func payloadOverTheLimitIsRejectedBeforeReadingIt() {
        let blob = testBlob(payload: Array(repeating: 1, count: 1000))
        #expect(throws: CoreError.blobTooLarge(size: 1000, limit: 999)) {
            try SignedBlob.decode(blob.encoding, maxPayloadBytes: 999)
        }
    }

    /// Ed25519 signatures have a malleable twin (S + L); libsodium must refuse the non-canonical one.
    @Test func nonCanonicalSignatureIsRejected() {
        let blob = testBlob()
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let order: [UInt8] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ]
        var bytes = blob.encoding
        let sStart = bytes.count - 32
        var carry: UInt16 = 0
        for index in 0..<32 {
            let sum = UInt16(bytes[sStart + index]) + UInt16(order[index]) + carry
            bytes[sStart + index] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        #expect(throws: CoreError.badSignature) { try SignedBlob.decode(bytes) }
    }

    @Test func signingRejectsInvalidChains() {
        #expect(throws: CoreError.invalidSeq(0)) {
            try SignedBlob.sign(
                key: testKey(1),
                channel: try ChannelName("c"),
                seq: 0,
                prev: .zero,
                timestamp: 0,
                payload: []
            )
        }
        #expect(throws: CoreError.invalidPrev(seq: 2)) {
            try SignedBlob.sign(
                key: testKey(1),
                channel: try ChannelName("c"),
                seq: 2,
                prev: .zero,
                timestamp: 0,
                payload: []
            )
        }
    }
}
