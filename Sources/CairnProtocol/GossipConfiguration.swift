/// The tunables of the gossip router: mesh degrees, heartbeat, bounds and timeouts.
///
/// Defaults follow gossipsub v1.1/v1.2 (D = 6, D_low = 4, D_high = 12, D_lazy = 6, a one-second heartbeat).
/// Every bound on the router's memory is here, each with a statistic in `GossipStatistics` that counts when it is
/// hit.
public struct GossipConfiguration: Sendable, Equatable {
    /// D: the number of peers a node eagerly pushes small blobs to.
    public var meshDegree = 6
    /// D_low: below this many mesh peers, the heartbeat grafts connected non-mesh peers up to D.
    public var meshDegreeLow = 4
    /// D_high: above this many mesh peers, the heartbeat prunes down to D.
    public var meshDegreeHigh = 8
    /// D_lazy: how many non-mesh peers get a `have` for each new small blob.
    public var lazyDegree = 6
    /// The interval at which the driver calls `heartbeat`, in milliseconds.
    public var heartbeatMilliseconds: UInt64 = 1000
    /// The most ids (blobs and evidence) the seen-cache holds; the oldest are forgotten first.
    public var seenCacheEntries = 65_536
    /// The most evidence digests (BLAKE2b-256 of the bytes) remembered, kept apart from blob ids so evidence
    /// bytes can never mark a blob id seen.
    public var evidenceCacheEntries = 4096
    /// Blobs whose encoding is larger are announced (`have`) to every peer instead of pushed, and fetched with
    /// `want` from one announcer at a time, so their bytes cross each link about once.
    public var eagerPushMaxBytes = 16 * 1024
    /// A `want` unanswered this long goes to the next announcer (checked on each heartbeat), in milliseconds.
    public var wantTimeoutMilliseconds: UInt64 = 2000
    /// The most blob ids being fetched with `want` at once; further announcements are ignored until room frees.
    public var maxPendingWants = 8192
    /// The most announcers remembered for one id being fetched.
    public var maxAnnouncersPerID = 8
    /// The most blobs handed to the driver for verification and not yet answered; further new blobs are dropped
    /// (anti-entropy fetches them later).
    public var maxPendingVerifications = 4096
    /// A verification the driver has not answered after this long is forgotten, in milliseconds.
    public var verificationTimeoutMilliseconds: UInt64 = 30_000
    /// The most recent ids remembered per peer as already held by it (it sent `have`, `idontwant` or the blob);
    /// blobs and announcements are not sent to a peer for ids in this set.
    public var peerKnownIDsEntries = 1024
    /// Blobs at least this large (and small enough to be pushed) make the receiver send `idontwant` to the peers
    /// that push to it, as gossipsub v1.2 does; 0 sends it for every blob. Below 4 KiB an `idontwant` costs about
    /// as much as the duplicate it saves (a TCP segment and a record each way), so small blobs do without.
    public var idontwantMinBytes = 1024
    /// A peer counts as pushing to this node (so it gets `idontwant`) for this many heartbeats after its last
    /// unrequested push.
    public var inboundMeshHeartbeats: UInt64 = 3
    /// More than this many unrequested repeats of blobs a peer already pushed, within one heartbeat, penalise it with
    /// `duplicateFlood`, once per further `duplicateFloodThreshold` repeats; duplicates from different mesh peers are
    /// normal and never penalised.
    public var duplicateFloodThreshold = 16

    /// The gossipsub-like defaults.
    public init() {}
}
