import CairnCore
import Testing

@testable import CairnProtocol

/// An id of 32 bytes that starts with `prefix` and is zero after it.
func negentropyID(_ prefix: UInt8...) -> BlobID {
    BlobID(unchecked: prefix + [UInt8](repeating: 0, count: 32 - prefix.count))
}

/// An id whose 32 bytes are all `byte`.
func repeatedID(_ byte: UInt8) -> BlobID {
    BlobID(unchecked: [UInt8](repeating: byte, count: 32))
}

/// Lower-case hex without separators, for comparing messages with the vectors.
func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }

/// Bytes from hex written in a test (spaces allowed for readability).
func bytes(hex text: String) -> [UInt8] { Hex.decode(text.filter { !$0.isWhitespace })! }

/// A random id drawn from `generator`.
func randomID(_ generator: inout SeededRandom) -> BlobID {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(32)
    for _ in 0..<4 { withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) } }
    return BlobID(unchecked: bytes)
}

/// What one whole reconciliation did.
struct NegentropyExchange {
    var have: [BlobID] = []
    var need: [BlobID] = []
    var roundTrips = 0
    var bytesSent = 0
    var bytesReceived = 0
    var largestMessage = 0
    var totalBytes: Int { bytesSent + bytesReceived }
}

/// Runs a reconciliation to the end (or throws after `maxRoundTrips`).
func reconcile(
    _ initiatorItems: SortedSyncItems,
    with responderItems: SortedSyncItems,
    initiator: NegentropyReconciler = NegentropyReconciler(),
    responder: NegentropyReconciler = NegentropyReconciler(),
    maxRoundTrips: Int = 200
) throws -> NegentropyExchange {
    var exchange = NegentropyExchange()
    var message: [UInt8]? = try initiator.initiate(initiatorItems)
    while let query = message {
        exchange.roundTrips += 1
        guard exchange.roundTrips <= maxRoundTrips else { throw ExchangeDidNotEnd(roundTrips: exchange.roundTrips) }
        let response = try responder.respond(to: query, storage: responderItems)
        exchange.bytesSent += query.count
        exchange.bytesReceived += response.count
        exchange.largestMessage = max(exchange.largestMessage, query.count, response.count)
        let progress = try initiator.reconcile(response, storage: initiatorItems)
        exchange.have += progress.have
        exchange.need += progress.need
        message = progress.nextMessage
    }
    return exchange
}

struct ExchangeDidNotEnd: Error {
    var roundTrips: Int
}
