/// Limits and timings for `PeerManager.StateMachine`. Times are milliseconds on the driver's monotonic clock.
public struct PeerConfiguration: Sendable, Equatable {
    /// Keep this many outbound connections (dials in flight count toward it).
    public var outboundTarget = 8
    /// Refuse inbound connections beyond this many.
    public var inboundCap = 32
    /// How long a handshake may take, short so that a connection that sends nothing holds a handshake slot briefly
    /// (an honest handshake takes one and a half round trips). Enforced by the replica, as are the two below.
    public var handshakeTimeoutMilliseconds: UInt64 = 5_000
    /// Inbound connections still in their handshake, at most; one more evicts the oldest (as does one more at
    /// `inboundCap`).
    public var maxPendingHandshakes = 32
    /// Inbound connections still in their handshake from one host, at most; beyond it new ones are refused.
    public var maxPendingHandshakesPerHost = 4
    /// The most learned addresses kept in the address book (bootstrap addresses come on top).
    public var maxKnownAddresses = 1024
    /// The most addresses sent in one `peers` message (never more than `WireMessage.maxPeers`).
    public var maxAddressesPerExchange = 32
    /// How often each connected peer is sent a sample of the known addresses.
    public var peerExchangeMilliseconds: UInt64 = 30_000
    /// The wait before redialling an address: the lower bound after one failure, doubling per consecutive
    /// failure, capped at the upper bound.
    public var dialBackoffMilliseconds: ClosedRange<UInt64> = 1_000...60_000
    /// A learned (not bootstrap) address is forgotten after this many consecutive failed dials.
    public var forgetAfterDialFailures = 10
    /// How long a ban lasts.
    public var banMilliseconds: UInt64 = 3_600_000
    /// The most bans kept; beyond it the ban that ends soonest is lifted early.
    public var maxBans = 4096
    /// The most scores of disconnected peers remembered (so reconnecting does not wipe a bad score).
    public var maxRememberedScores = 1024
    /// A connection whose score falls to or below this is closed.
    public var disconnectScore = -50.0
    /// A peer whose score falls to or below this is banned (by node key) for `banMilliseconds`.
    public var banScore = -100.0
    /// Each `tick` multiplies every score by this, moving it back toward zero.
    public var scoreDecayPerHeartbeat = 0.9

    /// The defaults above.
    public init() {}
}
