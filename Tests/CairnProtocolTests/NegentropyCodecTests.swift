import CairnCore
import Testing

@testable import CairnProtocol

@Suite("Negentropy codec")
struct NegentropyCodecTests {
    /// Varints from the V1 rules (base 128, most significant digit first), checked with Python.
    static let varints: [(UInt64, String)] = [
        (0, "00"), (1, "01"), (127, "7f"), (128, "8100"), (255, "817f"), (300, "822c"), (16383, "ff7f"),
        (16384, "818000"), (1 << 32, "9080808000"), (.max, "81ffffffffffffffff7f"),
    ]

    @Test func syncVarintEncodesMostSignificantDigitFirst() throws {
        for (value, expected) in Self.varints {
            #expect(hex(SyncVarint.encode(value)) == expected)
            var offset = 0
            #expect(try SyncVarint.decode(bytes(hex: expected), offset: &offset) == value)
            #expect(offset == expected.count / 2)
        }
    }

    @Test func syncVarintRejectsNonMinimalAndOverlongInput() {
        var offset = 0
        #expect(throws: CoreError.self) { try SyncVarint.decode([0x80, 0x01], offset: &offset) }
        offset = 0
        #expect(throws: CoreError.self) {
            try SyncVarint.decode([0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], offset: &offset)
        }
        offset = 0
        #expect(throws: CoreError.truncated(field: "varint")) { try SyncVarint.decode([0x81], offset: &offset) }
    }

    @Test func writerVarintsMatchSyncVarint() throws {
        for (value, _) in Self.varints where value < .max - 1 {
            // A Skip range at timestamp `value`, the first bound of its message, encodes it as 1 + value.
            let message = NegentropyMessage(ranges: [
                NegentropyRange(upperBound: .init(timestamp: value), payload: .skip)
            ])
            #expect(hex(message.encoded()) == "61" + hex(SyncVarint.encode(value + 1)) + "0000")
        }
    }

    @Test func boundsEncodeTimestampDeltasAndPrefixes() throws {
        let message = NegentropyMessage(ranges: [
            NegentropyRange(upperBound: NegentropyBound(timestamp: 1000), payload: .skip),
            NegentropyRange(upperBound: NegentropyBound(timestamp: 1000, idPrefix: [0xab, 0xcd]), payload: .skip),
            NegentropyRange(upperBound: NegentropyBound(timestamp: 1130), payload: .idList([])),
            NegentropyRange(upperBound: .infinity, payload: .fingerprint([UInt8](repeating: 0x11, count: 16))),
        ])
        // 1000 → 1 + 1000 = 0x87 0x69; the same second again → 1 + 0 = 01 with 2 prefix bytes; 130 seconds later →
        // 1 + 130 = 0x81 0x03; infinity → 00.
        let expected = "61 8769 00 00  01 02abcd 00  8103 00 02 00  00 00 01 11111111111111111111111111111111"
        #expect(message.encoded() == bytes(hex: expected))
        #expect(try NegentropyMessage(decoding: bytes(hex: expected)) == message)
    }

    @Test func minimalBoundsSeparateNeighbours() {
        let a = SyncItem(timestamp: 7, id: negentropyID(0x10, 0x20, 0x30))
        let b = SyncItem(timestamp: 7, id: negentropyID(0x10, 0x20, 0x31))
        let c = SyncItem(timestamp: 9, id: negentropyID(0x00))
        #expect(
            NegentropyBound.minimal(between: a, and: b) == NegentropyBound(timestamp: 7, idPrefix: [0x10, 0x20, 0x31])
        )
        #expect(NegentropyBound.minimal(between: b, and: c) == NegentropyBound(timestamp: 9))
        var last = [UInt8](repeating: 5, count: 32)
        let d = SyncItem(timestamp: 1, id: BlobID(unchecked: last))
        last[31] = 6
        let e = SyncItem(timestamp: 1, id: BlobID(unchecked: last))
        #expect(NegentropyBound.minimal(between: d, and: e).idPrefix == last)
        #expect(NegentropyBound.minimal(between: a, and: b).item > a)
        #expect(NegentropyBound.minimal(between: a, and: b).item <= b)
    }

    @Test(arguments: 0..<200)
    func randomMessagesRoundTrip(seed: Int) throws {
        var generator = SeededRandom(seed: UInt64(seed))
        var bounds: [NegentropyBound] = (0..<generator.below(20)).map { _ in
            let id = randomID(&generator).bytes
            return NegentropyBound(
                timestamp: UInt64(generator.below(5_000)),
                idPrefix: Array(id.prefix(generator.below(33)))
            )
        }
        bounds.sort { $0.item < $1.item }
        if generator.below(2) == 0 { bounds.append(.infinity) }
        let ranges = bounds.map { bound -> NegentropyRange in
            switch generator.below(3) {
            case 0: return NegentropyRange(upperBound: bound, payload: .skip)
            case 1:
                let fingerprint = (0..<16).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                return NegentropyRange(upperBound: bound, payload: .fingerprint(fingerprint))
            default:
                let ids = (0..<generator.below(4)).map { _ in randomID(&generator) }
                return NegentropyRange(upperBound: bound, payload: .idList(ids))
            }
        }
        let message = NegentropyMessage(ranges: ranges)
        let encoded = message.encoded()
        #expect(try NegentropyMessage(decoding: encoded) == message)
        #expect(try NegentropyMessage(decoding: encoded).encoded() == encoded)
    }

    static let malformed: [(String, NegentropyError)] = [
        ("", .emptyMessage),
        ("62", .unsupportedVersion(0x62)),
        ("61 80", .nonMinimalVarint),
        ("61 ffffffffffffffffff7f", .varintOverflow),
        ("61 01", .truncated(field: "id prefix length")),
        ("61 01 00", .truncated(field: "mode")),
        ("61 01 21", .idPrefixTooLong(length: 33)),
        ("61 01 02 ab", .truncated(field: "id prefix")),
        ("61 01 00 03", .unknownMode(3)),
        ("61 01 00 01 0011223344", .truncated(field: "fingerprint")),
        ("61 01 00 02 8fffffffff7f", .idListTooLong(count: 0x7F_FFFF_FFFF, remainingBytes: 0)),
        ("61 01 00 02 02" + String(repeating: "aa", count: 63), .idListTooLong(count: 2, remainingBytes: 63)),
        ("61 00 01 aa 00", .infinityWithIDPrefix(length: 1)),
        ("61 00 00 00  01 00 00", .timestampOverflow(previous: .max, delta: 0)),
        ("61 0b 00 00  81ffffffffffffffff7f 00 00", .timestampOverflow(previous: 10, delta: .max - 1)),
        (
            "61 06 01 10 00  01 00 00",
            .boundOutOfOrder(
                previous: SyncItem(timestamp: 5, id: negentropyID(0x10)),
                bound: SyncItem(timestamp: 5, id: .zero)
            )
        ),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedMessagesThrowWhatIsWrong(index: Int) {
        let (text, error) = Self.malformed[index]
        #expect(throws: error) { try NegentropyMessage(decoding: bytes(hex: text)) }
    }

    @Test func equalBoundsAreAnEmptyRange() throws {
        // The reference implementations can close a frame-limited message with a second infinity range.
        let message = try NegentropyMessage(decoding: bytes(hex: "61 00 00 00  00 00 00"))
        #expect(message.ranges.count == 2)
    }
}
