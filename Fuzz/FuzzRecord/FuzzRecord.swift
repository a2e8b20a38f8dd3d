import CairnProtocol
import FuzzSupport

/// The record layer on the vectors' session (Docs/PROTOCOL.md §4), split where 8 bytes of the input say.
///
/// Mode 0 feeds raw bytes: whatever is delivered, the counter counts it, and nothing follows a failure. Mode 1 seals
/// plaintexts the input chooses: unchanged they are delivered exactly, in order, with no failure; with one byte
/// flipped, only records before the flipped one can be delivered.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let handshake = FuzzHandshake.genuine
    var receiver = SecureChannel(session: handshake.responderSession, maxPlaintextBytes: 1024)
    let mode = input.byte() % 2
    var splitter = FuzzInput(input.take(8))
    switch mode {
    case 0:
        let stream = input.rest()
        var delivered = 0
        var failed = false
        for chunk in splitter.chunks(of: stream) {
            for action in receiver.receive(chunk) {
                fuzzCheck(!failed, "an action followed a failure")
                switch action {
                case .deliver: delivered += 1
                case .fail: failed = true
                }
            }
        }
        fuzzCheck(receiver.receiveCounter == UInt64(delivered), "the counter is not the records delivered")
    default:
        let flip = (position: input.uint16(), mask: input.byte())
        let plaintexts = input.pieces(limit: 64)
        var sender = SecureChannel(session: handshake.initiatorSession, maxPlaintextBytes: 1024)
        var stream: [UInt8] = []
        var recordEnds: [Int] = []
        for plaintext in plaintexts {
            stream += try! sender.seal(plaintext)
            recordEnds.append(stream.count)
        }
        var flippedRecord = plaintexts.count
        if flip.mask != 0, !stream.isEmpty {
            let position = flip.position % stream.count
            stream[position] ^= flip.mask
            flippedRecord = recordEnds.firstIndex { position < $0 }!
        }
        var delivered: [[UInt8]] = []
        var failed = false
        for chunk in splitter.chunks(of: stream) {
            for action in receiver.receive(chunk) {
                fuzzCheck(!failed, "an action followed a failure")
                switch action {
                case .deliver(let plaintext): delivered.append(plaintext)
                case .fail: failed = true
                }
            }
        }
        fuzzCheck(delivered.count <= flippedRecord, "a record at or after a flipped byte was delivered")
        fuzzCheck(
            Array(plaintexts.prefix(delivered.count)) == delivered,
            "delivered plaintexts differ from those sealed"
        )
        if flippedRecord == plaintexts.count {
            fuzzCheck(!failed && delivered.count == plaintexts.count, "an intact stream was not delivered whole")
        }
    }
    return 0
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzRecord) }
    }
#endif
