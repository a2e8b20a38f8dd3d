import CairnProtocol
import FuzzSupport

/// The responder side of the handshake of the vectors (Docs/PROTOCOL.md §4), fed bytes split as the input chooses.
///
/// Mode 0: raw bytes. Mode 1: the genuine message 1, then the input as message 3 and what follows. Mode 2: the
/// genuine messages 1 and 3 with one byte flipped (or none). Whatever the bytes: at most one outcome, nothing after
/// it, and a session only with the genuine initiator's keys; the genuine messages, however split, always establish,
/// and a flipped byte never does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshakeResponder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let genuine = FuzzHandshake.genuine
    let mode = input.byte() % 3
    // Each segment is split on its own: an initiator sends message 3 only after message 2 arrived, so bytes beyond
    // message 1 in one read are a failure (`unexpectedBytes`), which mode 0 still reaches. After the genuine message 1
    // the responder is a copy of one that took it (its message 2 was checked once, in `FuzzHandshake`).
    var responder = genuine.startedResponder
    var segments: [[UInt8]]
    var flipped = false
    switch mode {
    case 0:
        segments = [input.rest()]
    case 1:
        responder = genuine.responderAfterMessage1
        segments = [input.take(Int(input.byte()))]
    default:
        let position = input.uint16() % (genuine.message1.count + genuine.message3.count)
        let mask = input.byte()
        flipped = mask != 0
        if position < genuine.message1.count {
            segments = [genuine.message1, genuine.message3]
            segments[0][position] ^= mask
        } else {
            responder = genuine.responderAfterMessage1
            segments = [genuine.message3]
            segments[0][position - genuine.message1.count] ^= mask
        }
    }
    var outcome = FuzzHandshakeOutcome(
        genuineSession: genuine.responderSession,
        remoteKey: FuzzHandshake.initiatorKey.publicKey
    )
    var sentMessage2 = false
    for chunk in segments.flatMap({ input.chunks(of: $0) }) {
        for bytes in outcome.observe(responder.receive(chunk, now: 1), remoteKey: responder.remoteKey) {
            fuzzCheck(!sentMessage2, "message 2 sent twice")
            sentMessage2 = true
            if segments[0] == genuine.message1 {
                fuzzCheck(bytes == genuine.message2, "the genuine message 1 got another message 2")
            }
        }
    }
    if mode == 2 { outcome.check(flipped: flipped) }
    return 0
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzHandshakeResponder) }
    }
#endif
