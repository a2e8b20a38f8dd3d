import CairnCore
import DequeModule

extension Replica {
    /// A whole node's protocol: connections, handshakes, peer selection, gossip and evidence admission.
    ///
    /// Events in (accepted, dialed, received, written, closed, verified, committed, read, tick, flush), actions out
    /// (dial, write, close, verify, store, serve, persist, emit, wake). No sockets, clocks, threads or unseeded
    /// randomness: the libuv node, the simulator and the tests drive the same machine.
    ///
    /// Contract with the driver:
    /// - every `.dial` is answered by `dialed` or `dialFailed`; every connection the driver reports is reported
    ///   `closed` once when its transport ends, unless the replica closed it with `.close` (events for connections
    ///   the replica no longer knows are ignored);
    /// - every `.verify`, `.verifyEvidence`, `.store`, `.serve` and `.readStoredEvidence` is answered;
    /// - `flush` is called after a batch of events (libuv: once per loop iteration), `tick` at each `.wake`.
    public struct StateMachine: Sendable {
        /// The configuration in force.
        public let configuration: Configuration
        /// This node's identity.
        public let identity: SigningKey
        /// The evidence kinds this replica accepts.
        public let evidenceJudges: EvidenceJudges
        /// The channels components own, with their payload checks.
        public let channelRules: ChannelRules

        var connectionConfiguration: Connection.Configuration
        var random: SeededRandom
        /// Where handshake ephemerals come from: the driver's secure source, or `nil` for the seeded generator.
        let ephemeralSource: (@Sendable () -> EphemeralKey)?
        var gossip: Gossip.StateMachine
        var peerManager: PeerManager.StateMachine
        var connections: [Connection.ID: Connection.StateMachine] = [:]
        var connectionByKey: [PublicKey: Connection.ID] = [:]
        var nextConnectionID: Connection.ID = 1
        var unflushed: Set<Connection.ID> = []
        var stopped = false
        /// Verified blobs whose commit is in flight: served to `want`s at once, announced only once committed.
        var uncommitted: [BlobID: SignedBlob] = [:]
        /// Of those, the blobs that came by gossip, with the peer that sent each: they are passed on once their commit
        /// succeeds, never before (a node never tells peers of a blob it may fail to keep).
        var relayAfterCommit: [BlobID: PeerID] = [:]
        var evidence: EvidenceAdmission
        var sync: Replica.SyncState
        var counters = ReplicaStatistics()

        /// A replica with no connections; call `start` next.
        /// - Parameters:
        ///   - configuration: bounds, timings and the network.
        ///   - identity: this node's key.
        ///   - randomness: `.secure` in production, `.seeded` in simulations and tests.
        ///   - evidenceJudges: the evidence kinds accepted (the core's channel forks, plus plug-ins').
        ///   - channelRules: the payload checks of owned channels (the same the node's API applies).
        public init(
            configuration: Configuration,
            identity: SigningKey,
            randomness: Randomness,
            evidenceJudges: EvidenceJudges = EvidenceJudges(),
            channelRules: ChannelRules = ChannelRules()
        ) {
            self.configuration = configuration
            self.identity = identity
            self.evidenceJudges = evidenceJudges
            self.channelRules = channelRules
            let seed: UInt64
            switch randomness {
            case .secure(let value, let ephemeralKey):
                seed = value
                ephemeralSource = ephemeralKey
            case .seeded(let value):
                seed = value
                ephemeralSource = nil
            }
            random = SeededRandom(seed: seed)
            gossip = Gossip.StateMachine(configuration: configuration.gossip, localID: identity.publicKey, seed: seed)
            peerManager = PeerManager.StateMachine(
                configuration: configuration.peers,
                localKey: identity.publicKey,
                seed: seed &+ 1
            )
            connectionConfiguration = Connection.Configuration(
                handshake: Handshake.Configuration(
                    networkKey: NetworkKey(networkName: configuration.network, genesisHash: configuration.genesisHash),
                    localKey: identity,
                    timeoutMilliseconds: configuration.peers.handshakeTimeoutMilliseconds
                ),
                limits: configuration.wireLimits,
                sendBudget: configuration.sendBudget,
                writeHighWaterBytes: configuration.writeHighWaterBytes,
                dialTimeoutMilliseconds: configuration.dialTimeoutMilliseconds,
                pingIntervalMilliseconds: configuration.pingIntervalMilliseconds,
                pingTimeoutMilliseconds: configuration.pingTimeoutMilliseconds,
                listenPort: 0
            )
            connectionConfiguration.cipher = configuration.recordCipher
            evidence = EvidenceAdmission(
                maxVerifications: configuration.maxEvidenceVerifications,
                maxWaitingBytes: configuration.maxWaitingEvidenceBytes
            )
            sync = Replica.SyncState(maxRefused: configuration.sync.maxRefused)
        }

        // MARK: Queries

        /// The connected, authenticated peers, by key.
        public var peers: [PeerStatus] {
            let mesh = gossip.meshPeers
            return peerManager.peers.map { info in
                PeerStatus(
                    key: info.key,
                    connection: info.connection,
                    direction: info.direction,
                    address: info.address ?? connections[info.connection]?.address,
                    score: info.score,
                    inMesh: mesh.contains(info.key),
                    connectedAtMilliseconds: info.connectedAtMilliseconds,
                    queuedBytes: connections[info.connection]?.queuedBytes ?? 0
                )
            }.sorted { $0.key < $1.key }
        }

        /// The number of connections in any phase.
        public var connectionCount: Int { connections.count }

        /// Running totals of the replica, with the gossip router's.
        public var statistics: ReplicaStatistics { counters }

        /// The gossip router's running totals and sizes.
        public var gossipStatistics: GossipStatistics { gossip.statistics }

        /// `true` while `key` is banned.
        public func isBanned(_ key: PublicKey, now: UInt64) -> Bool { peerManager.isBanned(key, now: now) }

        /// The address book, oldest first.
        public var knownAddresses: [PeerAddress] { peerManager.knownAddresses }

        // MARK: Life cycle

        /// Restores persisted state, dials the first peers and asks for the first tick.
        /// - Parameters:
        ///   - listenPort: the bound peer-to-peer port, advertised in `hello` (0: accepts no connections).
        ///   - localAddresses: addresses that reach this node, never dialled.
        ///   - bootstrap: configured peers.
        ///   - knownAddresses: the persisted address book.
        ///   - bans: persisted bans (key, end instant).
        ///   - now: the current time.
        public mutating func start(
            listenPort: UInt16,
            localAddresses: [PeerAddress],
            bootstrap: [PeerAddress],
            knownAddresses: [PeerAddress],
            bans: [(PublicKey, UInt64)],
            now: UInt64
        ) -> [Action] {
            connectionConfiguration.listenPort = listenPort
            var actions: [Action] = []
            for address in localAddresses { perform(peerManager.addLocalAddress(address), now: now, into: &actions) }
            perform(
                peerManager.start(bootstrap: bootstrap, knownAddresses: knownAddresses, bans: bans, now: now),
                now: now,
                into: &actions
            )
            startSync(now: now)
            actions.append(.wake(at: PeerManager.StateMachine.adding(now, configuration.gossip.heartbeatMilliseconds)))
            return actions
        }

        /// Closes every connection with `goodbye(normal)`; later events do nothing.
        public mutating func stop(now: UInt64) -> [Action] {
            guard !stopped else { return [] }
            // Stopped first: closing tells the peer manager, which must not dial replacements.
            stopped = true
            var actions: [Action] = []
            for id in connections.keys.sorted() { close(id, reason: .normal, now: now, into: &actions) }
            return actions
        }

        // MARK: Connection events

        /// A remote opened a connection; its handshake starts. Refused at once when its host has
        /// `maxPendingHandshakesPerHost` handshakes pending; the oldest pending inbound handshake is evicted when
        /// `maxPendingHandshakes` are pending or the inbound cap is reached, so silent connections cannot hold
        /// every slot.
        /// - Returns: the id the driver reports this connection's events under, and the actions.
        public mutating func accepted(from address: PeerAddress?, now: UInt64) -> (Connection.ID, [Action]) {
            let id = nextConnectionID
            nextConnectionID += 1
            guard !stopped else { return (id, [.close(id, farewell: [])]) }
            var actions: [Action] = []
            guard makeRoomForHandshake(from: address, now: now, into: &actions) else {
                counters.handshakesRefused += 1
                let detail = "\(configuration.peers.maxPendingHandshakesPerHost) handshakes from its host are pending"
                actions.append(.emit(.connectionFailed(id, address: address, detail: detail)))
                actions.append(.close(id, farewell: []))
                return (id, actions)
            }
            connections[id] = Connection.StateMachine(inbound: id, from: address)
            perform(peerManager.inboundAccepted(id, now: now), now: now, into: &actions)
            if connections[id] != nil { startHandshake(id, now: now, into: &actions) }
            return (id, actions)
        }

        /// A dial connected over TCP; the handshake starts.
        public mutating func dialed(_ id: Connection.ID, now: UInt64) -> [Action] {
            guard let connection = connections[id], let address = connection.address else { return [] }
            var actions: [Action] = []
            perform(peerManager.dialSucceeded(id, address: address, now: now), now: now, into: &actions)
            if connections[id] != nil { startHandshake(id, now: now, into: &actions) }
            return actions
        }

        /// A dial failed (resolution, refusal, timeout in the transport).
        public mutating func dialFailed(_ id: Connection.ID, now: UInt64) -> [Action] {
            guard let connection = connections.removeValue(forKey: id), let address = connection.address else {
                return []
            }
            unflushed.remove(id)
            var actions: [Action] = []
            perform(peerManager.dialFailed(address: address, now: now), now: now, into: &actions)
            return actions
        }

        /// Bytes arrived on a connection.
        public mutating func received(_ bytes: UnsafeRawBufferPointer, on id: Connection.ID, now: UInt64) -> [Action] {
            // Changed in place: a copy would duplicate the connection's buffers on every read.
            guard let received = connections[id]?.receive(bytes, configuration: connectionConfiguration, now: now)
            else {
                return []
            }
            var actions: [Action] = []
            for item in received {
                guard connections[id] != nil else { break }
                handle(item, on: id, now: now, into: &actions)
            }
            return actions
        }

        /// The transport took `count` bytes of this connection's earlier writes; more may be written now.
        public mutating func written(_ count: Int, on id: Connection.ID, now: UInt64) -> [Action] {
            guard connections[id] != nil else { return [] }
            connections[id]!.written(count)
            unflushed.insert(id)
            return []
        }

        /// The transport of a connection ended (the peer closed it, or an I/O error). For a connection still being
        /// dialled this is a failed dial.
        public mutating func closed(_ id: Connection.ID, now: UInt64) -> [Action] {
            if connections[id]?.isDialing == true { return dialFailed(id, now: now) }
            guard connections.removeValue(forKey: id) != nil else { return [] }
            unflushed.remove(id)
            var actions: [Action] = []
            perform(peerManager.connectionClosed(id, now: now), now: now, into: &actions)
            return actions
        }

        // MARK: Results of actions

        /// The result of a `.verify`. A transient local failure is not reported; the verification expires.
        public mutating func verified(
            _ result: Result<SignedBlob, CoreError>,
            id: BlobID,
            from peer: PeerID,
            now: UInt64
        ) -> [Action] {
            var actions: [Action] = []
            switch result {
            case .success(let blob):
                if let refusal = channelRules.refusal(of: blob) {
                    // Well signed but not well formed for its channel: neither stored nor forwarded. Not punished:
                    // the sender may run another version of the owning plug-in.
                    counters.refusedBlobs += 1
                    perform(gossip.refused(id, now: now), now: now, into: &actions)
                    actions.append(.emit(.blobRefused(id, owner: refusal.owner, reason: refusal.reason)))
                    return actions
                }
                uncommitted[blob.id] = blob
                relayAfterCommit[blob.id] = peer
                actions.append(.store(blob))
            case .failure(let error):
                counters.invalidBlobs += 1
                _ = error
                perform(gossip.rejected(id, from: peer, now: now), now: now, into: &actions)
            }
            fetchMissing(now: now, into: &actions)
            return actions
        }

        /// The result of a `.store`: the evidence the commit recorded (to flood), or the failure.
        public mutating func committed(
            _ id: BlobID,
            result: Result<[Evidence], StoreFailure>,
            now: UInt64
        ) -> [Action] {
            let blob = uncommitted.removeValue(forKey: id)
            let relayedFrom = relayAfterCommit.removeValue(forKey: id)
            var actions: [Action] = []
            switch result {
            case .success(let recorded):
                // Durable now: pass it on (it is marked seen only here, so copies that arrive meanwhile are dropped
                // as still being verified).
                if let blob, let relayedFrom {
                    perform(gossip.verified(blob, from: relayedFrom, now: now), now: now, into: &actions)
                }
                for evidence in recorded { flood(evidence, now: now, into: &actions) }
            case .failure(let failure):
                counters.commitFailures += 1
                // Not forwarded and not marked seen: a later copy (gossip or reconciliation) is stored again.
                if relayedFrom != nil { perform(gossip.abandoned(id, now: now), now: now, into: &actions) }
                actions.append(.emit(.commitFailed(id, detail: failure.detail)))
            }
            return actions
        }

        /// The result of a `.store` that the store refused by this node's policy (its quota): the blob is not stored,
        /// and the peer that relayed it is not penalised (it is valid; other nodes' quotas may take it). Its id is
        /// remembered, in a set of at most `sync.maxRefused`, so that reconciliation does not fetch it again.
        public mutating func refusedByStore(_ id: BlobID, reason: String, now: UInt64) -> [Action] {
            uncommitted.removeValue(forKey: id)
            var actions: [Action] = []
            // Neither forwarded nor verified again when it comes back.
            if relayAfterCommit.removeValue(forKey: id) != nil {
                perform(gossip.refused(id, now: now), now: now, into: &actions)
            }
            sync.refused.insert(id)
            counters.storeRefusals += 1
            actions.append(.emit(.blobRefused(id, owner: "store quota", reason: reason)))
            return actions
        }

        /// The result of a `.serve`: the encodings found, in any order.
        public mutating func read(_ encodings: [[UInt8]], for peer: PeerID, now: UInt64) -> [Action] {
            guard let id = connectionByKey[peer] else { return [] }
            var actions: [Action] = []
            for encoding in encodings { enqueue(.blob(encoding), on: id, lane: .eager, now: now, into: &actions) }
            return actions
        }

        /// The result of a `.readStoredEvidence`: stored evidence encodings to offer the new peer.
        public mutating func storedEvidenceRead(
            _ encodings: [[UInt8]],
            for id: Connection.ID,
            now: UInt64
        ) -> [Action] {
            guard connections[id]?.remoteKey.map({ connectionByKey[$0] == id }) == true else { return [] }
            var actions: [Action] = []
            for encoding in encodings {
                enqueue(.evidence(encoding), on: id, lane: .evidence, now: now, into: &actions)
            }
            return actions
        }

        /// The result of a `.verifyEvidence`.
        public mutating func evidenceVerified(
            _ result: Result<Evidence, CoreError>,
            digest: EvidenceDigest,
            from peer: PeerID,
            now: UInt64
        ) -> [Action] {
            var actions: [Action] = []
            if let next = evidence.finished(digest) {
                actions.append(.verifyEvidence(next.bytes, digest: next.digest, from: next.from))
            }
            guard !stopped else { return actions }
            switch result {
            case .success(let verified):
                guard evidenceJudges.accepts(verified) else {
                    drop("\(verified.kind) evidence that its judge finds no conflict", into: &actions)
                    return actions
                }
                actions.append(.emit(.evidenceAccepted(verified)))
                // Flooded even when its sender left meanwhile: the evidence stands on its own.
                perform(gossip.publishEvidence(verified.encoding, except: peer, now: now), now: now, into: &actions)
                // Storing both blobs records a channel fork (the store detects it itself).
                for blob in [verified.first, verified.second] {
                    uncommitted[blob.id] = blob
                    actions.append(.store(blob))
                }
            case .failure(let error):
                // Includes a channel fork whose blobs claim different slots: honest nodes verify evidence before
                // they forward it, so only a broken or hostile peer sends it.
                if let id = connectionByKey[peer] {
                    offence(.invalidSignature, on: id, detail: "invalid evidence: \(error)", now: now, into: &actions)
                }
            }
            return actions
        }

        // MARK: This node's own blobs

        /// A blob this node accepted from its API and committed: announce it.
        public mutating func published(_ blob: SignedBlob, now: UInt64) -> [Action] {
            guard !stopped else { return [] }
            var actions: [Action] = []
            perform(gossip.publish(blob, now: now), now: now, into: &actions)
            return actions
        }

        /// Evidence this node's store recorded outside the mesh (an API ingest): flood it.
        public mutating func evidenceRecorded(_ recorded: [Evidence], now: UInt64) -> [Action] {
            guard !stopped else { return [] }
            var actions: [Action] = []
            for item in recorded { flood(item, now: now, into: &actions) }
            return actions
        }

        // MARK: Time

        /// The heartbeat: gossip and peer-manager maintenance, dial, handshake and liveness deadlines.
        public mutating func tick(now: UInt64) -> [Action] {
            guard !stopped else { return [] }
            var actions: [Action] = []
            perform(gossip.heartbeat(now: now), now: now, into: &actions)
            perform(peerManager.tick(now: now), now: now, into: &actions)
            for id in connections.keys.sorted() {
                let nonce = random.next()
                guard
                    let result = connections[id]?.tick(configuration: connectionConfiguration, nonce: nonce, now: now),
                    let connection = connections[id]
                else { continue }
                switch result {
                case .none:
                    break
                case .pinged:
                    counters.pingsSent += 1
                    unflushed.insert(id)
                case .tooSlow:
                    counters.slowPeerDisconnects += 1
                    if let key = connection.remoteKey { actions.append(.emit(.tooSlow(key))) }
                    close(id, reason: .tooSlow, now: now, into: &actions)
                case .dialTimedOut:
                    actions.append(.close(id, farewell: []))
                    actions.append(contentsOf: dialFailed(id, now: now))
                case .handshakeTimedOut:
                    actions.append(
                        .emit(.connectionFailed(id, address: connection.address, detail: "handshake timed out"))
                    )
                    offence(.handshakeFailure, on: id, detail: "handshake timed out", now: now, into: &actions)
                    close(id, reason: nil, now: now, into: &actions)
                case .dead:
                    counters.deadConnections += 1
                    actions.append(
                        .emit(.connectionFailed(id, address: connection.address, detail: "no reply to ping"))
                    )
                    close(id, reason: .normal, now: now, into: &actions)
                }
            }
            syncTick(now: now, into: &actions)
            actions.append(.wake(at: PeerManager.StateMachine.adding(now, configuration.gossip.heartbeatMilliseconds)))
            return actions
        }

        /// Seals what the events since the last flush queued: one `.write` per connection.
        public mutating func flush(now: UInt64) -> [Action] {
            guard !unflushed.isEmpty else { return [] }
            var actions: [Action] = []
            for id in unflushed.sorted() {
                guard let result = connections[id]?.flush(configuration: connectionConfiguration, statistics: &counters)
                else { continue }
                switch result {
                case .success(let bytes):
                    if !bytes.isEmpty { actions.append(.write(id, bytes)) }
                case .failure(let error):
                    actions.append(.emit(.connectionFailed(id, address: connections[id]?.address, detail: "\(error)")))
                    close(id, reason: nil, now: now, into: &actions)
                }
            }
            unflushed.removeAll(keepingCapacity: true)
            return actions
        }

        // MARK: Internals

        /// Whether an inbound connection from `address` may start a handshake; evicts the oldest pending inbound
        /// handshakes while all `maxPendingHandshakes` are taken or inbound connections are at the cap.
        private mutating func makeRoomForHandshake(
            from address: PeerAddress?,
            now: UInt64,
            into actions: inout [Action]
        ) -> Bool {
            var pending = connections.values.filter { $0.direction == .inbound && $0.isHandshaking }
            if let host = address?.host,
                pending.count(where: { $0.address?.host == host }) >= configuration.peers.maxPendingHandshakesPerHost
            {
                return false
            }
            pending.sort { $0.id < $1.id }
            var evicted = 0
            while evicted < pending.count,
                pending.count - evicted >= configuration.peers.maxPendingHandshakes
                    || peerManager.inboundConnectionCount >= configuration.peers.inboundCap
            {
                let oldest = pending[evicted]
                evicted += 1
                counters.handshakesEvicted += 1
                let detail = "handshake evicted: \(pending.count) pending"
                actions.append(.emit(.connectionFailed(oldest.id, address: oldest.address, detail: detail)))
                close(oldest.id, reason: nil, now: now, into: &actions)
            }
            return true
        }

        private mutating func startHandshake(_ id: Connection.ID, now: UInt64, into actions: inout [Action]) {
            guard connections[id] != nil else { return }
            let ephemeral: EphemeralKey
            if let ephemeralSource { ephemeral = ephemeralSource() } else { ephemeral = EphemeralKey(using: &random) }
            let received = connections[id]!.start(
                ephemeral: ephemeral,
                configuration: connectionConfiguration,
                now: now
            )
            for item in received {
                guard connections[id] != nil else { return }
                handle(item, on: id, now: now, into: &actions)
            }
        }

        private mutating func handle(
            _ item: Connection.Received,
            on id: Connection.ID,
            now: UInt64,
            into actions: inout [Action]
        ) {
            switch item {
            case .write(let bytes):
                actions.append(.write(id, bytes))
            case .established(let key):
                perform(peerManager.handshakeCompleted(id, remote: key, now: now), now: now, into: &actions)
                // `hello` goes out first at the next flush, whatever the peer manager queued.
                if connections[id] != nil { unflushed.insert(id) }
            case .message(let message, let wireBytes):
                counters.received(message.type, bytes: wireBytes)
                route(message, on: id, now: now, into: &actions)
            case .skipped:
                counters.unknownMessagesSkipped += 1
            case .toSelf:
                // The peer manager forgets the address as our own and closes the connection; no penalty.
                let remote = identity.publicKey
                perform(peerManager.handshakeCompleted(id, remote: remote, now: now), now: now, into: &actions)
            case .offence(let offence, let reason, let detail):
                if offence == .handshakeFailure {
                    let address = connections[id]?.address
                    actions.append(
                        .emit(.connectionFailed(id, address: address, detail: "handshake failed: \(detail)"))
                    )
                }
                self.offence(offence, on: id, detail: detail, now: now, into: &actions)
                if offence == .handshakeFailure {
                    close(id, reason: nil, now: now, into: &actions)
                } else if let reason {
                    close(id, reason: reason, now: now, into: &actions)
                }
            }
        }

        /// Routes one message from an established connection.
        private mutating func route(
            _ message: WireMessage,
            on id: Connection.ID,
            now: UInt64,
            into actions: inout [Action]
        ) {
            guard let connection = connections[id] else { return }
            switch message {
            case .hello(let port):
                guard let host = connection.address?.host else { return }
                perform(
                    peerManager.advertised(listenPort: port, observedHost: host, on: id, now: now),
                    now: now,
                    into: &actions
                )
            case .peers(let addresses):
                perform(peerManager.receivedPeers(addresses, from: id, now: now), now: now, into: &actions)
            case .ping(let nonce):
                enqueue(.pong(nonce), on: id, lane: .evidence, now: now, into: &actions)
            case .pong:
                break
            case .goodbye:
                if connections.removeValue(forKey: id) != nil {
                    unflushed.remove(id)
                    actions.append(.close(id, farewell: []))
                    perform(peerManager.connectionClosed(id, now: now), now: now, into: &actions)
                }
            case .evidence(let bytes):
                guard let key = upKey(of: id) else { return }
                admitEvidence(bytes, from: key, now: now, into: &actions)
            case .have(let ids):
                guard let key = upKey(of: id) else { return }
                // A peer announces what reconciliation found this node lacks: ids its store refused are not asked for.
                let wanted = ids.filter { !sync.refused.contains($0) }
                counters.syncRefusedSkipped += ids.count - wanted.count
                guard !wanted.isEmpty else { return }
                perform(gossip.receive(.have(wanted), from: key, now: now), now: now, into: &actions)
            case .blob, .want, .idontwant:
                guard let key = upKey(of: id) else { return }
                perform(gossip.receive(message, from: key, now: now), now: now, into: &actions)
            case .syncRequest, .syncResponse:
                guard upKey(of: id) != nil else { return }
                receiveSync(message, on: id, now: now, into: &actions)
            }
        }

        /// The key of a connection the peer manager accepted, else `nil`.
        func upKey(of id: Connection.ID) -> PublicKey? {
            guard let key = connections[id]?.remoteKey, connectionByKey[key] == id else { return nil }
            return key
        }

        private mutating func admitEvidence(
            _ bytes: [UInt8],
            from key: PublicKey,
            now: UInt64,
            into actions: inout [Action]
        ) {
            // A later evidence format, or a kind nothing here judges, is not worth a verification and is no offence.
            if bytes.count >= 2, bytes[0] != Evidence.formatVersion {
                drop("evidence of unknown format version \(bytes[0])", into: &actions)
                return
            }
            if bytes.count >= 2, !evidenceJudges.judges(Evidence.Kind(rawValue: bytes[1])) {
                drop("evidence of unknown kind \(bytes[1])", into: &actions)
                return
            }
            let digest = Blake2b.hash256(bytes)
            guard !gossip.hasSeenEvidence(hash: digest) else { return }
            switch evidence.admit(bytes, digest: digest, from: key) {
            case .verify:
                actions.append(.verifyEvidence(bytes, digest: digest, from: key))
            case .queued, .duplicate:
                break
            case .full:
                drop("the evidence queue is full (peers offer it again on the next connection)", into: &actions)
            }
        }

        private mutating func drop(_ reason: String, into actions: inout [Action]) {
            counters.evidenceDropped += 1
            actions.append(.emit(.evidenceDropped(reason: reason)))
        }

        private mutating func flood(_ recorded: Evidence, now: UInt64, into actions: inout [Action]) {
            perform(gossip.publishEvidence(recorded.encoding, now: now), now: now, into: &actions)
        }

        mutating func enqueue(
            _ message: WireMessage,
            on id: Connection.ID,
            lane: SendQueue.Lane,
            now: UInt64,
            into actions: inout [Action]
        ) {
            guard let droppedBefore = connections[id]?.droppedLazyFrames else { return }
            let result = connections[id]!.enqueue(message, lane: lane)
            // Eager traffic may evict queued lazy frames and still be `.queued`: count drops from the queue's total.
            counters.sendQueueDrops += connections[id]!.droppedLazyFrames - droppedBefore
            let remoteKey = connections[id]!.remoteKey
            switch result {
            case .queued, .droppedLazy:
                unflushed.insert(id)
            case .overBudget:
                counters.slowPeerDisconnects += 1
                if let key = remoteKey { actions.append(.emit(.tooSlow(key))) }
                close(id, reason: .tooSlow, now: now, into: &actions)
            case nil:
                break
            }
        }

        mutating func offence(
            _ offence: PeerManager.Offence,
            on id: Connection.ID,
            detail: String,
            now: UInt64,
            into actions: inout [Action]
        ) {
            actions.append(.emit(.offence(id, offence, detail: detail)))
            perform(peerManager.offence(offence, on: id, now: now), now: now, into: &actions)
        }

        /// Closes a connection the replica decided to end: a sealed `goodbye(reason)` as farewell when the
        /// channel is up, then the peer manager is told.
        private mutating func close(
            _ id: Connection.ID,
            reason: GoodbyeReason?,
            now: UInt64,
            into actions: inout [Action]
        ) {
            guard var connection = connections.removeValue(forKey: id) else { return }
            unflushed.remove(id)
            let farewell = connection.close(reason: reason, listenPort: connectionConfiguration.listenPort)
            actions.append(.close(id, farewell: farewell))
            perform(peerManager.connectionClosed(id, now: now), now: now, into: &actions)
        }

        // MARK: Sub-machine actions

        mutating func perform(_ gossipActions: [Gossip.Action], now: UInt64, into actions: inout [Action]) {
            for action in gossipActions {
                switch action {
                case .send(let message, let key, let lane):
                    guard let id = connectionByKey[key] else { continue }
                    enqueue(message, on: id, lane: Self.lane(lane), now: now, into: &actions)
                case .verify(let bytes, let id, let key):
                    actions.append(.verify(bytes, id: id, from: key))
                case .serve(let ids, let key):
                    guard let connection = connectionByKey[key] else { continue }
                    var fromStore: [BlobID] = []
                    for id in ids {
                        if let blob = uncommitted[id] {
                            enqueue(.blob(blob.encoding), on: connection, lane: .eager, now: now, into: &actions)
                        } else {
                            fromStore.append(id)
                        }
                    }
                    if !fromStore.isEmpty { actions.append(.serve(fromStore, to: key)) }
                case .penalise(let key, let penalty):
                    guard let id = connectionByKey[key] else { continue }
                    offence(Self.offence(penalty), on: id, detail: "\(penalty)", now: now, into: &actions)
                }
            }
        }

        private mutating func perform(
            _ peerActions: [PeerManager.Action],
            now: UInt64,
            into actions: inout [Action]
        ) {
            for action in peerActions {
                switch action {
                case .dial(let address):
                    guard !stopped else { continue }
                    let id = nextConnectionID
                    nextConnectionID += 1
                    connections[id] = Connection.StateMachine(
                        outbound: id,
                        to: address,
                        now: now,
                        configuration: connectionConfiguration
                    )
                    actions.append(.dial(id, address))
                case .close(let id, let reason):
                    close(id, reason: reason, now: now, into: &actions)
                case .ban(let key, let until):
                    counters.bans += 1
                    actions.append(.emit(.banned(key, untilMilliseconds: until)))
                    actions.append(.persist(.ban(key, untilMilliseconds: until)))
                case .unban(let key):
                    actions.append(.persist(.unban(key)))
                case .rememberAddress(let address):
                    actions.append(.persist(.remember(address)))
                case .forgetAddress(let address):
                    actions.append(.persist(.forget(address)))
                case .send(let message, let id):
                    enqueue(message, on: id, lane: .eager, now: now, into: &actions)
                case .peerUp(let key, let id, let direction):
                    connectionByKey[key] = id
                    actions.append(.emit(.peerUp(key, direction: direction, address: connections[id]?.address)))
                    perform(gossip.peerConnected(key, now: now), now: now, into: &actions)
                    actions.append(
                        .readStoredEvidence(
                            for: id,
                            limit: configuration.evidenceOfferedOnConnect,
                            maxBytes: configuration.sendBudget.totalBytes / 2
                        )
                    )
                    beginRound(on: id, now: now, into: &actions)
                case .peerDown(let key, let id):
                    if connectionByKey[key] == id { connectionByKey.removeValue(forKey: key) }
                    syncConnectionClosed(id)
                    actions.append(.emit(.peerDown(key)))
                    perform(gossip.peerDisconnected(key, now: now), now: now, into: &actions)
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

    /// Why a commit failed, as the driver's store reported it.
    public struct StoreFailure: Error, Sendable, Equatable {
        /// The store's description of the failure.
        public let detail: String

        /// Wraps a store error's description.
        public init(detail: String) { self.detail = detail }
    }
}
