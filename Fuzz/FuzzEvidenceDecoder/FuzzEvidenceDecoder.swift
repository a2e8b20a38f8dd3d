import CairnCore
import FuzzSupport

/// Evidence decoding: anything decodes to evidence or a `CoreError`. Structurally valid evidence re-encodes to exactly
/// the input, holds its blobs in ascending id order, its id is the hash of its kind and the sorted pair, and the
/// verifying decoder accepts it exactly when both signatures verify (checked for one input in 8: four Ed25519
/// verifications would bound the run).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvidenceDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let evidence = try? Evidence(trustedEncoding: bytes) else {
        if fuzzSampled(bytes, oneIn: 8) {
            fuzzCheck((try? Evidence.decode(bytes)) == nil, "the verifying decoder took what the parser refused")
        }
        return 0
    }
    fuzzCheck(evidence.encoding == bytes, "the evidence re-encodes to other bytes")
    fuzzCheck(evidence.first.id < evidence.second.id, "the blobs are not in ascending id order")
    fuzzCheck(
        evidence.id == Evidence.id(kind: evidence.kind, evidence.second.id, evidence.first.id),
        "the id depends on the order of the pair"
    )
    guard fuzzSampled(bytes, oneIn: 8) else { return 0 }
    let bothSigned = evidence.first.hasValidSignature() && evidence.second.hasValidSignature()
    fuzzCheck(((try? Evidence.decode(bytes)) != nil) == bothSigned, "decode and the signature checks disagree")
    return 0
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzEvidenceDecoder) }
    }
#endif
