import CairnCore
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Storage faults and quotas on real `cairn node` processes: a truncated database, a full disk, a peer's blobs
/// beyond this node's quota.
@Suite(.serialized) struct StorageProcessTests {
    /// A `data.mdb` shorter than its meta page says is refused at start with one line and exit status 1, not mapped.
    /// Before, the node started on it and served until a read reached a page past the end (a SIGBUS).
    @Test func truncatedDatabaseIsRefusedWithOneLine() async throws {
        try await withTemporaryDirectory { data in
            let node = try NodeProcess(data: data)
            guard let api = await node.waitForAPI() else {
                Issue.record("node did not start: \(node.log)")
                return
            }
            let payload = Data(repeating: 0x5A, count: 20_000)
            for _ in 0..<20 {
                let put = try NodeProcess.run(
                    ["put", "--data", data, "--api", api, "--channel", "log"],
                    stdin: payload
                )
                #expect(put.status == 0, "put failed: \(put.stderr)")
            }
            node.stop(signal: SIGTERM)
            let file = data + "/db/data.mdb"
            let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            try handle.truncate(atOffset: UInt64(size / 3))
            try handle.close()

            // Before the check the node started on it: wait for the exit with a deadline, never for ever.
            let refused = try NodeProcess(data: data)
            defer { refused.stop(signal: SIGKILL) }
            let exited = await eventually(timeout: .seconds(30)) { !refused.process.isRunning }
            #expect(exited, "the node still runs on a truncated database: \(refused.log)")
            guard exited else { return }
            #expect(refused.process.terminationReason == .exit)
            #expect(refused.process.terminationStatus == 1, "\(refused.log)")
            let lines = refused.log.split(separator: "\n")
            #expect(lines.count == 1, "expected one line, got: \(refused.log)")
            #expect(refused.log.contains("truncated"))
            #expect(refused.log.contains("fileBytes: \(size / 3)"))
        }
    }

    /// On a full disk (a 2 MiB tmpfs under the database), a POST fails with 507 `storage_full` and one log line,
    /// reads go on, every acknowledged blob stays readable, and writes succeed again once the tmpfs grows. Needs root
    /// (to mount the tmpfs); skipped without it.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullDiskFailsWritesWith507AndWritesResumeWhenSpaceReturns() async throws {
        try await withTemporaryDirectory { data in
            let database = data + "/db"
            try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
            guard Self.mount(["-t", "tmpfs", "-o", "size=2m", "tmpfs", database]) else {
                // A container without CAP_SYS_ADMIN: nothing to test here.
                return
            }
            defer { _ = Self.mount(["-u", database], command: "/usr/bin/umount") }
            let node = try NodeProcess(data: data)
            defer { node.stop(signal: SIGKILL) }
            guard let (api, token, acknowledged) = try await Self.fillUntilFull(node, data: data, limit: "2 MiB disk")
            else { return }
            #expect(!acknowledged.isEmpty)
            // Further writes fail the same way; the node logs the condition once, not per write.
            let again = try await Self.post(Data(repeating: 0x42, count: 100_000), api: api, token: token)
            #expect(again.status == 507)
            #expect(node.log.components(separatedBy: "storage full").count - 1 == 1, "\(node.log)")
            let metrics = try await Self.text(api + "/metrics")
            #expect(metrics.contains("cairn_store_storage_full 1"))

            #expect(Self.mount(["-o", "remount,size=16m", database]))
            let resumed = try await Self.post(Data("after".utf8), api: api, token: token)
            #expect(resumed.status == 201, "\(resumed.body)")
            #expect(node.log.contains("writes resumed"))

            node.stop(signal: SIGTERM)
            let restarted = try NodeProcess(data: data)
            defer { restarted.stop(signal: SIGKILL) }
            guard let again = await restarted.waitForAPI() else {
                Issue.record("node did not restart: \(restarted.log)")
                return
            }
            for blob in acknowledged {
                #expect(try await Self.payload(blob.id, api: again) == blob.payload)
            }
        }
    }

    /// Past the process's file-size limit (`prlimit --fsize`, no root needed) a write fails with EFBIG: 507
    /// `storage_full`, not the SIGXFSZ that used to end the node; reads go on, and writes resume once the limit is
    /// raised on the running process.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit"))
    func fileSizeLimitFailsWritesWith507AndWritesResumeWhenRaised() async throws {
        try await withTemporaryDirectory { data in
            let limit = 2 * 1024 * 1024
            let node = try NodeProcess(data: data, launcher: ["/usr/bin/prlimit", "--fsize=\(limit):unlimited", "--"])
            defer { node.stop(signal: SIGKILL) }
            guard
                let (api, token, _) = try await Self.fillUntilFull(node, data: data, limit: "2 MiB file-size limit")
            else { return }
            #expect(Self.mount(["--pid", "\(node.pid)", "--fsize=unlimited:unlimited"], command: "/usr/bin/prlimit"))
            let resumed = try await Self.post(Data(repeating: 0x42, count: 100_000), api: api, token: token)
            #expect(resumed.status == 201, "\(resumed.body)")
        }
    }

    /// Node 1 stores at most 2 blobs per author; node 0 has no such bound. Of an author's 3 blobs posted to node 0,
    /// node 1 stores the first 2 and refuses the third without penalising node 0, remembers the refusal, and its
    /// reconciliation rounds do not fetch the blob again. Posted to node 1 directly, it is a 403 `quota_exceeded`.
    @Test func aPeersBlobBeyondTheQuotaIsRefusedWithoutPenaltyAndNotFetchedAgain() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            let quota = MeshCluster.testConfiguration + "\n[storage]\nauthor_max_blobs = 2\n[sync]\ninterval_ms = 200\n"
            try await cluster.start(peers: [0], config: quota)
            let connected = try await eventually { try await cluster.peerIDs(of: 1).count == 1 }
            #expect(connected)

            let blobs = try signedChain(
                testKey(0x71),
                channel: "quota",
                count: 3,
                payload: { Array("blob \($0)".utf8) }
            )
            for blob in blobs { try await cluster.publishSigned(blob.encoding, on: 0) }
            let ids = blobs.map(\.id.hex)
            #expect(try await eventually { try await cluster.hasAll(Array(ids[0..<2]), on: 1) })
            let refused = try await eventually {
                try await Self.metric("cairn_store_quota_refusals_total{reason=\"author_blobs\"}", cluster, 1) == 1
            }
            #expect(refused, "node 1 did not refuse the third blob")
            let fetchesAtRefusal = try await Self.metric("cairn_sync_fetches_total", cluster, 1)

            // Several reconciliation rounds find the blob missing and skip it.
            let skipped = try await eventually(timeout: .seconds(20)) {
                try await Self.metric("cairn_sync_refused_skipped_total", cluster, 1) >= 3
            }
            #expect(skipped, "reconciliation did not skip the refused blob")
            #expect(try await Self.metric("cairn_sync_fetches_total", cluster, 1) == fetchesAtRefusal)
            #expect(try await Self.metric("cairn_store_quota_refusals_total{reason=\"author_blobs\"}", cluster, 1) == 1)
            #expect(try await !cluster.has(ids[2], on: 1))
            #expect(try await cluster.has(ids[2], on: 0))

            // Node 0 relayed a valid blob: not banned, still connected.
            let peer = try await cluster.id(of: 0)
            #expect(try await cluster.peerIDs(of: 1) == [peer])
            #expect(try await cluster.bans(of: 1).isEmpty)

            let token = try String(contentsOfFile: cluster.nodes[1].data + "/api.token", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let direct = try await Self.post(
                Data(blobs[2].encoding),
                api: cluster.apis[1],
                token: token,
                path: "/v1/blobs/signed"
            )
            #expect(direct.status == 403)
            #expect(direct.body["error"] as? String == "quota_exceeded")
            #expect((direct.body["detail"] as? String)?.contains("storage.author_max_blobs") == true)
        }
    }

    /// With a genesis, its stake table's keys are exempt from the quota (a static list read from the file): a stake
    /// holder's second blob is stored where another key's second blob is refused.
    @Test func genesisStakeKeysAreExemptFromTheQuota() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start(config: GenesisProcessTests.demoConfiguration + "[storage]\nauthor_max_blobs = 1\n")
            let token = try String(contentsOfFile: cluster.nodes[0].data + "/api.token", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            // Seed 0x01…01 holds stake in Config/genesis.toml; 0x42…42 does not.
            for (key, secondStatus) in [(testKey(1), 201), (testKey(0x42), 403)] {
                let first = try SignedBlob.sign(
                    key: key,
                    channel: ChannelName("notes"),
                    seq: 1,
                    prev: .zero,
                    timestamp: 1_700_000_000_000,
                    payload: Array("first".utf8)
                )
                let second = try SignedBlob.sign(
                    key: key,
                    channel: ChannelName("notes"),
                    seq: 2,
                    prev: first.id,
                    timestamp: 1_700_000_000_001,
                    payload: Array("second".utf8)
                )
                for (blob, status) in [(first, 201), (second, secondStatus)] {
                    let answer = try await Self.post(
                        Data(blob.encoding),
                        api: cluster.apis[0],
                        token: token,
                        path: "/v1/blobs/signed"
                    )
                    #expect(answer.status == status, "\(answer.body)")
                }
            }
        }
    }

    // MARK: Helpers

    /// Waits for `node`'s API and publishes until a write is refused; checks that the refusal is 507 `storage_full`,
    /// that the node still runs and that every acknowledged blob reads back.
    /// - Returns: the API address, the token and the acknowledged blobs; `nil` (recorded) when the node did not
    ///   start.
    static func fillUntilFull(
        _ node: NodeProcess,
        data: String,
        limit: String
    ) async throws -> (api: String, token: String, acknowledged: [(id: String, payload: Data)])? {
        guard let api = await node.waitForAPI() else {
            Issue.record("node did not start: \(node.log)")
            return nil
        }
        let token = try String(contentsOfFile: data + "/api.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (acknowledged, refusal) = try await fillUntilRefused(api: api, token: token)
        let full = try #require(refusal, "a \(limit) took 10 MB")
        #expect(full.status == 507, "\(full.body)")
        #expect(full.body["error"] as? String == "storage_full")
        #expect(node.process.isRunning, "the node died: \(node.log)")
        for blob in acknowledged {
            #expect(try await payload(blob.id, api: api) == blob.payload)
        }
        return (api, token, acknowledged)
    }

    /// Publishes distinct 100 kB payloads until one is not stored (at most 100): the acknowledged ones, and the
    /// answer that refused one, if any.
    static func fillUntilRefused(
        api: String,
        token: String
    ) async throws -> ([(id: String, payload: Data)], (status: Int, body: [String: Any])?) {
        var acknowledged: [(id: String, payload: Data)] = []
        for index in 0..<100 {
            let payload = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
            let answer = try await post(payload, api: api, token: token)
            guard answer.status == 201, let id = answer.body["id"] as? String else { return (acknowledged, answer) }
            acknowledged.append((id, payload))
        }
        return (acknowledged, nil)
    }

    /// Runs `mount` (or `command`: `umount`, `prlimit`) with `arguments`; `true` when it exits 0.
    static func mount(_ arguments: [String], command: String = "/usr/bin/mount") -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// POSTs `body` to `path` (a payload on channel `log` by default) and returns the status and JSON body.
    static func post(
        _ body: Data,
        api: String,
        token: String,
        path: String = "/v1/blobs?channel=log"
    ) async throws -> (status: Int, body: [String: Any]) {
        var request = URLRequest(url: URL(string: api + path)!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, object)
    }

    /// The raw payload of blob `id`.
    static func payload(_ id: String, api: String) async throws -> Data {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "\(api)/v1/blobs/\(id)/payload")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        return data
    }

    static func text(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of the Prometheus sample `name` (with its labels) on node `index`; 0 when it is not exported yet.
    static func metric(_ name: String, _ cluster: MeshCluster, _ index: Int) async throws -> Int {
        let text = try await cluster.metricsText(of: index)
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(Double(line.dropFirst(name.count + 1)) ?? -1)
        }
        return 0
    }
}
