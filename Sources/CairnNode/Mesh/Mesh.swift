import CLibUV
import CairnCore
import CairnProtocol
import CairnStore
import Foundation
import Logging

/// The libuv driver of a node's replica: it carries out what `Replica.StateMachine` decides.
///
/// The replica decides every protocol rule (connections, handshakes, peers, gossip, evidence). This class owns
/// only what is physical: the listener and one TCP stream per connection, the wake-up timer, the flush handles,
/// worker threads for signature checks, the store and the clock. It lives on the loop thread only.
final class Mesh {
    let configuration: MeshConfiguration
    let loop: EventLoop
    let store: BlobStore
    let logger: Logger
    let clock: @Sendable () -> UInt64

    private var replica: Replica.StateMachine
    private let metrics = MeshMetrics()
    private var streams: [Connection.ID: TCPStream] = [:]
    private var listener: TCPStream?
    private var timer: UnsafeMutablePointer<uv_timer_t>?
    /// Runs after each loop iteration's I/O: writes what that iteration queued, one write per connection.
    private var flusher: UnsafeMutablePointer<uv_check_t>?
    /// Runs right before the loop blocks for I/O: writes what timers and pending callbacks queued.
    private var preFlusher: UnsafeMutablePointer<uv_prepare_t>?
    private var stopped = false
    /// Puts started by the mesh and not yet answered; shutdown waits for them before the store closes.
    private var storesInFlight = 0
    private var whenStoresDrained: [() -> Void] = []
    /// Peer-book and ban writes and peer events, applied in order by one task (`persistence`).
    private let peerBook: AsyncStream<PeerBookOperation>.Continuation
    /// The task that applies `peerBook` to the store; it ends after `stop()` once the queue is drained.
    let persistence: Task<Void, Never>
    /// Peer-book writes queued at most; beyond it new ones are dropped (and logged): the book is advisory.
    static let maxQueuedPeerBookWrites = 4096
    private var reportedStatistics = ReplicaStatistics()
    private var reportedGossip = GossipStatistics()
    /// The bound peer-to-peer port (the configured one, or the kernel's choice for port 0).
    private(set) var listenPort = 0

    init(
        configuration: MeshConfiguration,
        loop: EventLoop,
        identity: SigningKey,
        store: BlobStore,
        logger: Logger,
        clock: @escaping @Sendable () -> UInt64,
        randomness: Replica.Randomness,
        evidenceJudges: EvidenceJudges,
        channelRules: ChannelRules
    ) {
        self.configuration = configuration
        self.loop = loop
        self.store = store
        self.logger = logger
        self.clock = clock
        replica = Replica.StateMachine(
            configuration: configuration.replica,
            identity: identity,
            randomness: randomness,
            evidenceJudges: evidenceJudges,
            channelRules: channelRules
        )
        let (operations, continuation) = AsyncStream.makeStream(
            of: PeerBookOperation.self,
            bufferingPolicy: .bufferingOldest(Self.maxQueuedPeerBookWrites)
        )
        peerBook = continuation
        persistence = Task { [store, logger] in
            for await operation in operations {
                do {
                    try await operation.apply(to: store)
                } catch {
                    logger.warning("could not update the peer book", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    // MARK: Life cycle

    /// Listens, arms the flush handles and starts the replica (which dials the bootstrap and remembered peers).
    /// - Throws: `EventLoopError.cannotListen` when the listen address cannot be bound, `.libuv` when a handle
    ///   cannot be set up; everything opened so far is closed again, and the mesh counts as stopped.
    func start() throws(EventLoopError) {
        precondition(loop.inLoop)
        raiseDescriptorLimit()
        do {
            try listen()
            try startHandles()
        } catch {
            stopped = true
            releaseResources()
            throw error
        }
        let now = clock()
        let bootstrap = configuration.bootstrap.compactMap { try? PeerAddress(host: $0.host, port: UInt16($0.port)) }
        let known = ((try? store.peers(limit: configuration.peers.maxKnownAddresses)) ?? []).compactMap {
            try? PeerAddress(host: $0.host, port: $0.port)
        }
        let bans = ((try? store.bans(now: now)) ?? []).map { ($0.key, $0.untilMilliseconds) }
        var ownHosts = ["127.0.0.1", "localhost"]
        if !["0.0.0.0", "::"].contains(configuration.listen.host) { ownHosts.append(configuration.listen.host) }
        let own = ownHosts.compactMap { try? PeerAddress(host: $0, port: UInt16(clamping: listenPort)) }
        run(
            replica.start(
                listenPort: UInt16(clamping: listenPort),
                localAddresses: own,
                bootstrap: bootstrap,
                knownAddresses: known,
                bans: bans,
                now: now
            )
        )
        logger.info("mesh listening", metadata: ["address": "\(configuration.listen.host):\(listenPort)"])
    }

    private func listen() throws(EventLoopError) {
        let address = configuration.listen
        guard let socketAddress = SocketAddress(numericHost: address.host, port: address.port) else {
            throw .cannotListen(address: "\(address)", code: UV_EINVAL.rawValue, message: "not a numeric IP address")
        }
        let listener = try TCPStream(loop: loop.uvLoop)
        self.listener = listener
        listenPort = try listener.listen(address: socketAddress)
        listener.onAccept = { [unowned self] stream in accepted(stream) }
        listener.onAcceptFailed = { [logger] error in
            logger.warning("could not accept a connection", metadata: ["error": "\(error)"])
        }
    }

    /// Raises the open-descriptor limit to the hard limit, logs it, and warns when it stays low.
    private func raiseDescriptorLimit() {
        switch DescriptorLimit.raiseToHardLimit() {
        case .success(let limit):
            let metadata: Logger.Metadata = [
                "before": "\(limit.before)", "limit": "\(limit.after)", "hard": "\(limit.hard)",
            ]
            if limit.isLow {
                logger.warning(
                    "open-descriptor limit is low: each peer, pending handshake and API client takes one; raise the hard limit (ulimit -Hn)",
                    metadata: metadata.merging(["recommended": "\(DescriptorLimit.recommendedMinimum)"]) { $1 }
                )
            } else {
                logger.info("open-descriptor limit raised to the hard limit", metadata: metadata)
            }
        case .failure(let error):
            logger.warning("could not raise the open-descriptor limit", metadata: ["errno": "\(error.code)"])
        }
    }

    /// Says goodbye to every peer, closes the listener and the handles. Idempotent.
    func stop() {
        guard !stopped else { return }
        run(replica.stop(now: clock()))
        stopped = true
        releaseResources()
    }

    /// Closes the streams, the listener and the handles, and ends the peer-book queue.
    private func releaseResources() {
        for stream in streams.values { stream.close() }
        streams.removeAll()
        peerBook.finish()
        listener?.close()
        listener = nil
        closeHandle(preFlusher, "uv_prepare_stop") { uv_prepare_stop($0) }
        closeHandle(flusher, "uv_check_stop") { uv_check_stop($0) }
        closeHandle(timer, "uv_timer_stop") { uv_timer_stop($0) }
        (preFlusher, flusher, timer) = (nil, nil, nil)
    }

    /// Calls `body` once every put the mesh started has been answered (at once if none is in flight).
    func whenStoresDrained(_ body: @escaping () -> Void) {
        if storesInFlight == 0 { body() } else { whenStoresDrained.append(body) }
    }

    // MARK: Events from the node

    /// Announces a blob this node accepted from its API (committed).
    func publish(_ blob: SignedBlob) {
        guard !stopped else { return }
        run(replica.published(blob, now: clock()))
    }

    /// Floods evidence the store just recorded outside the mesh (read back by id).
    func evidenceRecorded(_ ids: [EvidenceID]) {
        guard !stopped, !ids.isEmpty else { return }
        let recorded = ids.compactMap { try? store.evidence($0) }
        run(replica.evidenceRecorded(recorded, now: clock()))
    }

    /// Whether a first reconciliation round finished, for `GET /readyz`.
    var syncReadiness: Replica.SyncReadiness { replica.syncReadiness }

    /// The connected peers, for `GET /v1/peers`.
    var peerSummaries: [PeerSummary] {
        replica.peers.map { peer in
            PeerSummary(
                id: peer.key,
                direction: peer.direction == .inbound ? "inbound" : "outbound",
                address: peer.address?.description,
                score: peer.score,
                mesh: peer.inMesh,
                connectedAtMilliseconds: peer.connectedAtMilliseconds,
                queuedBytes: peer.queuedBytes
            )
        }
    }

    // MARK: Transport events

    private func accepted(_ stream: TCPStream) {
        guard !stopped else {
            stream.close()
            return
        }
        let remote = stream.remoteAddress.flatMap { address in
            address.host.flatMap { try? PeerAddress(host: $0, port: UInt16(address.port)) }
        }
        let (id, actions) = replica.accepted(from: remote, now: clock())
        attach(stream, as: id)
        run(actions)
    }

    private func attach(_ stream: TCPStream, as id: Connection.ID) {
        streams[id] = stream
        stream.onRead = { [unowned self] bytes in
            guard streams[id] != nil else { return }
            run(replica.received(bytes, on: id, now: clock()))
        }
        stream.onEnd = { [unowned self] _ in
            guard streams.removeValue(forKey: id) != nil else { return }
            run(replica.closed(id, now: clock()))
        }
        stream.onWritable = { [unowned self] written in
            run(replica.written(written, on: id, now: clock()))
        }
        stream.startReading()
    }

    private func dial(_ id: Connection.ID, _ address: PeerAddress) {
        guard let stream = try? TCPStream(loop: loop.uvLoop) else {
            run(replica.dialFailed(id, now: clock()))
            return
        }
        streams[id] = stream
        SocketAddress.resolve(host: address.host, port: Int(address.port), loop: loop.uvLoop) { [weak self] resolved in
            guard let self, streams[id] === stream else { return }
            guard let resolved else { return dialFailed(id) }
            stream.connect(to: resolved) { [weak self] error in
                guard let self, streams[id] === stream else { return }
                guard error == nil else { return dialFailed(id) }
                attach(stream, as: id)
                run(replica.dialed(id, now: clock()))
            }
        }
    }

    private func dialFailed(_ id: Connection.ID) {
        streams.removeValue(forKey: id)?.close()
        run(replica.dialFailed(id, now: clock()))
    }

    // MARK: Actions

    private func run(_ actions: [Replica.Action]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: Replica.Action) {
        switch action {
        case .dial(let id, let address):
            dial(id, address)
        case .write(let id, let bytes):
            streams[id]?.write(bytes)
        case .close(let id, let farewell):
            guard let stream = streams.removeValue(forKey: id) else { return }
            if farewell.isEmpty { return stream.close() }
            if case .failure(let error) = stream.writeNowThenClose(farewell) {
                // Best effort by design: a peer whose buffer is full (`EAGAIN`) or gone just misses the goodbye.
                logger.debug("goodbye not sent", metadata: ["connection": "\(id)", "error": "\(error)"])
            }
        case .verify(let bytes, let id, let peer):
            verify(bytes, id: id, from: peer)
        case .verifyEvidence(let bytes, let digest, let peer):
            verifyEvidence(bytes, digest: digest, from: peer)
        case .store(let blob):
            commit(blob)
        case .serve(let ids, let peer):
            let encodings = ids.compactMap { try? store.get($0)?.encoding }
            run(replica.read(encodings, for: peer, now: clock()))
        case .readStoredEvidence(let id, let limit, let maxBytes):
            readStoredEvidence(for: id, limit: limit, maxBytes: maxBytes)
        case .reconcile(let work):
            run(replica.reconciled(reconcile(work), now: clock()))
        case .persist(let change):
            persist(PeerBookOperation(change, now: clock()))
        case .emit(let notice):
            report(notice)
        case .wake(let at):
            guard let timer else { return }
            let now = clock()
            let rc = uv_timer_start(timer, Self.fire, at > now ? at - now : 0, 0)
            if rc != 0 {
                // Only a closing handle refuses; the replica then is not woken until the next event.
                logger.error(
                    "cannot arm the wake-up timer",
                    metadata: ["error": "\(EventLoop.error("uv_timer_start", rc))"]
                )
            }
        }
    }

    /// Runs one reconciliation step on the loop, over a snapshot of the store's index (one read transaction; the
    /// work is bounded by the frame size limit).
    private func reconcile(_ work: Replica.SyncWork) -> Replica.SyncOutcome {
        do {
            return try store.withReconciliationSnapshot { work.run(on: $0) }
        } catch {
            return Replica.SyncOutcome(work: work, result: .storeFailed("\(error)"))
        }
    }

    private func verify(_ bytes: [UInt8], id: BlobID, from peer: PeerID) {
        let limit = configuration.maxBlobBytes
        let mesh = LoopBound(self, loop: loop)
        DispatchQueue.global(qos: .userInitiated).async {
            let result = Result { () throws(CoreError) -> SignedBlob in
                try SignedBlob.decode(bytes, maxPayloadBytes: limit)
            }
            mesh.execute { mesh in
                guard !mesh.stopped else { return }
                mesh.run(mesh.replica.verified(result, id: id, from: peer, now: mesh.clock()))
            }
        }
    }

    private func verifyEvidence(_ bytes: [UInt8], digest: Replica.EvidenceDigest, from peer: PeerID) {
        let limit = configuration.maxBlobBytes
        let mesh = LoopBound(self, loop: loop)
        DispatchQueue.global(qos: .userInitiated).async {
            let result = Result { () throws(CoreError) -> Evidence in
                try Evidence.decode(bytes, maxPayloadBytes: limit)
            }
            mesh.execute { mesh in
                guard !mesh.stopped else { return }
                mesh.run(mesh.replica.evidenceVerified(result, digest: digest, from: peer, now: mesh.clock()))
            }
        }
    }

    /// Commits a verified blob; the completion runs on the store's writer thread and hands the result straight
    /// back to the loop, which reads back the evidence the commit recorded.
    private func commit(_ blob: SignedBlob) {
        storesInFlight += 1
        let mesh = LoopBound(self, loop: loop)
        let store = store
        store.put([blob]) { result in
            mesh.execute { mesh in
                if !mesh.stopped, case .success(let results) = result,
                    case .refused(let refusal) = results.first?.outcome
                {
                    mesh.run(mesh.replica.refusedByStore(blob.id, reason: "\(refusal)", now: mesh.clock()))
                } else if !mesh.stopped {
                    let outcome = result.map { results in
                        (results.first?.evidence ?? []).compactMap { try? store.evidence($0) }
                    }
                    .mapError { Replica.StoreFailure(detail: "\($0)") }
                    mesh.run(mesh.replica.committed(blob.id, result: outcome, now: mesh.clock()))
                }
                mesh.storeAnswered()
            }
        }
    }

    /// Records evidence the replica accepted from a peer, of a kind the store does not detect itself (a plug-in's),
    /// so that it is listed, logged as an event, offered to new peers and fed to the plug-ins. The store checks its
    /// two signatures again, so the call leaves the loop; the answer comes back to it.
    private func record(_ evidence: Evidence) {
        storesInFlight += 1
        let mesh = LoopBound(self, loop: loop)
        let store = store
        DispatchQueue.global(qos: .userInitiated).async {
            store.record([evidence]) { result in
                mesh.execute { mesh in
                    switch result {
                    case .success(let recorded):
                        // The replica flooded the evidence itself already (flooding it again sends nothing); a channel
                        // fork its blobs completed is flooded here.
                        mesh.evidenceRecorded(recorded)
                    case .failure(let error):
                        mesh.logger.warning(
                            "could not record evidence",
                            metadata: ["evidence": "\(evidence)", "error": "\(error)"]
                        )
                    }
                    mesh.storeAnswered()
                }
            }
        }
    }

    /// A put or record the mesh started was answered: runs the shutdown waiting for the last one.
    private func storeAnswered() {
        storesInFlight -= 1
        guard storesInFlight == 0 else { return }
        let waiting = whenStoresDrained
        whenStoresDrained = []
        for body in waiting { body() }
    }

    /// Reads stored evidence for a new peer off the loop.
    private func readStoredEvidence(for id: Connection.ID, limit: Int, maxBytes: Int) {
        let mesh = LoopBound(self, loop: loop)
        let store = store
        DispatchQueue.global(qos: .utility).async {
            var chosen: [[UInt8]] = []
            var bytes = 0
            for evidence in (try? store.evidenceList(limit: limit)) ?? [] {
                let encoding = evidence.encoding
                guard bytes + encoding.count <= maxBytes else { break }
                chosen.append(encoding)
                bytes += encoding.count
            }
            let offer = chosen
            guard !offer.isEmpty else { return }
            mesh.execute { mesh in
                guard !mesh.stopped else { return }
                mesh.run(mesh.replica.storedEvidenceRead(offer, for: id, now: mesh.clock()))
            }
        }
    }

    private func persist(_ operation: PeerBookOperation) {
        if case .dropped = peerBook.yield(operation) {
            logger.warning("peer-book queue full; dropping an update", metadata: ["update": "\(operation)"])
        }
    }

    /// Logs a notice; peer notices also become `peer` events (SSE), in order with the peer-book writes.
    private func report(_ notice: Replica.Notice) {
        switch notice {
        case .peerUp(let key, let direction, let address):
            peerEvent([
                "event": "up", "id": key.hex, "direction": direction == .inbound ? "inbound" : "outbound",
                "address": address?.description ?? "",
            ])
        case .peerDown(let key):
            peerEvent(["event": "down", "id": key.hex])
        case .banned(let key, let until):
            logger.notice("banned a peer", metadata: ["peer": "\(key.hex.prefix(16))", "until": "\(until)"])
            peerEvent(["event": "banned", "id": key.hex, "until": "\(until)"])
        case .connectionFailed(let id, let address, let detail):
            logger.debug(
                "connection failed",
                metadata: ["connection": "\(id)", "peer": "\(address?.description ?? "?")", "detail": "\(detail)"]
            )
        case .offence(let id, let offence, let detail):
            logger.info(
                "peer misbehaved",
                metadata: ["connection": "\(id)", "offence": "\(offence)", "detail": "\(detail)"]
            )
        case .tooSlow(let key):
            logger.notice("disconnecting a peer that does not read", metadata: ["peer": "\(key.hex.prefix(16))"])
        case .evidenceAccepted(let evidence):
            logger.notice("evidence received", metadata: ["evidence": "\(evidence)"])
            // The store records a channel fork itself when the replica stores both blobs; other kinds are recorded here.
            if evidence.kind != .channelFork { record(evidence) }
        case .evidenceDropped(let reason):
            logger.info("evidence dropped", metadata: ["reason": "\(reason)"])
        case .blobRefused(let id, let owner, let reason):
            logger.info(
                "refused a blob from a peer",
                metadata: ["id": "\(id)", "owner": "\(owner)", "reason": "\(reason)"]
            )
        case .commitFailed(let id, let detail):
            logger.warning("could not store a replicated blob", metadata: ["id": "\(id)", "error": "\(detail)"])
        case .syncFinished(let key, let messages, let have, let need, let milliseconds):
            let level: Logger.Level = have + need > 0 ? .info : .debug
            logger.log(
                level: level,
                "reconciled with a peer",
                metadata: [
                    "peer": "\(key.hex.prefix(16))", "messages": "\(messages)", "they_lacked": "\(have)",
                    "we_lacked": "\(need)", "ms": "\(milliseconds)",
                ]
            )
        case .syncFailed(let key, let detail):
            logger.warning(
                "reconciliation could not read the store",
                metadata: ["peer": "\(key.hex.prefix(16))", "error": "\(detail)"]
            )
        }
    }

    private func peerEvent(_ fields: [String: String]) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        persist(.event(topic: "peer", data: Array(data)))
    }

    // MARK: Handles

    private static let fire: uv_timer_cb = { timer in
        guard let data = timer?.pointee.data else { return }
        Unmanaged<Mesh>.fromOpaque(data).takeUnretainedValue().tick()
    }

    private func tick() {
        guard !stopped else { return }
        run(replica.tick(now: clock()))
        metrics.record(replica.statistics, since: reportedStatistics)
        metrics.record(replica.gossipStatistics, since: reportedGossip)
        reportedStatistics = replica.statistics
        reportedGossip = replica.gossipStatistics
        metrics.peers.record(replica.peers.count)
    }

    private func flushQueued() {
        guard !stopped else { return }
        run(replica.flush(now: clock()))
    }

    /// Frames queued during one loop iteration leave in one write per connection: a check handle flushes after the
    /// poll's I/O callbacks, a prepare handle flushes what timers and pending callbacks queued before the poll.
    /// Each handle is stored as soon as it is initialised, so that `releaseResources` closes it if a later step fails.
    private func startHandles() throws(EventLoopError) {
        timer = try makeHandle("uv_timer_init") { uv_timer_init($0, $1) }
        let check: UnsafeMutablePointer<uv_check_t> = try makeHandle("uv_check_init") { uv_check_init($0, $1) }
        flusher = check
        try Self.check(
            uv_check_start(check) { check in
                guard let data = check?.pointee.data else { return }
                Unmanaged<Mesh>.fromOpaque(data).takeUnretainedValue().flushQueued()
            },
            "uv_check_start"
        )
        let prepare: UnsafeMutablePointer<uv_prepare_t> = try makeHandle("uv_prepare_init") { uv_prepare_init($0, $1) }
        preFlusher = prepare
        try Self.check(
            uv_prepare_start(prepare) { prepare in
                guard let data = prepare?.pointee.data else { return }
                Unmanaged<Mesh>.fromOpaque(data).takeUnretainedValue().flushQueued()
            },
            "uv_prepare_start"
        )
    }

    /// Allocates and initialises a handle whose `data` points at this mesh; freed again when `initialise` fails.
    private func makeHandle<Handle>(
        _ operation: String,
        _ initialise: (UnsafeMutablePointer<uv_loop_t>, UnsafeMutablePointer<Handle>) -> Int32
    ) throws(EventLoopError) -> UnsafeMutablePointer<Handle> {
        let handle = UnsafeMutablePointer<Handle>.allocate(capacity: 1)
        let rc = initialise(loop.uvLoop, handle)
        guard rc == 0 else {
            handle.deallocate()
            throw EventLoop.error(operation, rc)
        }
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self).pointee.data =
            Unmanaged.passUnretained(self).toOpaque()
        return handle
    }

    private static func check(_ code: Int32, _ operation: String) throws(EventLoopError) {
        guard code == 0 else { throw EventLoop.error(operation, code) }
    }

    /// Stops and closes a handle; the close callback frees it.
    private func closeHandle<Handle>(
        _ handle: UnsafeMutablePointer<Handle>?,
        _ operation: String,
        stop: (UnsafeMutablePointer<Handle>) -> Int32
    ) {
        guard let handle else { return }
        let rc = stop(handle)
        if rc != 0 {
            // uv_close stops the handle anyway; the failure is only worth knowing.
            logger.warning("cannot stop a loop handle", metadata: ["error": "\(EventLoop.error(operation, rc))"])
        }
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { handle in
            handle?.deallocate()
        }
    }
}

/// A peer-book or ban write, or a peer event, queued so that they reach the store in the order decided.
enum PeerBookOperation: Sendable, CustomStringConvertible {
    case remember(PeerRecord)
    case forget(host: String, port: UInt16)
    case ban(BanRecord)
    case unban(PublicKey)
    case event(topic: String, data: [UInt8])

    init(_ change: Replica.PeerBookChange, now: UInt64) {
        switch change {
        case .remember(let address):
            self = .remember(PeerRecord(host: address.host, port: address.port, lastSeenMilliseconds: now))
        case .forget(let address): self = .forget(host: address.host, port: address.port)
        case .ban(let key, let until): self = .ban(BanRecord(key: key, untilMilliseconds: until, reason: "score"))
        case .unban(let key): self = .unban(key)
        }
    }

    func apply(to store: BlobStore) async throws(StoreError) {
        switch self {
        case .remember(let record): try await store.rememberPeer(record)
        case .forget(let host, let port): try await store.forgetPeer(host: host, port: port)
        case .ban(let record): try await store.ban(record)
        case .unban(let key): try await store.unban(key)
        case .event(let topic, let data): _ = try await store.appendEvent(topic: topic, data: data)
        }
    }

    var description: String {
        switch self {
        case .remember(let record): "remember \(record.host):\(record.port)"
        case .forget(let host, let port): "forget \(host):\(port)"
        case .ban(let record): "ban \(record.key.hex.prefix(16))"
        case .unban(let key): "unban \(key.hex.prefix(16))"
        case .event(let topic, _): "\(topic) event"
        }
    }
}

/// One connected peer as `GET /v1/peers` shows it.
public struct PeerSummary: Codable, Sendable, Equatable {
    /// The peer's node key.
    public let id: PublicKey
    /// `inbound` or `outbound`.
    public let direction: String
    /// Its address, when known.
    public let address: String?
    /// Its current score (0 is neutral; lower is worse).
    public let score: Double
    /// Whether it is in this node's eager-push mesh.
    public let mesh: Bool
    /// When it connected, in milliseconds since the Unix epoch.
    public let connectedAtMilliseconds: UInt64
    /// Bytes waiting in its send queue.
    public let queuedBytes: Int
}
