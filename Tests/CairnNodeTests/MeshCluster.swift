import CairnCore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Real `cairn node` processes on 127.0.0.1 with fast timers, each in its own temporary data directory.
final class MeshCluster: @unchecked Sendable {
    // @unchecked: only the owning test touches `nodes`.
    /// Faster than the defaults so that tests converge in seconds.
    static let testConfiguration = """
        [gossip]
        heartbeat_ms = 100
        want_timeout_ms = 500
        [peers]
        exchange_interval_ms = 300
        outbound_target = 4
        """

    let root: String
    private(set) var nodes: [NodeProcess] = []
    private(set) var apis: [String] = []
    private(set) var meshAddresses: [String] = []

    init(root: String) {
        self.root = root
    }

    /// Starts one node that dials `peers` (indices of earlier nodes); returns its index.
    /// - Parameters:
    ///   - peers: indices of earlier nodes to dial.
    ///   - config: the node's `cairn.toml`.
    ///   - key: the node's key (default: one the node generates).
    ///   - extraArguments: more `cairn node` flags.
    @discardableResult
    func start(
        peers: [Int] = [],
        config: String = MeshCluster.testConfiguration,
        key: SigningKey? = nil,
        extraArguments: [String] = []
    ) async throws -> Int {
        let index = nodes.count
        let data = "\(root)/node\(index)"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try config.write(toFile: data + "/cairn.toml", atomically: false, encoding: .utf8)
        if let key {
            try (Hex.encode(key.seed) + "\n").write(toFile: data + "/node.key", atomically: false, encoding: .utf8)
        }
        let arguments = peers.flatMap { ["--peer", meshAddresses[$0]] } + extraArguments
        let node = try NodeProcess(data: data, extraArguments: arguments)
        nodes.append(node)
        guard let api = await node.waitForAPI() else { throw ClusterError.didNotStart(index: index, log: node.log) }
        let mesh = try String(contentsOfFile: data + "/p2p.addr", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        apis.append(api)
        meshAddresses.append(mesh)
        return index
    }

    /// Kills node `index` and starts it again on the same data directory, dialling `peers`; its API and mesh
    /// addresses change.
    func restart(_ index: Int, peers: [Int]) async throws {
        nodes[index].stop(signal: SIGKILL)
        let arguments = peers.flatMap { ["--peer", meshAddresses[$0]] }
        let node = try NodeProcess(data: nodes[index].data, extraArguments: arguments)
        nodes[index] = node
        guard let api = await node.waitForAPI() else { throw ClusterError.didNotStart(index: index, log: node.log) }
        apis[index] = api
        meshAddresses[index] = try String(contentsOfFile: node.data + "/p2p.addr", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The number of blobs node `index` stores (`counts.blobs` of `/v1/node`), or -1 when it does not answer.
    func blobCount(on index: Int) async -> Int {
        guard let object = try? await get("/v1/node", on: index), let counts = object["counts"] as? [String: Any],
            let blobs = (counts["blobs"] as? String).flatMap({ Int($0) })
        else { return -1 }
        return blobs
    }

    /// The status code of `GET path` on node `index` (0 when it does not answer).
    func status(_ path: String, on index: Int) async -> Int {
        guard let (_, response) = try? await URLSession.shared.data(from: URL(string: apis[index] + path)!) else {
            return 0
        }
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// Publishes `payload` on node `index` and returns the blob id.
    func publish(on index: Int, channel: String = "main", payload: String) async throws -> String {
        let token = try String(contentsOfFile: nodes[index].data + "/api.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var request = URLRequest(url: URL(string: "\(apis[index])/v1/blobs?channel=\(channel)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(payload.utf8)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let id = object["id"] as? String
        else { throw ClusterError.badAnswer(String(decoding: data, as: UTF8.self)) }
        return id
    }

    /// Posts a canonical signed blob to node `index`.
    func publishSigned(_ encoding: [UInt8], on index: Int) async throws {
        let token = try String(contentsOfFile: nodes[index].data + "/api.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var request = URLRequest(url: URL(string: "\(apis[index])/v1/blobs/signed")!)
        request.httpMethod = "POST"
        request.httpBody = Data(encoding)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode, (200..<300).contains(status) else {
            throw ClusterError.badAnswer(String(decoding: data, as: UTF8.self))
        }
    }

    /// POSTs a JSON body to node `index` with its token; returns the status and the body.
    func post(_ path: String, json: [String: Any], on index: Int) async throws -> (status: Int, body: [String: Any]) {
        let token = try String(contentsOfFile: nodes[index].data + "/api.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var request = URLRequest(url: URL(string: apis[index] + path)!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: json)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        let body = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, body)
    }

    /// Node `index`'s Prometheus text.
    func metricsText(of index: Int) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: apis[index] + "/metrics")!)
        return String(decoding: data, as: UTF8.self)
    }

    /// `GET` a JSON object from node `index`.
    func get(_ path: String, on index: Int) async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: apis[index] + path)!)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ClusterError.badAnswer(String(decoding: data, as: UTF8.self))
        }
        return object
    }

    /// Whether node `index` holds blob `id` (200 or 404); any other answer, or none, throws.
    func has(_ id: String, on index: Int) async throws -> Bool {
        try await exists("/v1/blobs/\(id)/payload", on: index)
    }

    /// Whether node `index` holds every blob in `ids`.
    func hasAll(_ ids: [String], on index: Int) async throws -> Bool {
        for id in ids where !(try await has(id, on: index)) { return false }
        return true
    }

    /// Whether node `index` has recorded evidence `id` (200 or 404); any other answer, or none, throws.
    func hasEvidence(_ id: String, on index: Int) async throws -> Bool {
        try await exists("/v1/evidence/\(id)", on: index)
    }

    /// Whether node `index` has recorded every evidence in `ids`.
    func hasAllEvidence(_ ids: [String], on index: Int) async throws -> Bool {
        for id in ids where !(try await hasEvidence(id, on: index)) { return false }
        return true
    }

    /// `true` for 200, `false` for 404; a failed request or another status throws, so that a broken node never reads
    /// as "does not have it".
    private func exists(_ path: String, on index: Int) async throws -> Bool {
        let (data, response) = try await URLSession.shared.data(from: URL(string: apis[index] + path)!)
        switch (response as? HTTPURLResponse)?.statusCode {
        case 200: return true
        case 404: return false
        default: throw ClusterError.badAnswer("GET \(path): \(response) \(String(decoding: data, as: UTF8.self))")
        }
    }

    /// The node keys of node `index`'s connected peers; throws when the node does not answer with a peer list.
    func peerIDs(of index: Int) async throws -> [String] {
        try await peerList("peers", of: index)
    }

    /// The node keys node `index` has banned; throws when the node does not answer with a ban list.
    func bans(of index: Int) async throws -> [String] {
        try await peerList("bans", of: index)
    }

    private func peerList(_ key: String, of index: Int) async throws -> [String] {
        let object = try await get("/v1/peers", on: index)
        guard let entries = object[key] as? [[String: Any]] else {
            throw ClusterError.badAnswer("GET /v1/peers has no \(key): \(object)")
        }
        return try entries.map { entry in
            guard let id = entry["id"] as? String else { throw ClusterError.badAnswer("\(key) entry without id") }
            return id
        }
    }

    /// Node `index`'s own id.
    func id(of index: Int) async throws -> String {
        let object = try await get("/v1/node", on: index)
        guard let id = object["id"] as? String, id.count == 64 else { throw ClusterError.badAnswer("\(object)") }
        return id
    }

    /// The value of an unlabelled metric of node `index`; throws when the node does not report it.
    func metric(_ name: String, of index: Int) async throws -> Double {
        let text = try await metricsText(of: index)
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            if let value = Double(line.dropFirst(name.count + 1)) { return value }
        }
        throw ClusterError.badAnswer("no metric \(name) in /metrics")
    }

    /// Stops every node (SIGKILL) and waits for them.
    func stopAll() {
        for node in nodes { node.stop(signal: SIGKILL) }
    }

    deinit { stopAll() }

    enum ClusterError: Error {
        case didNotStart(index: Int, log: String)
        case badAnswer(String)
    }
}
