extension NodeConfiguration {
    /// The documented default configuration, identical to `Config/cairn.toml` (a test keeps them equal).
    public static let defaultFileText = """
        # Cairn node configuration.
        #
        # Every key is optional: a commented-out key shows its default, and a node runs with no file at all.
        # Command-line flags override this file (`cairn node --listen --api --peer`). Unknown keys are an error.

        [node]
        # Mesh name. It selects the network key: nodes of different networks never complete a handshake.
        # network = "cairn"
        # Peer-to-peer listen address (host:port, [v6]:port).
        # listen = "0.0.0.0:7700"
        # Bootstrap peers, "host:port" each.
        # peers = []
        # genesis: the path of a quorum network's genesis file (Docs/QUORUM.md; no default). The node then runs the
        # quorum plug-in, and the genesis hash goes into the network key, so only nodes with the same genesis connect.
        # Also `cairn node --genesis FILE`.

        [api]
        # HTTP API listen address. Keep it on loopback unless a proxy guards it; POSTs need the bearer token in api.token.
        # listen = "127.0.0.1:7701"
        # Live events buffered for each Server-Sent Events client. A client that falls further behind is disconnected
        # and resumes from the event log with Last-Event-ID, so nothing is missed.
        # sse_buffer_events = 1024
        # Server-Sent Events streams open at once; beyond it GET /v1/events answers 503 too_many_streams.
        # max_event_streams = 1024
        # An idle event stream gets a comment line this often, in milliseconds (a dead client is found when it fails).
        # sse_keepalive_ms = 15000

        [storage]
        # Largest payload accepted, in bytes (protocol cap: 16777216).
        # max_blob_bytes = 1048576
        # LMDB map size at start, in MiB. The map doubles whenever it is full.
        # initial_map_size_mib = 64
        # Most puts in one write transaction (group commit).
        # commit_batch_max = 1000
        # Most puts queued for the writer; beyond it, writes are refused with 503 until the queue drains.
        # max_pending_writes = 100000
        # fsync every commit. Setting this to false can lose acknowledged blobs on power loss; benchmarks only.
        # durable = true
        # This node's quota: the most payload bytes and blobs it stores per author, and the most payload bytes in all
        # (keys are free, so the per-author bounds alone bound nothing). 0 means no bound. Beyond them the node refuses
        # new blobs (HTTP 403 quota_exceeded; from a peer: not stored, the peer not penalised). A node's own policy: a
        # blob refused here is still held by the nodes that accepted it. Evidence is always kept.
        # author_max_bytes = 1073741824
        # author_max_blobs = 1000000
        # max_bytes = 68719476736
        # Authors never refused (hex public keys). `cairn node` adds the node's own key and, with a genesis file, every
        # key of its stake table (a static list, not the current quorum).
        # quota_exempt = []

        [events]
        # Events the event log keeps (blob, evidence, peer and plug-in events, for GET /v1/events and cairn watch).
        # Each commit drops the oldest beyond it; an SSE client that resumes from an older event is first sent a
        # `lost` event. Watchers that may be away longer than this many events take to accumulate miss events.
        # retention = 1000000

        [gossip]
        # Eager-push mesh degree D, and the bounds that trigger repair on each heartbeat. A peer that pushes to this
        # node joins its mesh up to mesh_degree_high, so meshes are about symmetric.
        # mesh_degree = 6
        # mesh_degree_low = 4
        # mesh_degree_high = 8
        # Peers outside the mesh that get a lazy `have` announcement for each new blob.
        # lazy_degree = 6
        # Heartbeat: mesh repair, want retries, peer scoring and exchange, in milliseconds.
        # heartbeat_ms = 1000
        # Blob ids remembered to suppress duplicates (bounded).
        # seen_cache_entries = 65536
        # Blobs whose encoding is larger than this are announced and fetched on demand, so their bytes cross each link
        # about once; smaller ones are pushed to the mesh.
        # eager_push_max_bytes = 16384
        # A `want` unanswered this long goes to the next peer that announced the blob, in milliseconds.
        # want_timeout_ms = 2000

        [peers]
        # Outbound connections to keep.
        # outbound_target = 8
        # Inbound connections accepted; beyond it new ones are refused.
        # inbound_cap = 32
        # Inbound connections still in their handshake, at most; one more evicts the oldest (as does one more at
        # inbound_cap). From one host at most max_pending_handshakes_per_host; more from it are refused. So
        # connections that send nothing cannot lock honest peers out.
        # max_pending_handshakes = 32
        # max_pending_handshakes_per_host = 4
        # How long a handshake may take, in milliseconds.
        # handshake_timeout_ms = 5000
        # Peer addresses remembered (in LMDB, across restarts).
        # max_known_addresses = 1024
        # How long a peer whose score fell below the ban threshold stays banned (in LMDB, across restarts).
        # ban_seconds = 3600
        # How often known addresses are sent to each peer (peer exchange), in milliseconds.
        # exchange_interval_ms = 30000
        # Per-peer send queue: above the lazy budget, announcements are dropped first; above the total budget the peer
        # is disconnected as too slow.
        # send_budget_lazy_bytes = 262144
        # send_budget_total_bytes = 8388608
        # A peer silent this long is sent a ping; one silent for ping_timeout_ms (ping unanswered) is disconnected as dead.
        # Both in milliseconds; the timeout must be greater than the interval.
        # ping_interval_ms = 10000
        # ping_timeout_ms = 30000

        [sync]
        # Set reconciliation (Negentropy V1) runs on every new connection and every interval_ms with a random peer,
        # so a node that was down or cut off fetches what it missed.
        # interval_ms = 5000
        # The largest reconciliation message this node sends, in bytes (4096-262144).
        # frame_limit_bytes = 65536
        # /readyz answers 503 after start until a first round finished, or until this many milliseconds passed.
        # ready_timeout_ms = 10000
        # Missing blobs fetched at once (want requests in flight).
        # max_fetches_in_flight = 256
        # Blobs the quota refused, remembered so that reconciliation does not fetch them again (oldest forgotten first).
        # max_refused = 65536

        [log]
        # trace, debug, info, notice, warning, error or critical.
        # level = "info"
        """
}
