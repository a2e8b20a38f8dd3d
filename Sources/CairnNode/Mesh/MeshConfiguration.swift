import CairnProtocol

/// Everything the mesh driver is configured with.
public struct MeshConfiguration: Sendable {
    /// The mesh name; it derives the network key.
    public var network: String
    /// Where to accept peer connections.
    public var listen: HostPort
    /// Peers to dial at start.
    public var bootstrap: [HostPort]
    /// Gossip parameters.
    public var gossip: GossipConfiguration
    /// Peer-management parameters.
    public var peers: PeerConfiguration
    /// Per-peer send budgets.
    public var sendBudget: SendQueue.Budget
    /// The largest payload accepted.
    public var maxBlobBytes: Int
    /// Bytes handed to the kernel per connection before the rest waits in the send queue.
    public var writeHighWaterBytes = 256 * 1024
    /// A peer silent this long is sent a `ping`, in milliseconds.
    public var pingIntervalMilliseconds: UInt64
    /// A peer silent this long, ping unanswered, is disconnected as dead, in milliseconds.
    public var pingTimeoutMilliseconds: UInt64
    /// Set reconciliation.
    public var sync: Replica.SyncConfiguration
    /// The hash of the network's genesis, when it has one (a quorum network); it goes into the network key.
    public var genesisHash: [UInt8]?

    /// Assembles the configuration.
    public init(
        network: String,
        listen: HostPort,
        bootstrap: [HostPort],
        gossip: GossipConfiguration,
        peers: PeerConfiguration,
        sendBudget: SendQueue.Budget,
        maxBlobBytes: Int,
        pingIntervalMilliseconds: UInt64 = 10_000,
        pingTimeoutMilliseconds: UInt64 = 30_000,
        sync: Replica.SyncConfiguration = Replica.SyncConfiguration(),
        genesisHash: [UInt8]? = nil
    ) {
        self.network = network
        self.listen = listen
        self.bootstrap = bootstrap
        self.gossip = gossip
        self.peers = peers
        self.sendBudget = sendBudget
        self.maxBlobBytes = maxBlobBytes
        self.pingIntervalMilliseconds = pingIntervalMilliseconds
        self.pingTimeoutMilliseconds = pingTimeoutMilliseconds
        self.sync = sync
        self.genesisHash = genesisHash
    }

    /// The replica core's configuration.
    public var replica: Replica.Configuration {
        var replica = Replica.Configuration(
            network: network,
            gossip: gossip,
            peers: peers,
            sendBudget: sendBudget,
            maxBlobBytes: maxBlobBytes
        )
        replica.writeHighWaterBytes = writeHighWaterBytes
        replica.pingIntervalMilliseconds = pingIntervalMilliseconds
        replica.pingTimeoutMilliseconds = pingTimeoutMilliseconds
        replica.sync = sync
        replica.genesisHash = genesisHash
        return replica
    }
}
