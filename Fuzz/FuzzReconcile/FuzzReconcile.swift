import CairnCore
import CairnProtocol
import FuzzSupport

/// Negentropy V1 messages (Docs/PROTOCOL.md §6) against a fixed set of the spec's vector items and 60 more.
///
/// A message that decodes re-encodes to the input; the responder's answer to anything is a well-formed message
/// within the frame limit (or a `NegentropyError`); as the initiator processing the input as a response, `have` holds
/// only ids of the set, once each, and the next message is well formed and within the limit. (`need` may name an id
/// the set holds: an id list cannot show that its ids lie in its range, so a peer can list one of ours outside it;
/// the replica then wants a blob it has, which costs one `want`.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReconcile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let message = try? NegentropyMessage(decoding: bytes) {
        fuzzCheck(message.encoded() == bytes, "a decoded message re-encodes to other bytes")
    }
    let reconciler = NegentropyReconciler(frameSizeLimit: NegentropyReconciler.minimumFrameSizeLimit)
    if let response = try? reconciler.respond(to: bytes, storage: ReconcileSet.items) {
        fuzzCheck(response.count <= reconciler.frameSizeLimit, "a response of \(response.count) bytes")
        fuzzCheck((try? NegentropyMessage(decoding: response)) != nil, "a response that does not decode")
    }
    if let progress = try? reconciler.reconcile(bytes, storage: ReconcileSet.items) {
        fuzzCheck(progress.have.allSatisfy(ReconcileSet.ids.contains), "`have` names an id the set lacks")
        fuzzCheck(Set(progress.have).count == progress.have.count, "`have` names an id twice")
        if let next = progress.nextMessage {
            fuzzCheck(next.count <= reconciler.frameSizeLimit, "a next message of \(next.count) bytes")
            fuzzCheck((try? NegentropyMessage(decoding: next)) != nil, "a next message that does not decode")
        }
    }
    return 0
}

/// The responder's and initiator's set: the items of vectors 1 and 2 and 60 items over a few seconds.
enum ReconcileSet {
    static let items: SortedSyncItems = {
        var items: [SyncItem] = []
        for (timestamp, byte) in [(1000, 0xAA), (1002, 0xCC), (1003, 0xDD), (500, 0x20), (500, 0x30)] {
            items.append(SyncItem(timestamp: UInt64(timestamp), id: id(UInt8(byte), 0)))
        }
        items.append(SyncItem(timestamp: 500, id: id(0x10, 0)))
        for index in 0..<60 {
            let hashed = Blake2b.hash256(Array("item \(index)".utf8))
            items.append(SyncItem(timestamp: 2000 + UInt64(index / 10), id: BlobID(unchecked: hashed)))
        }
        return SortedSyncItems(items)
    }()

    static let ids = Set(items.items.map(\.id))

    private static func id(_ first: UInt8, _ second: UInt8) -> BlobID {
        if first == 0x10 { return BlobID(unchecked: [0x10, second] + [UInt8](repeating: 0, count: 30)) }
        return BlobID(unchecked: [UInt8](repeating: first, count: 32))
    }
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzReconcile) }
    }
#endif
