import CairnCore

/// A whole node's protocol as data in, data out: see `Replica.StateMachine`.
public enum Replica {
    /// Everything a replica is configured with.
    public struct Configuration: Sendable {
        /// The mesh name; it derives the network key.
        public var network: String
        /// The hash of the network's genesis, when it has one; it goes into the network key.
        public var genesisHash: [UInt8]?
        /// Gossip parameters.
        public var gossip: GossipConfiguration
        /// Peer-management parameters.
        public var peers: PeerConfiguration
        /// Per-peer send budgets.
        public var sendBudget: SendQueue.Budget
        /// The largest payload accepted.
        public var maxBlobBytes: Int
        /// Bytes handed to the driver per connection and not yet written; the rest waits in the send queue.
        public var writeHighWaterBytes = 256 * 1024
        /// How long an outbound TCP connect may take, in milliseconds.
        public var dialTimeoutMilliseconds: UInt64 = 10_000
        /// A peer silent this long is sent a `ping`, in milliseconds.
        public var pingIntervalMilliseconds: UInt64 = 10_000
        /// A peer silent this long (no `pong` either) is dead and disconnected, in milliseconds.
        public var pingTimeoutMilliseconds: UInt64 = 30_000
        /// Evidence verifications in flight at most; more evidence waits.
        public var maxEvidenceVerifications = 16
        /// Bytes of evidence allowed to wait for verification; beyond it new evidence is dropped (peers offer it
        /// again on the next connection). Honest peers send bursts of evidence on connect: not an offence.
        public var maxWaitingEvidenceBytes = 32 * 1024 * 1024
        /// Stored evidence offered to each new peer at most (and at most half its send budget in bytes).
        public var evidenceOfferedOnConnect = 256
        /// How records are protected after the handshake. Only a simulator sets `.plaintextForSimulation`, for
        /// runs too large to seal every record; handshakes stay real either way.
        public var recordCipher: SecureChannel.Cipher = .chaCha20Poly1305
        /// Set reconciliation.
        public var sync = SyncConfiguration()

        /// Assembles the configuration; the other fields keep their defaults.
        public init(
            network: String,
            gossip: GossipConfiguration = GossipConfiguration(),
            peers: PeerConfiguration = PeerConfiguration(),
            sendBudget: SendQueue.Budget = SendQueue.Budget(),
            maxBlobBytes: Int = SignedBlob.defaultMaxPayloadBytes
        ) {
            self.network = network
            self.gossip = gossip
            self.peers = peers
            self.sendBudget = sendBudget
            self.maxBlobBytes = maxBlobBytes
        }

        /// Message bounds that fit blobs with `maxBlobBytes` of payload and evidence made of two of them.
        public var wireLimits: WireMessage.Limits {
            let blob = maxBlobBytes + SignedBlob.fixedOverheadBytes + ChannelName.maxBytes
            return WireMessage.Limits(maxBlobBytes: blob, maxEvidenceBytes: 2 + 2 * (4 + blob))
        }
    }

    /// Where a replica's randomness comes from: always an input from the driver, never drawn by the core.
    public enum Randomness: Sendable {
        /// Production: peer and mesh choices from `seed`, which the driver draws from a CSPRNG, and every
        /// handshake's ephemeral key from `ephemeralKey`, the operating system's secure source (forward secrecy
        /// depends on it; `EphemeralKey.generate`).
        case secure(seed: UInt64, ephemeralKey: @Sendable () -> EphemeralKey)
        /// Simulation and tests: everything from this seed, so the same seed gives the same run.
        case seeded(UInt64)
    }

    /// What the driver must do. Actions are performed in order.
    public enum Action: Sendable, Equatable {
        /// Open a TCP connection to `address`; report `dialed` or `dialFailed` for `id`.
        case dial(Connection.ID, PeerAddress)
        /// Write these bytes to the connection, in order; report `written` when the transport took them.
        case write(Connection.ID, [UInt8])
        /// Write `farewell` best effort (never wait for a peer that does not read), then close. The replica has
        /// already forgotten the connection: do not report `closed` for it.
        case close(Connection.ID, farewell: [UInt8])
        /// Verify a blob encoding off the loop; report `verified` with the result.
        case verify([UInt8], id: BlobID, from: PeerID)
        /// Verify an evidence encoding off the loop; report `evidenceVerified` with the result.
        case verifyEvidence([UInt8], digest: EvidenceDigest, from: PeerID)
        /// Commit a verified blob; report `committed` with the evidence its commit recorded.
        case store(SignedBlob)
        /// Read these blobs from the store; report `read` with the encodings found.
        case serve([BlobID], to: PeerID)
        /// Read up to `limit` stored evidence objects and at most `maxBytes`; report `storedEvidenceRead`.
        case readStoredEvidence(for: Connection.ID, limit: Int, maxBytes: Int)
        /// Persist a peer-book or ban change.
        case persist(PeerBookChange)
        /// Tell observers (logs, the event log, metrics).
        case emit(Notice)
        /// Run this reconciliation step on a snapshot of the store's set (`SyncWork.run(on:)`); report `reconciled`.
        case reconcile(SyncWork)
        /// Call `tick` at this instant (milliseconds on the driver's clock); replaces any earlier request.
        case wake(at: UInt64)
    }

    /// BLAKE2b-256 of an evidence encoding: how copies of the same bytes are recognised before verification.
    public typealias EvidenceDigest = [UInt8]

    /// A change to the persisted peer book, in the order the replica decided it.
    public enum PeerBookChange: Sendable, Equatable {
        /// Remember this address.
        case remember(PeerAddress)
        /// Forget this address.
        case forget(PeerAddress)
        /// Ban this key until the instant given.
        case ban(PublicKey, untilMilliseconds: UInt64)
        /// Lift this key's ban.
        case unban(PublicKey)
    }

    /// Something observers may want to know; it changes nothing in the replica.
    public enum Notice: Sendable, Equatable {
        /// A peer is connected and authenticated.
        case peerUp(PublicKey, direction: PeerManager.Direction, address: PeerAddress?)
        /// A peer that was up is gone.
        case peerDown(PublicKey)
        /// A peer's key was banned.
        case banned(PublicKey, untilMilliseconds: UInt64)
        /// A connection failed or was closed for a reason worth logging.
        case connectionFailed(Connection.ID, address: PeerAddress?, detail: String)
        /// A peer misbehaved and was penalised.
        case offence(Connection.ID, PeerManager.Offence, detail: String)
        /// A peer was disconnected for not reading its traffic.
        case tooSlow(PublicKey)
        /// Evidence arrived, verified and was judged valid by its kind; it is being stored and flooded.
        case evidenceAccepted(Evidence)
        /// Evidence was dropped without penalty: `reason` says why (unknown kind, not a conflict, queue full).
        case evidenceDropped(reason: String)
        /// A blob could not be committed; peers were not told of it.
        case commitFailed(BlobID, detail: String)
        /// A verified blob the owner of its channel refused (neither stored nor forwarded), or that the store refused by
        /// this node's quota (`owner` "store quota": not stored, though it may have been forwarded while its commit
        /// was in flight).
        case blobRefused(BlobID, owner: String, reason: String)
        /// A reconciliation round this node initiated finished: `messages` sent, ids found on each side only.
        case syncFinished(PublicKey, messages: Int, have: Int, need: Int, milliseconds: UInt64)
        /// A reconciliation step could not read the store; the round was abandoned.
        case syncFailed(PublicKey, detail: String)
    }

    /// One connected peer, for status pages.
    public struct PeerStatus: Sendable, Equatable {
        /// The peer's node key.
        public let key: PublicKey
        /// The connection carrying it.
        public let connection: Connection.ID
        /// Who dialled.
        public let direction: PeerManager.Direction
        /// The dialled, advertised or observed address.
        public let address: PeerAddress?
        /// Its current score.
        public let score: Double
        /// Whether it is in this node's eager-push mesh.
        public let inMesh: Bool
        /// When its handshake completed.
        public let connectedAtMilliseconds: UInt64
        /// Bytes waiting in its send queue.
        public let queuedBytes: Int
    }
}
