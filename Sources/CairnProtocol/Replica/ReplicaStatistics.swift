/// Running totals of one replica, for metrics: the driver turns differences between snapshots into counter
/// increments.
public struct ReplicaStatistics: Sendable, Equatable {
    /// Bytes of records sent, by message type (length prefix and tag included).
    public private(set) var bytesSent: [WireMessage.MessageType: Int] = [:]
    /// Bytes of records received, by message type.
    public private(set) var bytesReceived: [WireMessage.MessageType: Int] = [:]
    /// Records skipped because their message version or type is unknown.
    public internal(set) var unknownMessagesSkipped = 0
    /// Peers disconnected for not reading their traffic.
    public internal(set) var slowPeerDisconnects = 0
    /// Lazy frames dropped by send queues.
    public internal(set) var sendQueueDrops = 0
    /// Keys banned.
    public internal(set) var bans = 0
    /// Blobs from peers that failed verification.
    public internal(set) var invalidBlobs = 0
    /// Pings sent.
    public internal(set) var pingsSent = 0
    /// Connections closed because the peer went silent past the ping deadline.
    public internal(set) var deadConnections = 0
    /// Evidence dropped without penalty (unknown kind, not a conflict, queue full).
    public internal(set) var evidenceDropped = 0
    /// Verified blobs the owner of their channel refused.
    public internal(set) var refusedBlobs = 0
    /// Blobs whose commit failed.
    public internal(set) var commitFailures = 0

    /// All zero.
    public init() {}

    mutating func sent(_ type: WireMessage.MessageType, bytes: Int) { bytesSent[type, default: 0] += bytes }

    mutating func received(_ type: WireMessage.MessageType, bytes: Int) { bytesReceived[type, default: 0] += bytes }
}
