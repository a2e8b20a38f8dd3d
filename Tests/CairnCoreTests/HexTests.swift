import CairnCore
import Testing

@Suite struct HexTests {
    @Test func roundTrip() {
        let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff]
        #expect(Hex.encode(bytes) == "00017f80ff")
        #expect(Hex.decode("00017F80ff") == bytes)
    }

    @Test(arguments: ["0", "zz", "0g", "+1"])
    func malformedHexIsRejected(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func idsNeedExactlySixtyFourHexCharacters() {
        #expect(BlobID(hex: String(repeating: "a", count: 64)) != nil)
        #expect(BlobID(hex: String(repeating: "a", count: 63)) == nil)
        #expect(BlobID(hex: String(repeating: "a", count: 66)) == nil)
        #expect(BlobID(hex: String(repeating: "g", count: 64)) == nil)
    }
}
