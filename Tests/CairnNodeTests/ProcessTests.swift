import CairnCore
import Foundation
import Testing

/// Real `cairn` processes on 127.0.0.1 with temporary data directories.
@Suite(.serialized) struct ProcessTests {
    /// Every blob whose `cairn put` was acknowledged survives SIGKILL and restart.
    @Test func acknowledgedBlobsSurviveSigkill() async throws {
        try await withTemporaryDirectory { data in
            let first = try NodeProcess(data: data)
            guard let api = await first.waitForAPI() else {
                Issue.record("node did not start: \(first.log)")
                return
            }
            var acknowledged: [(id: String, payload: Data)] = []
            for index in 0..<20 {
                let payload = Data("blob \(index) \(UUID())".utf8)
                let put = try NodeProcess.run(
                    ["put", "--data", data, "--api", api, "--channel", "log"],
                    stdin: payload
                )
                #expect(put.status == 0, "put failed: \(put.stderr)")
                let id = String(decoding: put.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(BlobID(hex: id) != nil)
                acknowledged.append((id, payload))
            }
            first.stop(signal: SIGKILL)

            let second = try NodeProcess(data: data)
            defer { second.stop(signal: SIGTERM) }
            guard let restarted = await second.waitForAPI() else {
                Issue.record("node did not restart: \(second.log)")
                return
            }
            for blob in acknowledged {
                let get = try NodeProcess.run(["get", blob.id, "--api", restarted])
                #expect(get.status == 0, "get failed: \(get.stderr)")
                #expect(get.stdout == blob.payload)
            }
            // The channel continues where it was: the next put is seq 21.
            let next = try NodeProcess.run(
                ["put", "--data", data, "--api", restarted, "--channel", "log", "--json"],
                stdin: Data("next".utf8)
            )
            let answer = try JSONSerialization.jsonObject(with: next.stdout) as? [String: Any]
            #expect(answer?["seq"] as? String == "21")
        }
    }

    @Test func sigtermShutsDownCleanly() async throws {
        try await withTemporaryDirectory { data in
            let node = try NodeProcess(data: data)
            guard await node.waitForAPI() != nil else {
                Issue.record("node did not start: \(node.log)")
                return
            }
            node.stop(signal: SIGTERM)
            #expect(node.process.terminationReason == .exit)
            #expect(node.process.terminationStatus == 0)
            #expect(node.log.contains("node stopped"))
        }
    }

    @Test func corruptDatabaseIsAClearErrorAtStartUp() async throws {
        try await withTemporaryDirectory { data in
            try FileManager.default.createDirectory(atPath: data + "/db", withIntermediateDirectories: true)
            try Data(repeating: 0xAB, count: 64 * 1024).write(to: URL(fileURLWithPath: data + "/db/data.mdb"))
            let result = try NodeProcess.run(["node", "--data", data, "--api", "127.0.0.1:0"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("cannot open the database"))
        }
    }

    @Test func malformedConfigurationIsAClearError() async throws {
        try await withTemporaryDirectory { data in
            try "[node\nbroken".write(toFile: data + "/bad.toml", atomically: false, encoding: .utf8)
            let result = try NodeProcess.run(["node", "--data", data, "--config", data + "/bad.toml"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("configuration syntax error"))
        }
    }

    @Test(arguments: [
        ["put", "--channel", "", "--token", "x"],
        ["get", "not-an-id"],
        ["node", "--api", "nonsense"],
        ["put", "--api", "ftp://x", "--token", "x"],
    ])
    func badArgumentsFailWithOneLine(_ arguments: [String]) throws {
        let result = try NodeProcess.run(arguments, stdin: Data())
        #expect(result.status != 0)
        #expect(!result.stderr.isEmpty)
        #expect(result.stdout.isEmpty)
    }

    /// The client commands speak through the client generated from Docs/openapi.yaml: a channel name with `/` and
    /// a space travels percent-encoded and reads back; the node's refusals come out as one line with the API's detail,
    /// status and code; `status` prints the node's counts as decimal strings.
    @Test func clientCommandsUseTheGeneratedClient() async throws {
        try await withTemporaryDirectory { data in
            let node = try NodeProcess(data: data)
            defer { node.stop(signal: SIGTERM) }
            guard let api = await node.waitForAPI() else {
                Issue.record("node did not start: \(node.log)")
                return
            }
            let put = try NodeProcess.run(
                ["put", "--data", data, "--api", api, "--channel", "a/b c+d", "--json"],
                stdin: Data("payload".utf8)
            )
            #expect(put.status == 0, "put failed: \(put.stderr)")
            let answer = try JSONSerialization.jsonObject(with: put.stdout) as? [String: Any]
            #expect(answer?["channel"] as? String == "a/b c+d")
            #expect(answer?["seq"] as? String == "1")
            let id = try #require(answer?["id"] as? String)
            let get = try NodeProcess.run(["get", id, "--api", api])
            #expect(get.stdout == Data("payload".utf8))

            let wrongToken = try NodeProcess.run(["put", "--api", api, "--token", "wrong"], stdin: Data("x".utf8))
            #expect(wrongToken.status == 1)
            #expect(
                wrongToken.stderr.contains("the bearer token is wrong (HTTP 401 unauthorized)"),
                "\(wrongToken.stderr)"
            )
            let missing = try NodeProcess.run(["get", String(repeating: "ab", count: 32), "--api", api])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("(HTTP 404 not_found)"), "\(missing.stderr)")
            let noQuorum = try NodeProcess.run(["quorum", "status", "--api", api])
            #expect(noQuorum.stderr.contains("(HTTP 404 no_quorum)"), "\(noQuorum.stderr)")

            let status = try NodeProcess.run(["status", "--api", api])
            #expect(status.status == 0, "status failed: \(status.stderr)")
            let info = try JSONSerialization.jsonObject(with: status.stdout) as? [String: Any]
            let counts = info?["counts"] as? [String: Any]
            #expect(counts?["blobs"] as? String == "1")
            #expect(counts?["payloadBytes"] as? String == "7")
        }
    }

    @Test func clientAgainstNoNodeFailsClearly() throws {
        let result = try NodeProcess.run(["status", "--api", "http://127.0.0.1:1"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach the node"))
    }
}
