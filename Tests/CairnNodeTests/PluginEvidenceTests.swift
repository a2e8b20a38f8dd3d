import CairnCore
import CairnNode
import CairnProtocol
import CairnStore
import Foundation
import Testing

/// Evidence of a plug-in's kind in a real node: recorded in the store (listed, evented, offered to peers), flooded,
/// and fed back to the plug-ins once per process.
@Suite struct PluginEvidenceTests {
    static let kind = Evidence.Kind(rawValue: 2)

    /// Judges kind 2 (every pair conflicts), records `toRecord` once live, and appends a `witness` event with the id
    /// of every evidence it is given.
    struct Witness: Plugin {
        var name = "witness"
        var toRecord: Evidence?

        func register(in registry: inout PluginRegistry) {
            registry.evidenceJudges.register(PluginEvidenceTests.kind, name: "witness") { _ in true }
            registry.topics.insert("witness")
        }

        func committed(_ blob: SignedBlob, now: UInt64) -> [PluginAction] { [] }

        func recorded(_ evidence: Evidence, now: UInt64) -> [PluginAction] {
            [.emit(topic: "witness", json: Array("\"\(evidence.id.hex)\"".utf8))]
        }

        func replayed(now: UInt64) -> [PluginAction] {
            toRecord.map { [.recordEvidence($0)] } ?? []
        }
    }

    /// Kind-2 evidence: two blobs of one author on two channels.
    static func evidence() throws -> Evidence {
        let key = testKey(40)
        let a = try SignedBlob.sign(
            key: key,
            channel: try ChannelName("witness/a"),
            seq: 1,
            prev: .zero,
            timestamp: 1_700_000_000_000,
            payload: [1]
        )
        let b = try SignedBlob.sign(
            key: key,
            channel: try ChannelName("witness/b"),
            seq: 1,
            prev: .zero,
            timestamp: 1_700_000_000_001,
            payload: [2]
        )
        return try Evidence.judged(kind: kind, a, b)
    }

    static func witnessEvents(_ node: Node) throws -> [String] {
        try node.store.events(after: 0, limit: 1_000).compactMap { event in
            guard case .custom("witness", let data) = event.kind else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test func pluginEvidenceIsRecordedListedAndFedBackOncePerProcess() async throws {
        let evidence = try Self.evidence()
        let expected = "\"\(evidence.id.hex)\""
        try await withTemporaryDirectory { directory in
            try await withNode(in: directory, plugins: [Witness(toRecord: evidence)]) { node in
                try await node.startPlugins()
                let listed = await eventually { (try? node.store.evidenceList(limit: 10)) == [evidence] }
                #expect(listed)
                #expect(try node.store.has(evidence.first.id) && node.store.has(evidence.second.id))
                let fed = await eventually { (try? Self.witnessEvents(node)) == [expected] }
                #expect(fed)
            }
            // A restart replays the recorded evidence once; recording it again adds nothing.
            try await withNode(in: directory, plugins: [Witness(toRecord: evidence)]) { node in
                try await node.startPlugins()
                let fed = await eventually { (try? Self.witnessEvents(node)) == [expected, expected] }
                #expect(fed)
                // Everything the plug-in asked is carried out: a second record or feeding would show now.
                await node.pluginRequestsDone()
                #expect(try Self.witnessEvents(node) == [expected, expected])
                let evidenceEvents = try node.store.events(after: 0, limit: 1_000).filter { $0.topic == "evidence" }
                #expect(evidenceEvents.map(\.kind) == [.evidence(evidence.id)])
                #expect(try node.store.stats().evidence == 1)
            }
        }
    }

    @Test func evidenceOfAKindNoJudgeAcceptsIsNotRecorded() async throws {
        let unjudged = try Evidence.judged(
            kind: Evidence.Kind(rawValue: 3),
            try Self.evidence().first,
            try Self.evidence().second
        )
        try await withTemporaryDirectory { directory in
            try await withNode(in: directory, plugins: [Witness(toRecord: unjudged)]) { node in
                try await node.startPlugins()
                await node.pluginRequestsDone()
                #expect(try node.store.evidenceList(limit: 10).isEmpty)
            }
        }
    }

    /// Node A's plug-in records kind-2 evidence before B connects; A offers it on the new connection, B (whose
    /// plug-in judges kind 2) accepts it and records it: listed, with its blobs, and fed to B's plug-in.
    @Test func pluginEvidenceAcceptedFromAPeerIsRecorded() async throws {
        let evidence = try Self.evidence()
        try await withTemporaryDirectory { first in
            try await withTemporaryDirectory { second in
                try await withNode(in: first, identity: testKey(1), plugins: [Witness(toRecord: evidence)]) { a in
                    try await a.startPlugins()
                    let recorded = await eventually { (try? a.store.evidenceList(limit: 10)) == [evidence] }
                    #expect(recorded)
                    var configuration = NodeConfiguration()
                    configuration.listen = HostPort(host: "127.0.0.1", port: 0)
                    try await a.startMesh(configuration.mesh, seed: 1)
                    let port = try #require(await a.meshPort)
                    try await withNode(in: second, identity: testKey(2), plugins: [Witness()]) { b in
                        try await b.startPlugins()
                        configuration.peers = [HostPort(host: "127.0.0.1", port: port)]
                        try await b.startMesh(configuration.mesh, seed: 2)
                        let listed = await eventually { (try? b.store.evidenceList(limit: 10)) == [evidence] }
                        #expect(listed)
                        #expect(try b.store.has(evidence.first.id) && b.store.has(evidence.second.id))
                        let fed = await eventually { (try? Self.witnessEvents(b)) == ["\"\(evidence.id.hex)\""] }
                        #expect(fed)
                        let evidenceEvents = try b.store.events(after: 0, limit: 1_000).filter {
                            $0.topic == "evidence"
                        }
                        #expect(evidenceEvents.map(\.kind) == [.evidence(evidence.id)])
                    }
                }
            }
        }
    }
}
