import CairnCore
import CairnProtocol
import CairnStore
import Foundation
import TOMLKit

/// Everything a node is configured with. Command-line flags override the file, which overrides these defaults.
public struct NodeConfiguration: Equatable, Sendable {
    /// The mesh name; it selects the network key, and nodes of different networks never connect.
    public var network = "cairn"
    /// The peer-to-peer listen address.
    public var listen = HostPort(host: "0.0.0.0", port: 7700)
    /// Bootstrap peers.
    public var peers: [HostPort] = []
    /// The HTTP API listen address.
    public var api = HostPort(host: "127.0.0.1", port: 7701)
    /// Live events buffered per Server-Sent Events client before the node closes that stream (the client resumes).
    public var sseBufferEvents = 1024
    /// Server-Sent Events streams open at once; one more is answered 503 `too_many_streams`.
    public var maxEventStreams = 1024
    /// How often an idle event stream gets a comment line, in milliseconds, so that a dead client is found by the
    /// write that fails, and proxies keep the connection.
    public var sseKeepaliveMilliseconds = 15_000
    /// The largest payload accepted, in bytes.
    public var maxBlobBytes = SignedBlob.defaultMaxPayloadBytes
    /// The LMDB map size at start, in MiB; the map grows when full.
    public var initialMapSizeMiB = 64
    /// The most puts in one write transaction.
    public var commitBatchMax = 1000
    /// The most puts queued for the writer; past it, puts fail with 503.
    public var maxPendingWrites = 100_000
    /// Whether every commit is fsync'd. Turn off only for benchmarks.
    public var durable = true
    /// What the store holds per author and in total (`storage.author_max_bytes`, `storage.author_max_blobs`,
    /// `storage.max_bytes`, `storage.quota_exempt`); `cairn node` adds the genesis stake table's keys and the node's
    /// own key to the exempt authors.
    public var quota = StoreQuota(
        authorMaxBytes: NodeConfiguration.defaultAuthorMaxBytes,
        authorMaxBlobs: NodeConfiguration.defaultAuthorMaxBlobs,
        maxBytes: NodeConfiguration.defaultMaxStoredBytes
    )
    /// The default `storage.author_max_bytes`: 1 GiB of payload per author.
    public static let defaultAuthorMaxBytes: UInt64 = 1 << 30
    /// The default `storage.author_max_blobs`.
    public static let defaultAuthorMaxBlobs: UInt64 = 1_000_000
    /// The default `storage.max_bytes`: 64 GiB of payload in all.
    public static let defaultMaxStoredBytes: UInt64 = 64 << 30
    /// The most events the event log keeps (`events.retention`); older ones are dropped, and an SSE client that
    /// resumes from before the oldest kept is told it fell behind.
    public var maxRetainedEvents = StoreConfiguration.defaultMaxRetainedEvents
    /// The log level: trace, debug, info, notice, warning, error or critical.
    public var logLevel = "info"
    /// Gossip parameters (`[gossip]`).
    public var gossip = GossipConfiguration()
    /// Peer management (`[peers]`).
    public var peerPolicy = PeerConfiguration()
    /// Per-peer send budgets (`[peers] send_budget_*`).
    public var sendBudget = SendQueue.Budget()
    /// A peer silent this long is sent a `ping` (`peers.ping_interval_ms`).
    public var pingIntervalMilliseconds: UInt64 = 10_000
    /// A peer silent this long, ping unanswered, is disconnected as dead (`peers.ping_timeout_ms`).
    public var pingTimeoutMilliseconds: UInt64 = 30_000
    /// Set reconciliation (`[sync]`).
    public var sync = Replica.SyncConfiguration()
    /// The genesis file of a quorum network (`node.genesis`, or `cairn node --genesis`); `nil` for a plain mesh.
    public var genesisPath: String?
    /// The loaded genesis's hash, which goes into the network key; set by whoever loads the genesis.
    public var genesisHash: [UInt8]?

    /// What the mesh driver runs with.
    public var mesh: MeshConfiguration {
        MeshConfiguration(
            network: network,
            listen: listen,
            bootstrap: peers,
            gossip: gossip,
            peers: peerPolicy,
            sendBudget: sendBudget,
            maxBlobBytes: maxBlobBytes,
            pingIntervalMilliseconds: pingIntervalMilliseconds,
            pingTimeoutMilliseconds: pingTimeoutMilliseconds,
            sync: sync,
            genesisHash: genesisHash
        )
    }

    /// The defaults.
    public init() {}

    /// Parses a TOML document over the defaults; keys it does not name keep their default.
    /// - Throws: `ConfigError` for bad syntax, an unknown key or a bad value.
    public init(toml text: String) throws(ConfigError) {
        self.init()
        let file: ConfigFile
        do {
            file = try TOMLDecoder(strictDecoding: true).decode(ConfigFile.self, from: text)
        } catch let error as TOMLParseError {
            throw .syntax(line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch let error as UnexpectedKeysError {
            let key = error.keys.keys.sorted().first ?? "?"
            throw .unknownKey(key)
        } catch let DecodingError.typeMismatch(type, context) {
            throw .wrongType(key: Self.path(context.codingPath), expected: Self.typeName(type))
        } catch let DecodingError.keyNotFound(key, context) {
            // TOMLKit reports a value of another type as a missing key of the expected one.
            let path =
                context.codingPath.last?.stringValue == key.stringValue
                ? context.codingPath : context.codingPath + [key]
            throw .wrongType(key: Self.path(path), expected: Self.typeName(context))
        } catch let DecodingError.valueNotFound(type, context) {
            throw .wrongType(key: Self.path(context.codingPath), expected: Self.typeName(type))
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidValue(key: Self.path(context.codingPath), value: "?", reason: context.debugDescription)
        } catch {
            throw .syntax(line: 0, column: 0, message: String(describing: error))
        }
        try apply(file)
    }

    /// Reads and parses a configuration file.
    /// - Throws: `ConfigError`.
    public init(contentsOfFile path: String) throws(ConfigError) {
        let text: String
        do {
            text = try FileProblem.readText(path)
        } catch {
            throw .unreadable(path: path, reason: error.reason)
        }
        try self.init(toml: text)
    }

    private mutating func apply(_ file: ConfigFile) throws(ConfigError) {
        if let node = file.node {
            if let value = node.network {
                guard NetworkName.isValid(value) else {
                    throw .invalidValue(key: "node.network", value: Self.quoted(value), reason: NetworkName.rule)
                }
                network = value
            }
            if let value = node.listen {
                listen = try Self.hostPort(value, key: "node.listen")
                guard listen.isNumeric else {
                    throw .invalidValue(key: "node.listen", value: Self.quoted(value), reason: HostPort.numericRule)
                }
            }
            if let values = node.peers {
                peers = try values.map { value throws(ConfigError) in try Self.hostPort(value, key: "node.peers") }
            }
            if let value = node.genesis {
                guard !value.isEmpty else {
                    throw .invalidValue(key: "node.genesis", value: "\"\"", reason: "a file path")
                }
                genesisPath = value
            }
        }
        if let api = file.api {
            if let value = api.listen { self.api = try Self.hostPort(value, key: "api.listen") }
            if let value = api.sse_buffer_events {
                sseBufferEvents = try Self.range(value, 1...1_000_000, key: "api.sse_buffer_events")
            }
            if let value = api.max_event_streams {
                maxEventStreams = try Self.range(value, 1...1_000_000, key: "api.max_event_streams")
            }
            if let value = api.sse_keepalive_ms {
                sseKeepaliveMilliseconds = try Self.range(value, 100...3_600_000, key: "api.sse_keepalive_ms")
            }
        }
        if let storage = file.storage {
            if let value = storage.max_blob_bytes {
                maxBlobBytes = try Self.range(
                    value,
                    0...SignedBlob.protocolMaxPayloadBytes,
                    key: "storage.max_blob_bytes"
                )
            }
            if let value = storage.initial_map_size_mib {
                initialMapSizeMiB = try Self.range(value, 1...1_048_576, key: "storage.initial_map_size_mib")
            }
            if let value = storage.commit_batch_max {
                commitBatchMax = try Self.range(value, 1...100_000, key: "storage.commit_batch_max")
            }
            if let value = storage.max_pending_writes {
                maxPendingWrites = try Self.range(value, 1...10_000_000, key: "storage.max_pending_writes")
            }
            if let value = storage.durable { durable = value }
            try applyQuota(storage)
        }
        if let events = file.events, let value = events.retention {
            maxRetainedEvents = try Self.range(value, 1...1_000_000_000, key: "events.retention")
        }
        if let section = file.gossip { try apply(section) }
        if let section = file.peers { try apply(section) }
        if let section = file.sync { try apply(section) }
        if let log = file.log, let value = log.level {
            guard Self.logLevels.contains(value) else {
                throw .invalidValue(
                    key: "log.level",
                    value: Self.quoted(value),
                    reason: "one of \(Self.logLevels.joined(separator: ", "))"
                )
            }
            logLevel = value
        }
    }

    /// `storage.author_max_bytes`, `storage.author_max_blobs`, `storage.max_bytes` (0: no bound) and
    /// `storage.quota_exempt` (hex public keys).
    private mutating func applyQuota(_ storage: ConfigFile.Storage) throws(ConfigError) {
        func bound(_ value: Int?, key: String) throws(ConfigError) -> UInt64?? {
            guard let value else { return .none }
            let checked = try Self.range(value, 0...Int.max, key: key)
            return .some(checked == 0 ? nil : UInt64(checked))
        }
        if let value = try bound(storage.author_max_bytes, key: "storage.author_max_bytes") {
            quota.authorMaxBytes = value
        }
        if let value = try bound(storage.author_max_blobs, key: "storage.author_max_blobs") {
            quota.authorMaxBlobs = value
        }
        if let value = try bound(storage.max_bytes, key: "storage.max_bytes") { quota.maxBytes = value }
        if let values = storage.quota_exempt {
            var keys: Set<PublicKey> = []
            for text in values {
                guard let key = PublicKey(hex: text) else {
                    throw .invalidValue(
                        key: "storage.quota_exempt",
                        value: "\"\(text)\"",
                        reason: "expected a public key of 64 hexadecimal characters"
                    )
                }
                keys.insert(key)
            }
            quota.exemptAuthors = keys
        }
    }

    private mutating func apply(_ section: ConfigFile.Gossip) throws(ConfigError) {
        if let value = section.mesh_degree {
            gossip.meshDegree = try Self.range(value, 1...64, key: "gossip.mesh_degree")
        }
        if let value = section.mesh_degree_low {
            gossip.meshDegreeLow = try Self.range(value, 0...64, key: "gossip.mesh_degree_low")
        }
        if let value = section.mesh_degree_high {
            gossip.meshDegreeHigh = try Self.range(value, 1...256, key: "gossip.mesh_degree_high")
        }
        guard gossip.meshDegreeLow <= gossip.meshDegree, gossip.meshDegree <= gossip.meshDegreeHigh else {
            throw .invalidValue(
                key: "gossip.mesh_degree",
                value: "\(gossip.meshDegree)",
                reason: "need mesh_degree_low <= mesh_degree <= mesh_degree_high"
            )
        }
        if let value = section.lazy_degree {
            gossip.lazyDegree = try Self.range(value, 0...256, key: "gossip.lazy_degree")
        }
        if let value = section.heartbeat_ms {
            gossip.heartbeatMilliseconds = UInt64(try Self.range(value, 10...60_000, key: "gossip.heartbeat_ms"))
        }
        if let value = section.seen_cache_entries {
            gossip.seenCacheEntries = try Self.range(value, 16...10_000_000, key: "gossip.seen_cache_entries")
        }
        if let value = section.eager_push_max_bytes {
            gossip.eagerPushMaxBytes = try Self.range(
                value,
                0...SignedBlob.protocolMaxPayloadBytes,
                key: "gossip.eager_push_max_bytes"
            )
        }
        if let value = section.want_timeout_ms {
            gossip.wantTimeoutMilliseconds = UInt64(try Self.range(value, 10...600_000, key: "gossip.want_timeout_ms"))
        }
    }

    private mutating func apply(_ section: ConfigFile.Peers) throws(ConfigError) {
        if let value = section.outbound_target {
            peerPolicy.outboundTarget = try Self.range(value, 0...1000, key: "peers.outbound_target")
        }
        if let value = section.inbound_cap {
            peerPolicy.inboundCap = try Self.range(value, 0...10_000, key: "peers.inbound_cap")
        }
        if let value = section.max_pending_handshakes {
            peerPolicy.maxPendingHandshakes = try Self.range(value, 1...10_000, key: "peers.max_pending_handshakes")
        }
        if let value = section.max_pending_handshakes_per_host {
            peerPolicy.maxPendingHandshakesPerHost = try Self.range(
                value,
                1...10_000,
                key: "peers.max_pending_handshakes_per_host"
            )
        }
        if let value = section.handshake_timeout_ms {
            peerPolicy.handshakeTimeoutMilliseconds = UInt64(
                try Self.range(value, 100...600_000, key: "peers.handshake_timeout_ms")
            )
        }
        if let value = section.max_known_addresses {
            peerPolicy.maxKnownAddresses = try Self.range(value, 1...1_000_000, key: "peers.max_known_addresses")
        }
        if let value = section.ban_seconds {
            peerPolicy.banMilliseconds = UInt64(try Self.range(value, 1...31_536_000, key: "peers.ban_seconds")) * 1000
        }
        if let value = section.exchange_interval_ms {
            peerPolicy.peerExchangeMilliseconds = UInt64(
                try Self.range(value, 100...3_600_000, key: "peers.exchange_interval_ms")
            )
        }
        if let value = section.send_budget_lazy_bytes {
            sendBudget.lazyBytes = try Self.range(value, 0...1 << 30, key: "peers.send_budget_lazy_bytes")
        }
        if let value = section.send_budget_total_bytes {
            sendBudget.totalBytes = try Self.range(value, 64 * 1024...1 << 32, key: "peers.send_budget_total_bytes")
        }
        if let value = section.ping_interval_ms {
            pingIntervalMilliseconds = UInt64(try Self.range(value, 100...3_600_000, key: "peers.ping_interval_ms"))
        }
        if let value = section.ping_timeout_ms {
            pingTimeoutMilliseconds = UInt64(try Self.range(value, 200...3_600_000, key: "peers.ping_timeout_ms"))
        }
        guard pingTimeoutMilliseconds > pingIntervalMilliseconds else {
            throw .invalidValue(
                key: "peers.ping_timeout_ms",
                value: "\(pingTimeoutMilliseconds)",
                reason: "must be greater than peers.ping_interval_ms (\(pingIntervalMilliseconds))"
            )
        }
    }

    private mutating func apply(_ section: ConfigFile.Sync) throws(ConfigError) {
        if let value = section.interval_ms {
            sync.intervalMilliseconds = UInt64(try Self.range(value, 100...86_400_000, key: "sync.interval_ms"))
        }
        if let value = section.frame_limit_bytes {
            sync.frameSizeLimit = try Self.range(
                value,
                NegentropyReconciler.minimumFrameSizeLimit...WireMessage.maxSyncBytes,
                key: "sync.frame_limit_bytes"
            )
        }
        if let value = section.ready_timeout_ms {
            sync.readyTimeoutMilliseconds = UInt64(try Self.range(value, 0...3_600_000, key: "sync.ready_timeout_ms"))
        }
        if let value = section.max_fetches_in_flight {
            sync.maxFetchesInFlight = try Self.range(value, 1...100_000, key: "sync.max_fetches_in_flight")
        }
        if let value = section.max_refused {
            sync.maxRefused = try Self.range(value, 1...10_000_000, key: "sync.max_refused")
        }
    }

    /// The log levels `log.level` accepts.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Parses a `host:port` value, naming `key` in the error.
    /// - Throws: `ConfigError.invalidValue`.
    public static func hostPort(_ text: String, key: String) throws(ConfigError) -> HostPort {
        guard let value = HostPort(parsing: text) else {
            throw .invalidValue(key: key, value: quoted(text), reason: "expected host:port")
        }
        return value
    }

    private static func range(_ value: Int, _ range: ClosedRange<Int>, key: String) throws(ConfigError) -> Int {
        guard range.contains(value) else {
            throw .invalidValue(
                key: key,
                value: String(value),
                reason: "must be in \(range.lowerBound)...\(range.upperBound)"
            )
        }
        return value
    }

    /// A coding path as a TOML key: `node.peers[0]`.
    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce("") { path, key in
            if let index = key.intValue { return "\(path)[\(index)]" }
            return path.isEmpty ? key.stringValue : "\(path).\(key.stringValue)"
        }
    }

    /// A string value as an error shows it: quoted, with control characters escaped.
    public static func quoted(_ value: String) -> String {
        "\"" + value.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }

    /// The TOML type of a Swift type, for `ConfigError.wrongType`.
    private static func typeName(_ type: Any.Type) -> String {
        typeName(described: "\(type)")
    }

    /// The expected type named in a `keyNotFound` context (TOMLKit says `A "String" does not exist`).
    private static func typeName(_ context: DecodingError.Context) -> String {
        typeName(described: context.debugDescription)
    }

    /// The TOML type a Swift type's name, or a decoder's message, speaks of (arrays first: `Array<String>`).
    private static func typeName(described text: String) -> String {
        let names = [
            ("Array", "an array of strings"), ("Unkeyed", "an array of strings"), ("Bool", "true or false"),
            ("Int", "an integer"), ("String", "a string"), ("Keyed", "a table"), ("Table", "a table"),
        ]
        return names.first { text.contains($0.0) }?.1 ?? "of another type"
    }
}

/// The file's shape, one optional field per key, so that strict decoding names unknown keys.
struct ConfigFile: Decodable {
    struct Node: Decodable {
        var network: String?
        var listen: String?
        var peers: [String]?
        var genesis: String?
    }
    struct API: Decodable {
        var listen: String?
        var sse_buffer_events: Int?
        var max_event_streams: Int?
        var sse_keepalive_ms: Int?
    }
    struct Storage: Decodable {
        var max_blob_bytes: Int?
        var initial_map_size_mib: Int?
        var commit_batch_max: Int?
        var max_pending_writes: Int?
        var durable: Bool?
        var author_max_bytes: Int?
        var author_max_blobs: Int?
        var max_bytes: Int?
        var quota_exempt: [String]?
    }
    struct Log: Decodable {
        var level: String?
    }
    struct Events: Decodable {
        var retention: Int?
    }
    struct Gossip: Decodable {
        var mesh_degree: Int?
        var mesh_degree_low: Int?
        var mesh_degree_high: Int?
        var lazy_degree: Int?
        var heartbeat_ms: Int?
        var seen_cache_entries: Int?
        var eager_push_max_bytes: Int?
        var want_timeout_ms: Int?
    }
    struct Peers: Decodable {
        var outbound_target: Int?
        var inbound_cap: Int?
        var max_pending_handshakes: Int?
        var max_pending_handshakes_per_host: Int?
        var handshake_timeout_ms: Int?
        var max_known_addresses: Int?
        var ban_seconds: Int?
        var exchange_interval_ms: Int?
        var send_budget_lazy_bytes: Int?
        var send_budget_total_bytes: Int?
        var ping_interval_ms: Int?
        var ping_timeout_ms: Int?
    }
    struct Sync: Decodable {
        var interval_ms: Int?
        var frame_limit_bytes: Int?
        var ready_timeout_ms: Int?
        var max_fetches_in_flight: Int?
        var max_refused: Int?
    }
    var node: Node?
    var gossip: Gossip?
    var sync: Sync?
    var peers: Peers?
    var api: API?
    var storage: Storage?
    var events: Events?
    var log: Log?
}
