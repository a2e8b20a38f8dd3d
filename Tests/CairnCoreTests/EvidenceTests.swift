import CairnCore
import Testing

@Suite struct EvidenceTests {
    @Test func evidenceIDMatchesTheTestVector() {
        let ids = TestVectors.blobs.prefix(2).map { BlobID(hex: $0.id)! }
        #expect(Evidence.id(kind: .channelFork, ids[0], ids[1]).hex == TestVectors.evidenceIDOfFirstTwo)
        #expect(Evidence.id(kind: .channelFork, ids[1], ids[0]).hex == TestVectors.evidenceIDOfFirstTwo)
    }

    @Test func forkEvidenceIsTheSameInEitherOrder() throws {
        let a = testBlob(payload: [1])
        let b = testBlob(payload: [2])
        let ab = try Evidence.channelFork(a, b)
        let ba = try Evidence.channelFork(b, a)
        #expect(ab.id == ba.id)
        #expect(ab.encoding == ba.encoding)
        #expect(ab.first.id < ab.second.id)
    }

    @Test func evidenceRoundTrips() throws {
        let evidence = try Evidence.channelFork(testBlob(payload: [1]), testBlob(payload: [2]))
        let decoded = try Evidence.decode(evidence.encoding)
        #expect(decoded.id == evidence.id)
        #expect(decoded.kind == .channelFork)
    }

    @Test func blobsForDifferentSlotsAreNotEvidence() {
        #expect(throws: CoreError.self) { try Evidence.channelFork(testBlob(), testBlob(channel: "other")) }
        #expect(throws: CoreError.self) { try Evidence.channelFork(testBlob(), testBlob(key: testKey(2))) }
        let blob = testBlob()
        #expect(throws: CoreError.self) { try Evidence.channelFork(blob, blob) }
    }

    @Test func swappedOrTamperedEvidenceIsRejected() throws {
        let evidence = try Evidence.channelFork(testBlob(payload: [1]), testBlob(payload: [2]))
        var swapped = ByteWriter()
        swapped.write(Evidence.formatVersion)
        swapped.write(Evidence.Kind.channelFork.rawValue)
        for blob in [evidence.second, evidence.first] {
            swapped.write(UInt32(blob.encoding.count))
            swapped.write(bytes: blob.encoding)
        }
        #expect(throws: CoreError.invalidEvidence(reason: "blobs are not in ascending id order")) {
            try Evidence.decode(swapped.bytes)
        }
        var bytes = evidence.encoding
        bytes[1] = 0
        #expect(throws: CoreError.unknownEvidenceKind(0)) { try Evidence.decode(bytes) }
        // Another kind decodes structurally: judging it is for the component that registers the kind.
        bytes[1] = 9
        #expect(try Evidence.decode(bytes).kind == Evidence.Kind(rawValue: 9))
        bytes = evidence.encoding
        bytes[bytes.count - 1] ^= 1
        #expect(throws: CoreError.badSignature) { try Evidence.decode(bytes) }
        #expect(throws: CoreError.trailingBytes(count: 1)) { try Evidence.decode(evidence.encoding + [0]) }
    }
}
