import CairnCore
import Testing

@testable import CairnProtocol

/// Garbage in gives a thrown `NegentropyError` or a valid parse, never a crash or a hang.
@Suite("Negentropy garbage")
struct NegentropyGarbageTests {
    static let storage: SortedSyncItems = {
        var generator = SeededRandom(seed: 7)
        return SortedSyncItems(
            (0..<500).map { _ in SyncItem(timestamp: UInt64(generator.below(40)), id: randomID(&generator)) }
        )
    }()

    /// Valid messages to damage: the vectors and a multi-round exchange's messages.
    static let samples: [[UInt8]] = {
        var generator = SeededRandom(seed: 8)
        var other = storage
        for _ in 0..<30 { other.insert(SyncItem(timestamp: UInt64(generator.below(40)), id: randomID(&generator))) }
        let reconciler = NegentropyReconciler()
        let query = try! reconciler.initiate(other)
        let response = try! reconciler.respond(to: query, storage: storage)
        let next = try! reconciler.reconcile(response, storage: other).nextMessage!
        return [
            bytes(hex: NegentropyVectorTests.vector1Initiator), bytes(hex: NegentropyVectorTests.vector1Response),
            bytes(hex: NegentropyVectorTests.vector2Initiator), bytes(hex: NegentropyVectorTests.vector2Response),
            query, response, next,
        ]
    }()

    /// Feeds `message` to the decoder and to both roles: each may throw only `NegentropyError`.
    static func survive(_ message: [UInt8]) {
        let reconciler = NegentropyReconciler(frameSizeLimit: NegentropyReconciler.minimumFrameSizeLimit)
        do {
            let decoded = try NegentropyMessage(decoding: message)
            #expect(decoded.encoded() == message, "a valid parse re-encodes to the same bytes")
        } catch {}
        do { _ = try reconciler.respond(to: message, storage: storage) } catch { #expect(error is NegentropyError) }
        do { _ = try reconciler.reconcile(message, storage: storage) } catch { #expect(error is NegentropyError) }
    }

    @Test func randomBytes() {
        var generator = SeededRandom(seed: 9)
        for _ in 0..<3_000 {
            var message = (0..<generator.below(300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !message.isEmpty && generator.below(4) != 0 { message[0] = NegentropyMessage.protocolVersion }
            Self.survive(message)
        }
    }

    @Test(arguments: 0..<samples.count)
    func everyTruncation(sample: Int) {
        let message = Self.samples[sample]
        for length in 0...message.count { Self.survive(Array(message.prefix(length))) }
    }

    /// The positions to mutate: all of a short message, the first and last 200 bytes of a long one.
    static func positions(_ message: [UInt8]) -> [Int] {
        message.count <= 400 ? Array(message.indices) : Array(0..<200) + Array((message.count - 200)..<message.count)
    }

    /// Every value at the first 64 positions (version, first bounds, modes and counts); elsewhere the values that
    /// hit varint, mode and length edges. Every value everywhere took over two minutes in a debug build.
    static func mutationValues(at index: Int) -> [UInt8] {
        index < 64
            ? Array(0...UInt8.max)
            : [0x00, 0x01, 0x02, 0x03, 0x20, 0x21, 0x60, 0x61, 0x62, 0x7f, 0x80, 0x81, 0xfe, 0xff]
    }

    @Test(arguments: 0..<samples.count)
    func singleByteMutationsDecodeOrThrow(sample: Int) {
        let message = Self.samples[sample]
        for index in Self.positions(message) {
            var mutated = message
            for value in Self.mutationValues(at: index) where value != message[index] {
                mutated[index] = value
                _ = try? NegentropyMessage(decoding: mutated)
            }
        }
    }

    @Test(arguments: 0..<4)
    func singleByteMutationsThroughBothRoles(sample: Int) {
        let message = Self.samples[sample]
        let interesting: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x20, 0x21, 0x60, 0x62, 0x7f, 0x80, 0x81, 0xff]
        for index in message.indices {
            var mutated = message
            for value in interesting where value != message[index] {
                mutated[index] = value
                Self.survive(mutated)
            }
        }
    }
}
