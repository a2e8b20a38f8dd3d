import CairnProtocol
import FuzzSupport

/// The initiator side of the handshake of the vectors (Docs/PROTOCOL.md §4), fed bytes split as the input chooses.
///
/// Mode 0: the input as message 2 and what follows. Mode 1: the genuine message 2 with one byte flipped (or none).
/// Whatever the bytes: at most one outcome, nothing after it, and a session only with the genuine responder's keys
/// after sending the genuine message 3; the genuine message 2, however split, always establishes, and a flipped byte
/// never does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshakeInitiator(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let genuine = FuzzHandshake.genuine
    let stream: [UInt8]
    var flipped: Bool?
    if input.byte() % 2 == 0 {
        stream = input.take(Int(input.uint16() % 512))
    } else {
        var message = genuine.message2
        let position = input.uint16() % message.count
        let mask = input.byte()
        message[position] ^= mask
        flipped = mask != 0
        stream = message
    }
    var initiator = FuzzHandshake.initiator()
    fuzzCheck(FuzzHandshake.sent(initiator.start(now: 0)) == genuine.message1, "message 1 is not the vectors'")
    var outcomes = 0
    var established = false
    for chunk in input.chunks(of: stream) {
        for action in initiator.receive(chunk, now: 1) {
            fuzzCheck(outcomes == 0, "an action followed the outcome")
            switch action {
            case .send(let bytes):
                fuzzCheck(bytes == genuine.message3, "sent a message 3 other than the genuine one")
            case .established(let session, _):
                outcomes += 1
                established = true
                fuzzCheck(session == genuine.initiatorSession, "established a session other than the genuine one")
                fuzzCheck(initiator.remoteKey == FuzzHandshake.responderKey.publicKey, "authenticated another key")
            case .fail:
                outcomes += 1
            }
        }
    }
    if let flipped {
        fuzzCheck(established != flipped, flipped ? "a flipped byte established" : "the genuine handshake failed")
    }
    return 0
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzHandshakeInitiator) }
    }
#endif
