/// Counters and gauges of one gossip router, for metrics and tests.
///
/// Counters only grow; gauges (`seenCacheSize`, `pendingWants`, `pendingVerifications`, `meshPeers`,
/// `connectedPeers`) are the current values.
public struct GossipStatistics: Sendable, Equatable {
    /// `blob` messages received.
    public var blobsReceived = 0
    /// Blobs received that were already seen or already being verified (not verified again, not forwarded).
    public var duplicateBlobs = 0
    /// Blobs handed to the driver for verification.
    public var verificationsRequested = 0
    /// Blobs the driver verified and committed (then passed on).
    public var blobsVerified = 0
    /// Blobs that verified but whose commit failed: not passed on, and stored again if they come back.
    public var blobsAbandoned = 0
    /// Blobs the driver rejected.
    public var blobsRejected = 0
    /// Blobs that verified but were refused by a rule of their channel.
    public var blobsRefused = 0
    /// Blobs published locally.
    public var blobsPublished = 0
    /// Distinct blobs passed on (published or verified): each counted once however many peers got it.
    public var blobsForwarded = 0
    /// `blob` messages pushed to mesh peers.
    public var blobPushes = 0
    /// Blob ids announced in `have` messages.
    public var havesSent = 0
    /// Blob ids announced to us in `have` messages.
    public var havesReceived = 0
    /// Blob ids requested in `want` messages.
    public var wantsSent = 0
    /// Blob ids requested from us.
    public var wantsReceived = 0
    /// Wants re-sent to another announcer after a timeout or a disconnect.
    public var wantRetries = 0
    /// Fetches given up because no announcer was left.
    public var wantsAbandoned = 0
    /// Blob ids sent in `idontwant` messages.
    public var idontwantsSent = 0
    /// Blob ids received in `idontwant` messages.
    public var idontwantsReceived = 0
    /// Pushes or announcements skipped because the peer already held the blob.
    public var sendsSuppressed = 0
    /// Evidence forwarded or published (each piece counted once).
    public var evidenceForwarded = 0
    /// Evidence received again after it was seen.
    public var duplicateEvidence = 0
    /// Penalties emitted.
    public var penalties = 0
    /// Peers taken into the mesh because they pushed a blob to this node.
    public var reciprocalGrafts = 0
    /// Ids forgotten by the seen-cache to stay within `seenCacheEntries`.
    public var seenCacheEvictions = 0
    /// Announcements ignored because `maxPendingWants` ids were already being fetched.
    public var pendingWantsFull = 0
    /// New blobs dropped because `maxPendingVerifications` were already in flight.
    public var pendingVerificationsFull = 0
    /// Verifications forgotten after `verificationTimeoutMilliseconds` without an answer.
    public var verificationsExpired = 0
    /// Messages from peers that are not connected (ignored).
    public var messagesFromUnknownPeers = 0
    /// Ids held in the seen-cache.
    public var seenCacheSize = 0
    /// Ids being fetched with `want`.
    public var pendingWants = 0
    /// Blobs being verified by the driver.
    public var pendingVerifications = 0
    /// Peers in the mesh.
    public var meshPeers = 0
    /// Connected peers.
    public var connectedPeers = 0

    /// All zero.
    public init() {}
}
