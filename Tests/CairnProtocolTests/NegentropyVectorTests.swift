import CairnCore
import Testing

@testable import CairnProtocol

/// Hand-derived vectors: fingerprints computed independently with Python's hashlib, whole exchanges written out
/// from the V1 rules (and Docs/PROTOCOL.md §6), checked against what hoytech/negentropy's responder does.
@Suite("Negentropy vectors")
struct NegentropyVectorTests {
    static func fingerprint(_ ids: [BlobID]) -> String {
        var accumulator = SyncAccumulator()
        for id in ids { accumulator.add(id) }
        return hex(accumulator.fingerprint)
    }

    @Test func fingerprintOfTheEmptySet() {
        // SHA-256 of 32 zero bytes and the varint 0, first 16 bytes.
        #expect(Self.fingerprint([]) == "7f9c9e31ac8256ca2f258583df262dbc")
    }

    @Test func fingerprintSumsWrapModulo2To256() {
        // 0xff…ff + 1 (little-endian) wraps to 0; the count is 2.
        #expect(Self.fingerprint([repeatedID(0xff), negentropyID(0x01)]) == "58cc2f44d3a27866874701fbad573da9")
    }

    @Test func fingerprintOfKnownSets() {
        let pair = [BlobID(unchecked: sequentialBytes(from: 0x00)), BlobID(unchecked: sequentialBytes(from: 0x20))]
        #expect(Self.fingerprint(pair) == "a87341b5f3798e4bf9e894fa5363d901")
        // 300 ids: the count's varint takes two bytes (82 2c).
        let many = (0..<300).map { negentropyID(UInt8($0 % 256), UInt8($0 / 256)) }
        #expect(Self.fingerprint(many) == "7f3cca9f88c4d6afdcff1d338c02497d")
    }

    @Test func removingUndoesAdding() {
        var accumulator = SyncAccumulator()
        accumulator.add(repeatedID(0x77))
        accumulator.add(repeatedID(0xff))
        accumulator.remove(repeatedID(0x77))
        #expect(hex(accumulator.fingerprint) == Self.fingerprint([repeatedID(0xff)]))
    }

    /// Vector 1. A = {(1000, aa…), (1001, bb…), (1002, cc…)}, B = {(1000, aa…), (1002, cc…), (1003, dd…)}.
    static let vector1Initiator = """
        61
        876a 00 01 42b5d6e9a824e972398bfe0b80a84fb2
        02   00 01 25cb5fe12a86a75be6c1207375d97127
        00   00 01 24389a9159dc9772c4be23f1219ae590
        """
    static let vector1Response = """
        61
        876a 00 00
        02   00 02 00
        00   00 02 02
        cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
        dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
        """

    @Test func vector1FullExchange() throws {
        let a = SortedSyncItems(
            [1000, 1001, 1002].enumerated().map { SyncItem(timestamp: $1, id: repeatedID([0xaa, 0xbb, 0xcc][$0])) }
        )
        let b = SortedSyncItems(
            [1000, 1002, 1003].enumerated().map { SyncItem(timestamp: $1, id: repeatedID([0xaa, 0xcc, 0xdd][$0])) }
        )
        let reconciler = NegentropyReconciler()
        let query = try reconciler.initiate(a)
        #expect(hex(query) == hex(bytes(hex: Self.vector1Initiator)))
        let response = try reconciler.respond(to: query, storage: b)
        #expect(hex(response) == hex(bytes(hex: Self.vector1Response)))
        let progress = try reconciler.reconcile(response, storage: a)
        #expect(progress == .init(nextMessage: nil, have: [repeatedID(0xbb)], need: [repeatedID(0xdd)]))
    }

    /// Vector 2: one second, ids that share leading bytes. A = {10 00…, 10 01…, 20…, 30…} at 500,
    /// B = {10 00…, 20…, 30…} at 500, 40… at 501, 50… at 502.
    static let vector2Initiator = """
        61
        8375 02 1001 01 26b2fe578c2da517a427099e5418f147
        01   01 20   01 4010c292217dd20a2096ec753dffb215
        01   01 30   01 2792ba1c84ed8dbe722d7261460427aa
        00   00      01 72361c6bf9d310195207a55020d24f6e
        """
    static let vector2Response = """
        61
        8375 02 1001 00
        01   01 20   02 00
        01   01 30   00
        00   00      02 03
        3000000000000000000000000000000000000000000000000000000000000000
        4000000000000000000000000000000000000000000000000000000000000000
        5000000000000000000000000000000000000000000000000000000000000000
        """

    @Test func vector2FullExchange() throws {
        let a = SortedSyncItems(
            [negentropyID(0x10, 0x00), negentropyID(0x10, 0x01), negentropyID(0x20), negentropyID(0x30)].map {
                SyncItem(timestamp: 500, id: $0)
            }
        )
        let b = SortedSyncItems([
            SyncItem(timestamp: 500, id: negentropyID(0x10, 0x00)), SyncItem(timestamp: 500, id: negentropyID(0x20)),
            SyncItem(timestamp: 500, id: negentropyID(0x30)), SyncItem(timestamp: 501, id: negentropyID(0x40)),
            SyncItem(timestamp: 502, id: negentropyID(0x50)),
        ])
        let reconciler = NegentropyReconciler()
        let query = try reconciler.initiate(a)
        #expect(hex(query) == hex(bytes(hex: Self.vector2Initiator)))
        let response = try reconciler.respond(to: query, storage: b)
        #expect(hex(response) == hex(bytes(hex: Self.vector2Response)))
        let progress = try reconciler.reconcile(response, storage: a)
        #expect(
            progress
                == .init(
                    nextMessage: nil,
                    have: [negentropyID(0x10, 0x01)],
                    need: [negentropyID(0x40), negentropyID(0x50)]
                )
        )
    }

    @Test func anEmptyInitiatorSendsAnEmptyIDList() throws {
        let reconciler = NegentropyReconciler()
        #expect(hex(try reconciler.initiate(SortedSyncItems())) == "6100000200")
        let b = SortedSyncItems([SyncItem(timestamp: 1, id: repeatedID(0xee))])
        let response = try reconciler.respond(to: bytes(hex: "6100000200"), storage: b)
        #expect(hex(response) == "6100000201" + hex(repeatedID(0xee).bytes))
    }

    @Test func equalSetsEndAfterOneRoundTrip() throws {
        let items = SortedSyncItems((0..<100).map { SyncItem(timestamp: UInt64($0), id: negentropyID(UInt8($0))) })
        let reconciler = NegentropyReconciler()
        let response = try reconciler.respond(to: try reconciler.initiate(items), storage: items)
        #expect(response == [0x61])
        #expect(try reconciler.reconcile(response, storage: items) == .init(nextMessage: nil, have: [], need: []))
    }

    @Test func aResponderAnswersAnotherVersionWithItsOwn() throws {
        let reconciler = NegentropyReconciler()
        let items = SortedSyncItems()
        #expect(try reconciler.respond(to: bytes(hex: "62aabbccddeeff"), storage: items) == [0x61])
        #expect(try reconciler.respond(to: [0x60], storage: items) == [0x61])
        #expect(throws: NegentropyError.unsupportedVersion(0x10)) { try reconciler.respond(to: [0x10], storage: items) }
        #expect(throws: NegentropyError.emptyMessage) { try reconciler.respond(to: [], storage: items) }
    }

    @Test func anInitiatorRejectsAnotherVersion() {
        let reconciler = NegentropyReconciler()
        #expect(throws: NegentropyError.unsupportedVersion(0x62)) {
            try reconciler.reconcile([0x62], storage: SortedSyncItems())
        }
    }
}
