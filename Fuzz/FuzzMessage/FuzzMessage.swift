import CairnProtocol
import FuzzSupport

/// Wire-message decoding: anything decodes to a message or a `ProtocolError`, and a decoded message encodes back to
/// exactly the input (one valid encoding per message). Small limits, so the bounds are reached too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = WireMessage.Limits(maxBlobBytes: 1024, maxEvidenceBytes: 2048)
    guard let message = try? WireMessage.decode(bytes, limits: limits) else { return 0 }
    let encoded = try? message.encoded()
    fuzzCheck(encoded == bytes, "\(message.type) re-encodes to other bytes")
    return 0
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzMessage) }
    }
#endif
