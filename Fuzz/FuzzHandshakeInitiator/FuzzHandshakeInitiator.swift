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
    // A copy of an initiator that sent message 1: the vectors' message 1, checked once in `FuzzHandshake`.
    var initiator = genuine.startedInitiator
    var outcome = FuzzHandshakeOutcome(
        genuineSession: genuine.initiatorSession,
        remoteKey: FuzzHandshake.responderKey.publicKey
    )
    for chunk in input.chunks(of: stream) {
        for bytes in outcome.observe(initiator.receive(chunk, now: 1), remoteKey: initiator.remoteKey) {
            fuzzCheck(bytes == genuine.message3, "sent a message 3 other than the genuine one")
        }
    }
    if let flipped { outcome.check(flipped: flipped) }
    return 0
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzHandshakeInitiator) }
    }
#endif
