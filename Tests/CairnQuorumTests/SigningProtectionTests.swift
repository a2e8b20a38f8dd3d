import CairnCore
import Foundation
import Testing

@testable import CairnQuorum

@Suite struct SigningProtectionTests {
    private static func temporaryFile() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-protection-\(UUID())")
        return directory.appendingPathComponent("quorum/protection.jsonl").path
    }

    private static func value(_ label: String) -> QuorumValue {
        QuorumValue(block: block(1, label), voteSet: .zero)
    }

    @Test func aSecondValueForOneSlotIsRefusedAndTheSameValueIsNot() throws {
        var protection = SigningProtection()
        #expect(protection.permits(epoch: 0, height: 4, value: Self.value("a")))
        try protection.record(.init(epoch: 0, height: 4, value: Self.value("a")))
        #expect(protection.permits(epoch: 0, height: 4, value: Self.value("a")))
        #expect(!protection.permits(epoch: 0, height: 4, value: Self.value("b")))
        #expect(protection.permits(epoch: 1, height: 4, value: Self.value("b")))
        #expect(protection.permits(epoch: 0, height: 5, value: Self.value("b")))
    }

    @Test func theRecordSurvivesARestartAndATornLastLine() throws {
        let path = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var protection = try SigningProtection(path: path)
        try protection.record(.init(epoch: 0, height: 1, value: Self.value("a")))
        try protection.record(.init(epoch: 0, height: 2, value: Self.value("a")))
        // A crash in the middle of a third record: its line has no newline, its signature was never published.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"block\":\"00".utf8))
        try handle.close()

        var reopened = try SigningProtection(path: path)
        #expect(reopened.records.count == 2)
        #expect(!reopened.permits(epoch: 0, height: 2, value: Self.value("b")))
        try reopened.record(.init(epoch: 0, height: 3, value: Self.value("a")))
        #expect(try SigningProtection(path: path).records.count == 3)
    }

    @Test func aFileWithAGarbageLineIsRefusedNamingTheLine() throws {
        let path = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var protection = try SigningProtection(path: path)
        try protection.record(.init(epoch: 0, height: 1, value: Self.value("a")))
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("not json\n".utf8))
        try handle.close()
        #expect(throws: SigningProtectionError.malformedLine(path: path, line: 2)) {
            try SigningProtection(path: path)
        }
    }

    @Test func anExportImportsIntoAnEmptyRecordAndRefusesAnotherGenesisOrKey() throws {
        let genesis = demoGenesis()
        let key = testKey(1).publicKey
        var protection = SigningProtection()
        try protection.record(.init(epoch: 0, height: 1, value: Self.value("a")))
        try protection.record(.init(epoch: 2, height: 9, value: Self.value("b")))
        let json = protection.exportJSON(key: key, genesis: genesis.hash)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"interchange_format\" : \"cairn-quorum-protection\""))
        #expect(text.contains("\"height\" : \"9\""))

        var restored = SigningProtection()
        let records = try SigningProtection.records(importing: json, key: key, genesis: genesis.hash)
        #expect(try restored.merge(records) == 2)
        #expect(try restored.merge(records) == 0)
        #expect(!restored.permits(epoch: 2, height: 9, value: Self.value("a")))

        #expect(throws: SigningProtectionError.otherKey(expected: testKey(2).publicKey, found: key.hex)) {
            try SigningProtection.records(importing: json, key: testKey(2).publicKey, genesis: genesis.hash)
        }
        let other = ruleGenesis()
        #expect(throws: SigningProtectionError.otherGenesis(expected: other.hash, found: genesis.hash.hex)) {
            try SigningProtection.records(importing: json, key: key, genesis: other.hash)
        }
        #expect(throws: (any Error).self) {
            try SigningProtection.records(importing: Data("[1,2]".utf8), key: key, genesis: genesis.hash)
        }
    }
}
