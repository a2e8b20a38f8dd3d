import CairnCore
import FuzzSupport

/// Signed-blob decoding: anything decodes to a blob or a `CoreError`. A structurally valid blob re-encodes from its
/// fields to exactly the input (one encoding per blob), its id is the input's BLAKE2b-256, and (for one input in 8:
/// two Ed25519 verifications would bound the run) the verifying decoder accepts it exactly when its signature verifies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBlobDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let blob = try? SignedBlob(trustedEncoding: bytes) else {
        if fuzzSampled(bytes, oneIn: 8) {
            fuzzCheck((try? SignedBlob.decode(bytes)) == nil, "the verifying decoder took what the parser refused")
        }
        return 0
    }
    var writer = ByteWriter()
    writer.write(SignedBlob.formatVersion)
    writer.write(blob.author)
    writer.write(UInt8(blob.channel.utf8.count))
    writer.write(bytes: blob.channel.utf8)
    writer.write(blob.seq)
    writer.write(blob.prev)
    writer.write(blob.timestamp)
    writer.write(UInt32(blob.payload.count))
    writer.write(bytes: blob.payload)
    writer.write(bytes: blob.signature)
    fuzzCheck(writer.bytes == bytes, "the fields re-encode to other bytes")
    fuzzCheck(blob.encoding == bytes, "the encoding kept is not the input")
    fuzzCheck(blob.id.bytes == Blake2b.hash256(bytes), "the id is not the hash of the encoding")
    guard fuzzSampled(bytes, oneIn: 8) else { return 0 }
    let verified = try? SignedBlob.decode(bytes, maxPayloadBytes: SignedBlob.protocolMaxPayloadBytes)
    fuzzCheck((verified != nil) == blob.hasValidSignature(), "decode and the signature check disagree")
    return 0
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzBlobDecoder) }
    }
#endif
