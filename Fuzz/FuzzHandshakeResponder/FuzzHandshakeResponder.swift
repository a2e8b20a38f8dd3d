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
    // message 1 in one read are a failure (`unexpectedBytes`), which mode 0 still reaches.
    var segments: [[UInt8]]
    var flipped = false
    switch mode {
    case 0:
        segments = [input.rest()]
    case 1:
        segments = [genuine.message1, input.take(Int(input.byte()))]
    default:
        segments = [genuine.message1, genuine.message3]
        let position = input.uint16() % (genuine.message1.count + genuine.message3.count)
        let mask = input.byte()
        let (segment, offset) =
            position < genuine.message1.count ? (0, position) : (1, position - genuine.message1.count)
        segments[segment][offset] ^= mask
        flipped = mask != 0
    }
    let startsGenuinely = segments[0].starts(with: genuine.message1)
    var responder = FuzzHandshake.responder()
    fuzzCheck(responder.start(now: 0).isEmpty, "a responder sent before message 1")
    var outcomes = 0
    var established = false
    var sentMessage2 = false
    for chunk in segments.flatMap({ input.chunks(of: $0) }) {
        for action in responder.receive(chunk, now: 1) {
            fuzzCheck(outcomes == 0, "an action followed the outcome")
            switch action {
            case .send(let bytes):
                fuzzCheck(!sentMessage2, "message 2 sent twice")
                sentMessage2 = true
                if startsGenuinely {
                    fuzzCheck(bytes == genuine.message2, "the genuine message 1 got another message 2")
                }
            case .established(let session, _):
                outcomes += 1
                established = true
                fuzzCheck(session == genuine.responderSession, "established a session other than the genuine one")
                fuzzCheck(responder.remoteKey == FuzzHandshake.initiatorKey.publicKey, "authenticated another key")
            case .fail:
                outcomes += 1
            }
        }
    }
    if mode == 2 {
        fuzzCheck(established != flipped, flipped ? "a flipped byte established" : "the genuine handshake failed")
    }
    return 0
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzHandshakeResponder) }
    }
#endif
