import CLibUV
import CairnCore
import CairnProtocol
import CairnStore
import DequeModule
import Foundation
import Logging

/// The libuv driver of the replication mesh: it carries out what the sans-I/O cores decide.
///
/// `PeerManager.StateMachine` decides whom to dial, accept, score and ban; `Gossip.StateMachine` decides what to send
/// to whom; `Handshake.StateMachine` and `SecureChannel` secure each connection. This class owns the sockets and
/// timers, verifies blobs on worker threads, and stores them. It lives on the loop thread only.
final class Mesh {
    let configuration: MeshConfiguration
    let loop: EventLoop
    let identity: SigningKey
    let store: BlobStore
    let logger: Logger
    let clock: @Sendable () -> UInt64

    private let networkKey: NetworkKey
    private let metrics = MeshMetrics()
    private let wireLimits: WireMessage.Limits
    private var gossip: Gossip.StateMachine
    private var peerManager: PeerManager.StateMachine
    private var connections: [PeerManager.ConnectionID: MeshConnection] = [:]
    private var connectionByKey: [PublicKey: PeerManager.ConnectionID] = [:]
    private var nextConnectionID: PeerManager.ConnectionID = 1
    private var listener: TCPStream?
    private var timer: UnsafeMutablePointer<uv_timer_t>?
    /// Runs after each loop iteration's I/O: writes what that iteration queued, one write per connection.
    private var flusher: UnsafeMutablePointer<uv_check_t>?
    /// Runs right before the loop blocks for I/O: writes what timers and pending callbacks queued.
    private var preFlusher: UnsafeMutablePointer<uv_prepare_t>?
    /// Connections with frames queued since the last flush.
    private var unflushed: Set<PeerManager.ConnectionID> = []
    private var stopped = false
    /// Verified blobs whose commit is still in flight, so that `want`s for them can be served at once.
    private var uncommitted: [BlobID: SignedBlob] = [:]
    /// Puts started by the mesh and not yet answered; shutdown waits for them before the store closes.
    private var storesInFlight = 0
    private var whenStoresDrained: [() -> Void] = []
    /// BLAKE2b-256 of evidence being verified or waiting for it, so that copies arriving meanwhile are not
    /// verified again.
    private var evidenceInVerification: Set<[UInt8]> = []
    /// Evidence waiting for a verification slot, oldest first, and its total size.
    private var evidenceWaiting = Deque<(bytes: [UInt8], hash: [UInt8], from: PublicKey)>()
    private var evidenceWaitingBytes = 0
    /// Evidence verifications in flight at most; more evidence waits in `evidenceWaiting`.
    static let maxEvidenceVerifications = 16
    /// Bytes of evidence allowed to wait for verification; beyond it new evidence is dropped (peers offer it again
    /// on the next connection). Honest peers send bursts of evidence on connect, so this is not an offence.
    static let maxWaitingEvidenceBytes = 32 * 1024 * 1024
    private var verificationsOfEvidence = 0
    /// How long an outbound TCP connect may take before the dial counts as failed.
    static let dialTimeoutMilliseconds: UInt64 = 10_000
    /// Peer-book and ban writes, applied in order by one task (`persistence`).
    private let peerBook: AsyncStream<PeerBookOperation>.Continuation
    /// The task that applies `peerBook` to the store; it ends after `stop()` once the queue is drained.
    let persistence: Task<Void, Never>
    /// Peer-book writes queued at most; beyond it new ones are dropped (and logged): the book is advisory.
    static let maxQueuedPeerBookWrites = 4096
    /// Gossip statistics at the last heartbeat, to turn its running totals into counter increments.
    private var reportedStatistics = GossipStatistics()
    /// The bound peer-to-peer port (the configured one, or the kernel's choice for port 0).
    private(set) var listenPort = 0
    /// Evidence offered to every new connection at most (in evidence-id order), and at most half of the peer's
    /// total send budget in bytes, so that the offer itself never trips backpressure.
    static let evidenceOfferedOnConnect = 256

    init(
        configuration: MeshConfiguration,
        loop: EventLoop,
        identity: SigningKey,
        store: BlobStore,
        logger: Logger,
        clock: @escaping @Sendable () -> UInt64,
        seed: UInt64
    ) {
        self.configuration = configuration
        self.loop = loop
        self.identity = identity
        self.store = store
        self.logger = logger
        self.clock = clock
        networkKey = NetworkKey(networkName: configuration.network)
        let maxBlob = configuration.maxBlobBytes + SignedBlob.fixedOverheadBytes + ChannelName.maxBytes
        wireLimits = WireMessage.Limits(maxBlobBytes: maxBlob, maxEvidenceBytes: 2 + 2 * (4 + maxBlob))
        gossip = Gossip.StateMachine(configuration: configuration.gossip, localID: identity.publicKey, seed: seed)
        peerManager = PeerManager.StateMachine(
            configuration: configuration.peers,
            localKey: identity.publicKey,
            seed: seed &+ 1
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

    /// Logs a `peer` event (SSE topic `peer`), in order with the peer-book writes.
    private func peerEvent(_ fields: [String: String]) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        persist(.event(topic: "peer", data: Array(data)))
    }

    private func persist(_ operation: PeerBookOperation) {
        if case .dropped = peerBook.yield(operation) {
            logger.warning("peer-book queue full; dropping an update", metadata: ["update": "\(operation)"])
        }
    }

    // MARK: Life cycle

    /// Listens, arms the heartbeat and dials the bootstrap and remembered peers.
    func start() throws(EventLoopError) {
        precondition(loop.inLoop)
        let listener = try TCPStream(loop: loop.uvLoop)
        guard
            let address = SocketAddress(
                numericHost: configuration.listen.host,
                port: configuration.listen.port
            )
        else {
            listener.close()
            throw .libuv(operation: "listen \(configuration.listen)", code: -22, message: "expected a numeric address")
        }
        do {
            listenPort = try listener.listen(address: address)
        } catch {
            listener.close()
            throw error
        }
        listener.onAccept = { [unowned self] stream in accepted(stream) }
        self.listener = listener
        startTimer()
        startFlusher()
        let now = clock()
        let bootstrap = configuration.bootstrap.compactMap { try? PeerAddress(host: $0.host, port: UInt16($0.port)) }
        let known = ((try? store.peers(limit: configuration.peers.maxKnownAddresses)) ?? []).compactMap {
            try? PeerAddress(host: $0.host, port: $0.port)
        }
        let bans = ((try? store.bans(now: now)) ?? []).map { ($0.key, $0.untilMilliseconds) }
        var ownHosts = ["127.0.0.1", "localhost"]
        if !["0.0.0.0", "::"].contains(configuration.listen.host) { ownHosts.append(configuration.listen.host) }
        for host in ownHosts {
            if let own = try? PeerAddress(host: host, port: UInt16(clamping: listenPort)) {
                perform(peerManager.addLocalAddress(own))
            }
        }
        perform(peerManager.start(bootstrap: bootstrap, knownAddresses: known, bans: bans, now: now))
        logger.info("mesh listening", metadata: ["address": "\(configuration.listen.host):\(listenPort)"])
    }

    /// Closes every connection, the listener and the timer. Idempotent.
    func stop() {
        guard !stopped else { return }
        stopped = true
        for id in Array(connections.keys) { close(id, reason: .normal, notify: false) }
        peerBook.finish()
        listener?.close()
        listener = nil
        if let preFlusher {
            uv_prepare_stop(preFlusher)
            uv_close(UnsafeMutableRawPointer(preFlusher).assumingMemoryBound(to: uv_handle_t.self)) { handle in
                handle?.deallocate()
            }
            self.preFlusher = nil
        }
        if let flusher {
            uv_check_stop(flusher)
            uv_close(UnsafeMutableRawPointer(flusher).assumingMemoryBound(to: uv_handle_t.self)) { handle in
                handle?.deallocate()
            }
            self.flusher = nil
        }
        if let timer {
            uv_timer_stop(timer)
            uv_close(UnsafeMutableRawPointer(timer).assumingMemoryBound(to: uv_handle_t.self)) { handle in
                handle?.deallocate()
            }
            self.timer = nil
        }
    }

    /// Calls `body` once every put the mesh started has been answered (at once if none is in flight).
    func whenStoresDrained(_ body: @escaping () -> Void) {
        if storesInFlight == 0 { body() } else { whenStoresDrained.append(body) }
    }

    /// Frames queued during one loop iteration (a blob pushed to the mesh, announcements, replies) leave in one
    /// write per connection after the iteration's I/O, instead of one write and one TCP segment per message.
    /// A check handle flushes after the poll's I/O callbacks; a prepare handle flushes what timers and pending
    /// callbacks queued before the loop blocks in the poll.
    private func startFlusher() {
        let check = UnsafeMutablePointer<uv_check_t>.allocate(capacity: 1)
        uv_check_init(loop.uvLoop, check)
        check.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_check_start(check) { check in
            guard let data = check?.pointee.data else { return }
            Unmanaged<Mesh>.fromOpaque(data).takeUnretainedValue().flushQueued()
        }
        flusher = check
        let prepare = UnsafeMutablePointer<uv_prepare_t>.allocate(capacity: 1)
        uv_prepare_init(loop.uvLoop, prepare)
        prepare.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_prepare_start(prepare) { prepare in
            guard let data = prepare?.pointee.data else { return }
            Unmanaged<Mesh>.fromOpaque(data).takeUnretainedValue().flushQueued()
        }
        preFlusher = prepare
    }

    private func flushQueued() {
        guard !unflushed.isEmpty else { return }
        let ids = unflushed
        unflushed.removeAll(keepingCapacity: true)
        for id in ids {
            if let connection = connections[id] { flush(connection) }
        }
    }

    private func startTimer() {
        let timer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop.uvLoop, timer)
        timer.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let interval = max(configuration.gossip.heartbeatMilliseconds, 10)
        uv_timer_start(
            timer,
            { timer in
                guard let data = timer?.pointee.data else { return }
                Unmanaged<Mesh>.fromOpaque(data).takeUnretainedValue().heartbeat()
            },
            interval,
            interval
        )
        self.timer = timer
    }

    private func heartbeat() {
        guard !stopped else { return }
        let now = clock()
        perform(gossip.heartbeat(now: now))
        perform(peerManager.tick(now: now))
        for connection in Array(connections.values) {
            if case .connecting = connection.phase, connection.direction == .outbound,
                now >= connection.startedAt &+ Self.dialTimeoutMilliseconds, let address = connection.address
            {
                dialFailed(connection.id, address: address)
                continue
            }
            guard case .handshaking(var handshake) = connection.phase else { continue }
            let actions = handshake.handleTimeout(now: now)
            connection.phase = .handshaking(handshake)
            handleHandshake(actions, on: connection)
        }
        let statistics = gossip.statistics
        metrics.duplicates.increment(by: max(0, statistics.duplicateBlobs - reportedStatistics.duplicateBlobs))
        reportedStatistics = statistics
        metrics.meshSize.record(statistics.meshPeers)
        metrics.peers.record(connectionByKey.count)
    }

    // MARK: Publishing from this node

    /// Announces a blob this node accepted from its API.
    func publish(_ blob: SignedBlob) {
        guard !stopped else { return }
        perform(gossip.publish(blob, now: clock()))
    }

    /// Floods evidence to every connected peer, ahead of other traffic.
    func publishEvidence(_ evidence: Evidence) {
        guard !stopped else { return }
        perform(gossip.publishEvidence(evidence.encoding, now: clock()))
    }

    /// The connected peers, for `GET /v1/peers`.
    var peerSummaries: [PeerSummary] {
        let mesh = gossip.meshPeers
        return peerManager.peers.map { info in
            PeerSummary(
                id: info.key,
                direction: info.direction == .inbound ? "inbound" : "outbound",
                address: info.address?.description ?? connections[info.connection]?.address?.description,
                score: info.score,
                mesh: mesh.contains(info.key),
                connectedAtMilliseconds: info.connectedAtMilliseconds,
                queuedBytes: connections[info.connection]?.sendQueue.queuedBytes ?? 0
            )
        }.sorted { $0.id < $1.id }
    }

    // MARK: Connections

    private func newConnection(_ stream: TCPStream, direction: PeerManager.Direction) -> MeshConnection {
        let connection = MeshConnection(
            id: nextConnectionID,
            direction: direction,
            stream: stream,
            budget: configuration.sendBudget
        )
        nextConnectionID += 1
        connections[connection.id] = connection
        let id = connection.id
        stream.onRead = { [unowned self] bytes in received(bytes, on: id) }
        stream.onEnd = { [unowned self] _ in close(id, reason: nil, notify: true) }
        stream.onWritable = { [unowned self] in
            if let connection = connections[id] { flush(connection) }
        }
        return connection
    }

    private func dial(_ address: PeerAddress) {
        guard !stopped, let stream = try? TCPStream(loop: loop.uvLoop) else {
            perform(peerManager.dialFailed(address: address, now: clock()))
            return
        }
        let connection = newConnection(stream, direction: .outbound)
        connection.address = address
        connection.startedAt = clock()
        let id = connection.id
        SocketAddress.resolve(host: address.host, port: Int(address.port), loop: loop.uvLoop) { [weak self] resolved in
            guard let self, connections[id] != nil else { return }
            guard let resolved else {
                dialFailed(id, address: address)
                return
            }
            stream.connect(to: resolved) { [weak self] error in
                guard let self, connections[id] != nil else { return }
                if error != nil {
                    dialFailed(id, address: address)
                } else {
                    dialSucceeded(id, address: address)
                }
            }
        }
    }

    private func dialFailed(_ id: PeerManager.ConnectionID, address: PeerAddress) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        connection.stream.close()
        perform(peerManager.dialFailed(address: address, now: clock()))
    }

    private func dialSucceeded(_ id: PeerManager.ConnectionID, address: PeerAddress) {
        perform(peerManager.dialSucceeded(id, address: address, now: clock()))
        guard let connection = connections[id] else { return }
        startHandshake(connection, role: .initiator)
    }

    private func accepted(_ stream: TCPStream) {
        guard !stopped else {
            stream.close()
            return
        }
        let connection = newConnection(stream, direction: .inbound)
        if let remote = stream.remoteAddress {
            connection.address = try? PeerAddress(host: remote.host, port: UInt16(remote.port))
        }
        perform(peerManager.inboundAccepted(connection.id, now: clock()))
        guard connections[connection.id] != nil else { return }
        startHandshake(connection, role: .responder)
    }

    private func startHandshake(_ connection: MeshConnection, role: Handshake.Role) {
        var handshake = Handshake.StateMachine(
            role: role,
            configuration: Handshake.Configuration(networkKey: networkKey, localKey: identity),
            ephemeral: EphemeralKey.generate()
        )
        let actions = handshake.start(now: clock())
        connection.phase = .handshaking(handshake)
        connection.stream.startReading()
        handleHandshake(actions, on: connection)
    }

    /// Closes a connection: a goodbye first when `reason` is set and the channel is up; `notify` tells the peer
    /// manager (not when it asked for the close itself… it is told anyway, idempotently).
    private func close(_ id: PeerManager.ConnectionID, reason: GoodbyeReason?, notify: Bool) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        if let key = connection.remoteKey, connectionByKey[key] == id {
            connectionByKey.removeValue(forKey: key)
        }
        if let reason, case .established(var channel) = connection.phase,
            let goodbye = try? WireMessage.goodbye(reason).encoded(), let sealed = try? channel.seal(goodbye)
        {
            connection.phase = .closed
            connection.stream.writeNowThenClose(sealed)
        } else {
            connection.phase = .closed
            connection.stream.close()
        }
        if notify { perform(peerManager.connectionClosed(id, now: clock())) }
    }

    // MARK: Receiving

    private func received(_ bytes: UnsafeRawBufferPointer, on id: PeerManager.ConnectionID) {
        guard let connection = connections[id] else { return }
        switch connection.phase {
        case .handshaking(var handshake):
            connection.phase = .connecting
            let actions = handshake.receive(bytes, now: clock())
            connection.phase = .handshaking(handshake)
            handleHandshake(actions, on: connection)
        case .established(var channel):
            connection.phase = .connecting
            let actions = channel.receive(bytes)
            connection.phase = .established(channel)
            for action in actions {
                guard connections[id] != nil else { return }
                switch action {
                case .deliver(let plaintext): handleMessage(plaintext, on: connection)
                case .fail(let error): channelFailed(error, on: connection)
                }
            }
        case .connecting, .closed:
            break
        }
    }

    private func handleHandshake(_ actions: [Handshake.Action], on connection: MeshConnection) {
        for action in actions {
            guard connections[connection.id] != nil else { return }
            switch action {
            case .send(let bytes):
                connection.stream.write(bytes)
            case .established(let session, let unconsumed):
                connection.phase = .established(
                    SecureChannel(session: session, maxPlaintextBytes: wireLimits.maxEvidenceBytes + 64)
                )
                connection.remoteKey = session.remoteKey
                perform(peerManager.handshakeCompleted(connection.id, remote: session.remoteKey, now: clock()))
                guard connections[connection.id] != nil else { return }
                send(.hello(listenPort: UInt16(clamping: listenPort)), on: connection, lane: .eager)
                if !unconsumed.isEmpty {
                    unconsumed.withUnsafeBytes { received($0, on: connection.id) }
                }
            case .fail(let error):
                logger.debug(
                    "handshake failed",
                    metadata: ["peer": "\(connection.address?.description ?? "?")", "error": "\(error)"]
                )
                perform(peerManager.offence(.handshakeFailure, on: connection.id, now: clock()))
                close(connection.id, reason: nil, notify: true)
            }
        }
    }

    private func channelFailed(_ error: ChannelError, on connection: MeshConnection) {
        logger.info(
            "closing a connection whose byte stream is corrupt",
            metadata: ["peer": "\(connection.remoteKey?.hex.prefix(16) ?? "?")", "error": "\(error)"]
        )
        let offence: PeerManager.Offence
        if case .frameTooLarge = error { offence = .oversizedFrame } else { offence = .malformedFrame }
        perform(peerManager.offence(offence, on: connection.id, now: clock()))
        close(connection.id, reason: .protocolViolation, notify: true)
    }

    private func handleMessage(_ plaintext: [UInt8], on connection: MeshConnection) {
        let message: WireMessage
        do {
            message = try WireMessage.decode(plaintext, limits: wireLimits)
        } catch {
            let offence: PeerManager.Offence
            switch error {
            case .blobTooLarge, .evidenceTooLarge: offence = .oversizedFrame
            default: offence = .malformedFrame
            }
            perform(peerManager.offence(offence, on: connection.id, now: clock()))
            return
        }
        metrics.received(
            message.type,
            bytes: plaintext.count + SecureChannel.lengthPrefixBytes + SecureChannel.tagBytes
        )
        let now = clock()
        switch message {
        case .hello(let port):
            let host = connection.stream.remoteAddress?.host ?? connection.address?.host ?? ""
            perform(peerManager.advertised(listenPort: port, observedHost: host, on: connection.id, now: now))
        case .peers(let addresses):
            perform(peerManager.receivedPeers(addresses, from: connection.id, now: now))
        case .ping(let nonce):
            send(.pong(nonce), on: connection, lane: .eager)
        case .pong:
            break
        case .goodbye:
            close(connection.id, reason: nil, notify: true)
        case .evidence(let bytes):
            guard connection.isUp, let key = connection.remoteKey else { return }
            verifyEvidence(bytes, from: key)
        case .blob, .have, .want, .idontwant:
            guard connection.isUp, let key = connection.remoteKey else { return }
            perform(gossip.receive(message, from: key, now: now))
        }
    }

    // MARK: Sending

    private func send(_ message: WireMessage, on connection: MeshConnection, lane: SendQueue.Lane) {
        guard connection.isEstablished, let bytes = try? message.encoded() else { return }
        let droppedBefore = connection.sendQueue.droppedLazyFrames
        let result = connection.sendQueue.enqueue(bytes, lane: lane)
        // Eager traffic may evict queued lazy frames and still be `.queued`: count drops from the queue's total.
        metrics.sendQueueDrops.increment(by: connection.sendQueue.droppedLazyFrames - droppedBefore)
        switch result {
        case .queued, .droppedLazy:
            break
        case .overBudget:
            metrics.slowPeerDisconnects.increment()
            logger.notice(
                "disconnecting a peer that does not read",
                metadata: ["peer": "\(connection.remoteKey?.hex.prefix(16) ?? "?")"]
            )
            close(connection.id, reason: .tooSlow, notify: true)
            return
        }
        unflushed.insert(connection.id)
    }

    /// Seals queued frames and hands them to libuv while the kernel keeps up; the rest waits in the queue.
    private func flush(_ connection: MeshConnection) {
        guard case .established(var channel) = connection.phase else { return }
        connection.phase = .connecting
        defer { if case .connecting = connection.phase { connection.phase = .established(channel) } }
        let highWater = configuration.writeHighWaterBytes
        while connection.stream.pendingWriteBytes < highWater, !connection.sendQueue.isEmpty {
            let frames = connection.sendQueue.dequeue(maxBytes: highWater - connection.stream.pendingWriteBytes)
            var out: [UInt8] = []
            for frame in frames {
                guard let sealed = try? channel.seal(frame) else {
                    connection.phase = .established(channel)
                    close(connection.id, reason: nil, notify: true)
                    return
                }
                if frame.count > 1, let type = WireMessage.MessageType(rawValue: frame[1]) {
                    metrics.sent(type, bytes: sealed.count)
                }
                out.append(contentsOf: sealed)
            }
            connection.stream.write(out)
            if connection.stream.isClosed { return }
        }
    }

    private func connection(for key: PublicKey) -> MeshConnection? {
        connectionByKey[key].flatMap { connections[$0] }
    }

    // MARK: Verification and storage

    private func verify(_ bytes: [UInt8], id: BlobID, from key: PublicKey) {
        let limit = configuration.maxBlobBytes
        let mesh = LoopBound(self, loop: loop)
        DispatchQueue.global(qos: .userInitiated).async {
            let result = Result { () throws(CoreError) -> SignedBlob in
                try SignedBlob.decode(bytes, maxPayloadBytes: limit)
            }
            mesh.execute { $0.verified(result, id: id, from: key) }
        }
    }

    private func verified(_ result: Result<SignedBlob, CoreError>, id: BlobID, from key: PublicKey) {
        guard !stopped else { return }
        switch result {
        case .success(let blob):
            perform(gossip.verified(blob, from: key, now: clock()))
            store(blob)
        case .failure(let error):
            metrics.invalidBlobs.increment()
            logger.info("peer sent an invalid blob", metadata: ["peer": "\(key.hex.prefix(16))", "error": "\(error)"])
            perform(gossip.rejected(id, from: key, now: clock()))
        }
    }

    private func store(_ blob: SignedBlob) {
        // Bounded by the gossip core's own bound on verifications in flight, which feed this.
        uncommitted[blob.id] = blob
        storesInFlight += 1
        let mesh = LoopBound(self, loop: loop)
        let logger = logger
        // The completion runs on the store's writer thread: hand it straight back to the loop, no task in between.
        store.put([blob]) { result in
            let evidence: [EvidenceID]
            switch result {
            case .success(let results):
                evidence = results.first?.evidence ?? []
            case .failure(let error):
                logger.warning(
                    "could not store a replicated blob",
                    metadata: ["id": "\(blob.id)", "error": "\(error)"]
                )
                evidence = []
            }
            mesh.execute { mesh in
                mesh.uncommitted.removeValue(forKey: blob.id)
                mesh.storesInFlight -= 1
                if !evidence.isEmpty { mesh.evidenceRecorded(evidence) }
                if mesh.storesInFlight == 0 {
                    let waiting = mesh.whenStoresDrained
                    mesh.whenStoresDrained = []
                    for body in waiting { body() }
                }
            }
        }
    }

    /// Floods evidence the store just recorded (read back by id).
    func evidenceRecorded(_ ids: [EvidenceID]) {
        for id in ids {
            if let evidence = try? store.evidence(id) { publishEvidence(evidence) }
        }
    }

    private func verifyEvidence(_ bytes: [UInt8], from key: PublicKey) {
        let hash = Blake2b.hash256(bytes)
        guard !gossip.hasSeenEvidence(hash: hash), !evidenceInVerification.contains(hash) else { return }
        if verificationsOfEvidence < Self.maxEvidenceVerifications {
            evidenceInVerification.insert(hash)
            startEvidenceVerification(bytes, hash: hash, from: key)
        } else if evidenceWaitingBytes + bytes.count <= Self.maxWaitingEvidenceBytes {
            evidenceInVerification.insert(hash)
            evidenceWaiting.append((bytes, hash, key))
            evidenceWaitingBytes += bytes.count
        } else {
            logger.notice("evidence queue full; dropping evidence (it is offered again on the next connection)")
        }
    }

    private func startEvidenceVerification(_ bytes: [UInt8], hash: [UInt8], from key: PublicKey) {
        verificationsOfEvidence += 1
        let mesh = LoopBound(self, loop: loop)
        let limit = configuration.maxBlobBytes
        DispatchQueue.global(qos: .userInitiated).async {
            let evidence = try? Evidence.decode(bytes, maxPayloadBytes: limit)
            mesh.execute { $0.evidenceVerified(evidence, bytes: bytes, hash: hash, from: key) }
        }
    }

    private func evidenceVerified(_ evidence: Evidence?, bytes: [UInt8], hash: [UInt8], from key: PublicKey) {
        evidenceInVerification.remove(hash)
        verificationsOfEvidence -= 1
        guard !stopped else { return }
        if let next = evidenceWaiting.popFirst() {
            evidenceWaitingBytes -= next.bytes.count
            startEvidenceVerification(next.bytes, hash: next.hash, from: next.from)
        }
        guard let evidence else {
            if let connection = connection(for: key) {
                perform(peerManager.offence(.invalidSignature, on: connection.id, now: clock()))
            }
            return
        }
        perform(gossip.receive(.evidence(bytes), from: key, now: clock()))
        // Storing both blobs records the evidence locally (the store detects the fork itself).
        store(evidence.first)
        store(evidence.second)
    }

    // MARK: Actions

    private func perform(_ actions: [Gossip.Action]) {
        for action in actions {
            switch action {
            case .send(let message, let key, let lane):
                guard let connection = connection(for: key) else { continue }
                send(message, on: connection, lane: Self.lane(lane))
            case .verify(let bytes, let id, let key):
                verify(bytes, id: id, from: key)
            case .serve(let ids, let key):
                guard let connection = connection(for: key) else { continue }
                for id in ids {
                    if let blob = uncommitted[id] ?? (try? store.get(id)) {
                        send(.blob(blob.encoding), on: connection, lane: .eager)
                    }
                }
            case .penalise(let key, let penalty):
                guard let connection = connection(for: key) else { continue }
                perform(peerManager.offence(Self.offence(penalty), on: connection.id, now: clock()))
            }
        }
    }

    private func perform(_ actions: [PeerManager.Action]) {
        for action in actions {
            switch action {
            case .dial(let address):
                dial(address)
            case .close(let id, let reason):
                close(id, reason: reason, notify: true)
            case .ban(let key, let until):
                metrics.bans.increment()
                logger.notice("banned a peer", metadata: ["peer": "\(key.hex.prefix(16))", "until": "\(until)"])
                peerEvent(["event": "banned", "id": key.hex, "until": "\(until)"])
                persist(.ban(BanRecord(key: key, untilMilliseconds: until, reason: "score")))
            case .unban(let key):
                persist(.unban(key))
            case .rememberAddress(let address):
                persist(.remember(PeerRecord(host: address.host, port: address.port, lastSeenMilliseconds: clock())))
            case .forgetAddress(let address):
                persist(.forget(host: address.host, port: address.port))
            case .send(let message, let id):
                guard let connection = connections[id] else { continue }
                send(message, on: connection, lane: .eager)
            case .peerUp(let key, let id, let direction):
                guard let connection = connections[id] else { continue }
                connection.isUp = true
                connectionByKey[key] = id
                peerEvent([
                    "event": "up", "id": key.hex, "direction": direction == .inbound ? "inbound" : "outbound",
                    "address": connection.address?.description ?? "",
                ])
                perform(gossip.peerConnected(key, now: clock()))
                offerEvidence(to: connection)
            case .peerDown(let key, let id):
                connections[id]?.isUp = false
                if connectionByKey[key] == id { connectionByKey.removeValue(forKey: key) }
                peerEvent(["event": "down", "id": key.hex])
                perform(gossip.peerDisconnected(key, now: clock()))
            }
        }
    }

    /// Offers stored evidence to a new peer: read off the loop, at most `evidenceOfferedOnConnect` objects and
    /// half of the peer's send budget.
    private func offerEvidence(to connection: MeshConnection) {
        let mesh = LoopBound(self, loop: loop)
        let store = store
        let id = connection.id
        let byteCap = configuration.sendBudget.totalBytes / 2
        DispatchQueue.global(qos: .utility).async {
            var chosen: [[UInt8]] = []
            var bytes = 0
            for evidence in (try? store.evidenceList(limit: Self.evidenceOfferedOnConnect)) ?? [] {
                let encoding = evidence.encoding
                guard bytes + encoding.count <= byteCap else { break }
                chosen.append(encoding)
                bytes += encoding.count
            }
            let offer = chosen
            guard !offer.isEmpty else { return }
            mesh.execute { mesh in
                guard let connection = mesh.connections[id], connection.isUp else { return }
                for encoding in offer { mesh.send(.evidence(encoding), on: connection, lane: .evidence) }
            }
        }
    }

    private static func lane(_ lane: Gossip.Lane) -> SendQueue.Lane {
        switch lane {
        case .evidence: .evidence
        case .eager: .eager
        case .lazy: .lazy
        }
    }

    private static func offence(_ penalty: Gossip.Penalty) -> PeerManager.Offence {
        switch penalty {
        case .invalidBlob: .invalidSignature
        case .malformed: .malformedFrame
        case .unrequestedLargeBlob, .duplicateFlood: .spam
        }
    }
}

/// A peer-book or ban write, queued so that writes reach the store in the order the peer manager decided them.
enum PeerBookOperation: Sendable, CustomStringConvertible {
    case remember(PeerRecord)
    case forget(host: String, port: UInt16)
    case ban(BanRecord)
    case unban(PublicKey)
    case event(topic: String, data: [UInt8])

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
