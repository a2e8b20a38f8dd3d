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
    /// Inbound connections refused because their host had `maxPendingHandshakesPerHost` handshakes pending.
    public internal(set) var handshakesRefused = 0
    /// Pending inbound handshakes closed to make room for a newer connection.
    public internal(set) var handshakesEvicted = 0
    /// Evidence dropped without penalty (unknown kind, not a conflict, queue full).
    public internal(set) var evidenceDropped = 0
    /// Verified blobs the owner of their channel refused.
    public internal(set) var refusedBlobs = 0
    /// Blobs whose commit failed.
    public internal(set) var commitFailures = 0
    /// Verified blobs the store refused by this node's policy (its quota).
    public internal(set) var storeRefusals = 0
    /// Ids reconciliation found missing, or a peer announced, that were not fetched because this node's store refused
    /// them before.
    public internal(set) var syncRefusedSkipped = 0
    /// Reconciliation rounds this node initiated.
    public internal(set) var syncRoundsStarted = 0
    /// Rounds that ran to the end.
    public internal(set) var syncRoundsCompleted = 0
    /// Rounds abandoned: timed out, malformed answer, store failure, connection closed.
    public internal(set) var syncRoundsFailed = 0
    /// Peers' `syncRequest`s answered.
    public internal(set) var syncRequestsAnswered = 0
    /// `syncResponse`s that answered no open round.
    public internal(set) var syncUnexpectedResponses = 0
    /// Ids found by reconciliation that this node lacked.
    public internal(set) var syncIDsNeeded = 0
    /// Ids found by reconciliation that the peer lacked.
    public internal(set) var syncIDsHad = 0
    /// Missing ids asked for with `want`.
    public internal(set) var syncFetchesRequested = 0
    /// Missing ids not remembered because the backlog was full.
    public internal(set) var syncBacklogDropped = 0

    /// All zero.
    public init() {}

    mutating func sent(_ type: WireMessage.MessageType, bytes: Int) { bytesSent[type, default: 0] += bytes }

    mutating func received(_ type: WireMessage.MessageType, bytes: Int) { bytesReceived[type, default: 0] += bytes }
}
