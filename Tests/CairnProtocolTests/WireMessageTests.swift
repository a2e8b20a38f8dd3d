import CairnCore
import Testing

@testable import CairnProtocol

@Suite("WireMessage")
struct WireMessageTests {
    static let id1 = BlobID(unchecked: sequentialBytes(from: 0x10))
    static let id2 = BlobID(unchecked: sequentialBytes(from: 0xf0))

    static let samples: [WireMessage] = [
        .blob([1, 2, 3, 4]),
        .have([id1, id2]),
        .have([]),
        .want([id1]),
        .idontwant([id2, id1]),
        .peers([try! PeerAddress(host: "node.example", port: 7700), try! PeerAddress(host: "::1", port: 1)]),
        .peers([]),
        .ping(0x0102_0304_0506_0708),
        .pong(.max),
        .evidence([0xee, 0xff]),
        .goodbye(.duplicateConnection),
        .goodbye(GoodbyeReason(rawValue: 200)),
        .hello(listenPort: 7700),
        .syncRequest([0x61]),
        .syncResponse([0x61, 0x00, 0x00]),
    ]

    @Test(arguments: samples)
    func everyMessageRoundTrips(message: WireMessage) throws {
        let encoded = try message.encoded()
        #expect(encoded[0] == WireMessage.version)
        #expect(encoded[1] == message.type.rawValue)
        #expect(try WireMessage.decode(encoded) == message)
    }

    @Test func everyTypeHasASample() {
        #expect(Set(Self.samples.map(\.type.rawValue)) == Set(WireMessage.MessageType.allCases.map(\.rawValue)))
    }

    @Test func encodingsAreByteExact() throws {
        #expect(try WireMessage.ping(0x0102_0304_0506_0708).encoded() == [1, 6, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try WireMessage.goodbye(.tooManyPeers).encoded() == [1, 9, 3])
        #expect(try WireMessage.blob([0xab]).encoded() == [1, 1, 0, 0, 0, 1, 0xab])
        #expect(try WireMessage.want([Self.id1]).encoded() == [1, 3, 0, 1] + Self.id1.bytes)
        #expect(
            try WireMessage.peers([try PeerAddress(host: "a.b", port: 0x1e14)]).encoded() == [
                1, 5, 0, 1, 3, 0x61, 0x2e, 0x62, 0x1e, 0x14,
            ]
        )
    }

    @Test(arguments: samples)
    func everyTruncationFailsWithATypedError(message: WireMessage) throws {
        let encoded = try message.encoded()
        for length in 0..<encoded.count {
            #expect(throws: ProtocolError.self) { try WireMessage.decode(Array(encoded.prefix(length))) }
        }
    }

    @Test(arguments: samples)
    func trailingBytesAreRejected(message: WireMessage) throws {
        #expect(throws: ProtocolError.trailingBytes(count: 1)) { try WireMessage.decode(try message.encoded() + [0]) }
    }

    @Test func specificMalformationsGiveSpecificErrors() {
        #expect(throws: ProtocolError.emptyMessage) { try WireMessage.decode([]) }
        #expect(throws: ProtocolError.unsupportedVersion(2)) { try WireMessage.decode([2, 6]) }
        #expect(throws: ProtocolError.unknownMessageType(0x00)) { try WireMessage.decode([1, 0x00]) }
        #expect(throws: ProtocolError.unknownMessageType(0x0d)) { try WireMessage.decode([1, 0x0d]) }
        #expect(throws: ProtocolError.emptyPayload(field: "sync")) { try WireMessage.decode([1, 0x0b, 0, 0, 0, 0]) }
        #expect(throws: ProtocolError.syncTooLarge(size: 262_145, limit: 262_144)) {
            try WireMessage.decode([1, 0x0c, 0, 4, 0, 1])
        }
        #expect(throws: ProtocolError.truncated(field: "nonce")) { try WireMessage.decode([1, 6, 0]) }
        #expect(throws: ProtocolError.tooManyItems(count: 1_025, limit: 1_024)) {
            try WireMessage.decode([1, 2, 0x04, 0x01])
        }
        #expect(throws: ProtocolError.tooManyItems(count: 65, limit: 64)) { try WireMessage.decode([1, 5, 0, 65]) }
        #expect(throws: ProtocolError.truncated(field: "ids")) {
            try WireMessage.decode([1, 4, 0, 2] + Self.id1.bytes)
        }
        #expect(throws: ProtocolError.emptyPayload(field: "blob")) { try WireMessage.decode([1, 1, 0, 0, 0, 0]) }
        #expect(throws: ProtocolError.invalidHost([])) { try WireMessage.decode([1, 5, 0, 1, 0, 0x1e, 0x14]) }
        #expect(throws: ProtocolError.invalidHost([0x61, 0x20])) {
            try WireMessage.decode([1, 5, 0, 1, 2, 0x61, 0x20, 0x1e, 0x14])
        }
        #expect(throws: ProtocolError.invalidPort(0)) { try WireMessage.decode([1, 5, 0, 1, 1, 0x61, 0, 0]) }
    }

    @Test func oversizeBlobAndEvidenceAreRejectedBeforeReading() {
        let limits = WireMessage.Limits(maxBlobBytes: 8, maxEvidenceBytes: 16)
        #expect(throws: ProtocolError.blobTooLarge(size: 9, limit: 8)) {
            try WireMessage.decode([1, 1, 0, 0, 0, 9], limits: limits)
        }
        #expect(throws: ProtocolError.evidenceTooLarge(size: 0xffff_ffff, limit: 16)) {
            try WireMessage.decode([1, 8, 0xff, 0xff, 0xff, 0xff], limits: limits)
        }
    }

    @Test func overlongListsAreNotEncoded() {
        let ids = [BlobID](repeating: Self.id1, count: WireMessage.maxIDs + 1)
        #expect(throws: ProtocolError.tooManyItems(count: 1_025, limit: 1_024)) { try WireMessage.have(ids).encoded() }
        let address = try! PeerAddress(host: "h", port: 1)
        #expect(throws: ProtocolError.tooManyItems(count: 65, limit: 64)) {
            try WireMessage.peers([PeerAddress](repeating: address, count: 65)).encoded()
        }
        #expect(throws: ProtocolError.emptyPayload(field: "evidence")) { try WireMessage.evidence([]).encoded() }
    }

    @Test func maximalListsRoundTrip() throws {
        let ids = (0..<WireMessage.maxIDs).map { BlobID(unchecked: sequentialBytes(from: UInt8($0 % 256))) }
        let message = WireMessage.idontwant(ids)
        #expect(try message.encoded().count == 4 + 32 * WireMessage.maxIDs)
        #expect(try WireMessage.decode(try message.encoded()) == message)
    }

    @Test func peerAddressValidation() throws {
        #expect(throws: ProtocolError.invalidHost(Array("bad host".utf8))) {
            try PeerAddress(host: "bad host", port: 1)
        }
        #expect(throws: ProtocolError.invalidPort(0)) { try PeerAddress(host: "ok", port: 0) }
        #expect(throws: ProtocolError.self) { try PeerAddress(host: String(repeating: "a", count: 256), port: 1) }
        #expect(try PeerAddress(host: "::1", port: 7700).description == "[::1]:7700")
    }

    /// Any bytes either decode to a message whose encoding is exactly those bytes (there is one encoding of each
    /// message) or are refused with a `ProtocolError`. Inputs are random bytes and mutations of the samples
    /// (flipped, truncated, extended), so that both outcomes are exercised. Crashes on arbitrary input are the fuzz
    /// target's job (Fuzz/); this checks what decoding answers.
    @Test func anyBytesDecodeCanonicallyOrAreRefused() throws {
        var generator = SeededGenerator(seed: 2024)
        let encodings = try Self.samples.map { try $0.encoded() }
        var decoded = 0
        var refused = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round.isMultiple(of: 2) {
                let count = Int.random(in: 0...48, using: &generator)
                bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if bytes.count >= 2 {
                    bytes[0] = WireMessage.version
                    bytes[1] = UInt8.random(in: 0...13, using: &generator)
                }
            } else {
                bytes = encodings.randomElement(using: &generator)!
                switch Int.random(in: 0..<4, using: &generator) {
                case 0:
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^=
                        1 << UInt8.random(in: 0..<8, using: &generator)
                case 1: bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
                case 2: bytes.append(UInt8.random(in: 0...255, using: &generator))
                default: break
                }
            }
            let result = Result { () throws(ProtocolError) in try WireMessage.decode(bytes) }
            switch result {
            case .success(let message):
                decoded += 1
                #expect(try message.encoded() == bytes, "\(message) decoded from bytes that are not its encoding")
            case .failure:
                refused += 1
            }
        }
        #expect(decoded > 1000 && refused > 1000, "decoded \(decoded), refused \(refused): one outcome went untested")
    }
}
