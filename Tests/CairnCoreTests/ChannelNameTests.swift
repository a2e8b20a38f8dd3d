import CairnCore
import Testing

@Suite struct ChannelNameTests {
    @Test(arguments: ["main", "quorum/vote", "caf\u{e9}", String(repeating: "a", count: 64), "\u{1F600}"])
    func validNamesAreAccepted(_ name: String) throws {
        #expect(try ChannelName(name).value == name)
    }

    @Test func emptyNameIsRejected() {
        #expect(throws: CoreError.invalidChannelName(reason: "empty")) { try ChannelName("") }
    }

    @Test func nameOverSixtyFourBytesIsRejected() {
        // 33 two-byte characters: 33 scalars, 66 bytes.
        #expect(throws: CoreError.invalidChannelName(reason: "66 bytes, limit 64")) {
            try ChannelName(String(repeating: "\u{e9}", count: 33))
        }
    }

    @Test(arguments: ["a\nb", "tab\t", "nul\u{0}", "del\u{7f}", "c1\u{85}"])
    func controlCharactersAreRejected(_ name: String) {
        #expect(throws: CoreError.self) { try ChannelName(name) }
    }

    @Test(arguments: [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]] as [[UInt8]])
    func invalidUTF8IsRejected(_ bytes: [UInt8]) {
        #expect(throws: CoreError.invalidChannelName(reason: "not valid UTF-8")) { try ChannelName(utf8: bytes) }
    }
}
