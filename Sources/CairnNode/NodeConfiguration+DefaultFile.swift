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

        [api]
        # HTTP API listen address. Keep it on loopback unless a proxy guards it; POSTs need the bearer token in api.token.
        # listen = "127.0.0.1:7701"
        # Live events buffered for each Server-Sent Events client. A client that falls further behind is disconnected
        # and resumes from the event log with Last-Event-ID, so nothing is missed.
        # sse_buffer_events = 1024

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

        [log]
        # trace, debug, info, notice, warning, error or critical.
        # level = "info"
        """
}
