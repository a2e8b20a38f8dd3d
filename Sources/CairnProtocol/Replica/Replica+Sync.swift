import CairnCore
import DequeModule

extension Replica {
    /// Set reconciliation (Negentropy protocol V1) between this replica and its peers.
    public struct SyncConfiguration: Sendable, Equatable {
        /// How often a round starts with a random connected peer, in milliseconds; a round also starts on every new
        /// connection.
        public var intervalMilliseconds: UInt64 = 5_000
        /// The largest Negentropy message this node sends, in bytes (at least 4,096; at most
        /// `WireMessage.maxSyncBytes`).
        public var frameSizeLimit = NegentropyReconciler.defaultFrameSizeLimit
        /// A node is ready once a first round has finished, or once this long has passed since start without one.
        public var readyTimeoutMilliseconds: UInt64 = 10_000
        /// A round still open after this long is abandoned, in milliseconds.
        public var roundTimeoutMilliseconds: UInt64 = 30_000
        /// Missing ids remembered for fetching at most; more wait for a later round.
        public var maxBacklog = 100_000
        /// Fetches (`want`s) in flight at most for missing ids found by reconciliation.
        public var maxFetchesInFlight = 256
        /// Ids the store refused (its quota) remembered at most, so reconciliation does not fetch them again; the
        /// oldest is forgotten first.
        public var maxRefused = 65_536
        /// More `syncRequest`s than this from one peer within one heartbeat is spam.
        public var maxRequestsPerHeartbeat = 16

        /// The defaults.
        public init() {}
    }

    /// Whether a replica has reconciled with a peer since it started: what `/readyz` reports.
    public enum SyncReadiness: Sendable, Equatable {
        /// No round has finished yet, and the ready timeout has not passed.
        case waiting
        /// A first round finished at this instant, with this peer.
        case synced(atMilliseconds: UInt64, peer: PublicKey)
        /// The ready timeout passed without a finished round (no peer reachable, or none answered).
        case timedOut(atMilliseconds: UInt64)

        /// `true` unless still waiting.
        public var isReady: Bool { self != .waiting }
    }

    /// One Negentropy step the driver runs against a snapshot of its store's reconciliation set, then reports with
    /// `reconciled`. Running it is `run(on:)`: both drivers call the same code.
    public struct SyncWork: Sendable, Equatable {
        /// What to compute.
        public enum Step: Sendable, Equatable {
            /// This node's first message of a round, as initiator.
            case initiate
            /// The answer to a peer's `syncRequest`, as responder.
            case respond([UInt8])
            /// What a peer's `syncResponse` settles, and this node's next message, as initiator.
            case reconcile([UInt8])
        }

        /// The connection the round runs on.
        public let connection: Connection.ID
        /// The step.
        public let step: Step
        /// The frame size limit in force.
        public let frameSizeLimit: Int

        /// Computes the step over `storage`, a consistent snapshot of the store's set.
        public func run(on storage: some ReconciliationStorage) -> SyncOutcome {
            let reconciler = NegentropyReconciler(frameSizeLimit: frameSizeLimit)
            do {
                switch step {
                case .initiate:
                    return SyncOutcome(
                        work: self,
                        result: .message(try reconciler.initiate(storage), have: [], need: [])
                    )
                case .respond(let message):
                    let answer = try reconciler.respond(to: message, storage: storage)
                    return SyncOutcome(work: self, result: .message(answer, have: [], need: []))
                case .reconcile(let response):
                    let progress = try reconciler.reconcile(response, storage: storage)
                    return SyncOutcome(
                        work: self,
                        result: .message(progress.nextMessage, have: progress.have, need: progress.need)
                    )
                }
            } catch let error as NegentropyError {
                return SyncOutcome(work: self, result: .malformed("\(error)"))
            } catch {
                return SyncOutcome(work: self, result: .storeFailed("\(error)"))
            }
        }
    }

    /// The result of a `SyncWork`.
    public struct SyncOutcome: Sendable, Equatable {
        /// What happened.
        public enum Result: Sendable, Equatable {
            /// The message to send (`nil`: the round is complete), and for an initiator the ids this node holds
            /// that the peer lacks and the ids the peer holds that this node lacks.
            case message([UInt8]?, have: [BlobID], need: [BlobID])
            /// The peer's message is not Negentropy V1: an offence.
            case malformed(String)
            /// The store could not be read: no offence; the round is abandoned.
            case storeFailed(String)
        }

        /// The work this answers.
        public let work: SyncWork
        /// Its result.
        public let result: Result

        public init(work: SyncWork, result: Result) {
            self.work = work
            self.result = result
        }
    }

    /// The reconciliation state of one replica.
    struct SyncState: Sendable {
        /// A round this node initiated.
        struct Round: Sendable {
            var started: UInt64
            var messages = 0
            var have = 0
            var need = 0
        }

        /// A missing id and the peer that has it.
        struct Missing: Sendable {
            var id: BlobID
            var peer: PublicKey
        }

        var rounds: [Connection.ID: Round] = [:]
        var nextRoundAt: UInt64 = 0
        var readyDeadline: UInt64 = 0
        var readiness = SyncReadiness.waiting
        var backlog: Deque<Missing> = []
        var requestsThisHeartbeat: [Connection.ID: Int] = [:]
        /// Ids this node's store refused: peers hold them (quotas are a node's own policy), reconciliation finds them
        /// missing on every round, and they are not fetched again.
        var refused: SeenCache<BlobID>

        init(maxRefused: Int) {
            refused = SeenCache(capacity: maxRefused)
        }
    }
}

extension Replica.StateMachine {
    /// Whether a first reconciliation round has finished (what `/readyz` reports).
    public var syncReadiness: Replica.SyncReadiness { sync.readiness }

    /// Reports the outcome of a `.reconcile` action.
    public mutating func reconciled(_ outcome: Replica.SyncOutcome, now: UInt64) -> [Replica.Action] {
        guard !stopped else { return [] }
        var actions: [Replica.Action] = []
        let id = outcome.work.connection
        guard connections[id] != nil, let key = upKey(of: id) else {
            sync.rounds[id] = nil
            return []
        }
        switch outcome.result {
        case .malformed(let detail):
            sync.rounds[id] = nil
            counters.syncRoundsFailed += 1
            offence(.malformedFrame, on: id, detail: "sync: \(detail)", now: now, into: &actions)
        case .storeFailed(let detail):
            sync.rounds[id] = nil
            counters.syncRoundsFailed += 1
            actions.append(.emit(.syncFailed(key, detail: detail)))
        case .message(let message, let have, let need):
            switch outcome.work.step {
            case .respond:
                if let message { send(.syncResponse(message), on: id, now: now, into: &actions) }
            case .initiate, .reconcile:
                guard var round = sync.rounds[id] else { return actions }
                round.have += have.count
                round.need += need.count
                counters.syncIDsHad += have.count
                counters.syncIDsNeeded += need.count
                announce(have, to: id, now: now, into: &actions)
                remember(need, heldBy: key)
                if let message {
                    round.messages += 1
                    sync.rounds[id] = round
                    send(.syncRequest(message), on: id, now: now, into: &actions)
                } else {
                    sync.rounds[id] = nil
                    counters.syncRoundsCompleted += 1
                    if sync.readiness == .waiting { sync.readiness = .synced(atMilliseconds: now, peer: key) }
                    actions.append(
                        .emit(
                            .syncFinished(
                                key,
                                messages: round.messages,
                                have: round.have,
                                need: round.need,
                                milliseconds: now >= round.started ? now - round.started : 0
                            )
                        )
                    )
                }
                fetchMissing(now: now, into: &actions)
            }
        }
        return actions
    }

    // MARK: Internals

    /// Arms the first round timer and the readiness deadline.
    mutating func startSync(now: UInt64) {
        sync.nextRoundAt = PeerManager.StateMachine.adding(now, configuration.sync.intervalMilliseconds)
        sync.readyDeadline = PeerManager.StateMachine.adding(now, configuration.sync.readyTimeoutMilliseconds)
    }

    /// Starts a round on `id` unless one is open there.
    mutating func beginRound(on id: Connection.ID, now: UInt64, into actions: inout [Replica.Action]) {
        guard sync.rounds[id] == nil, upKey(of: id) != nil else { return }
        sync.rounds[id] = Replica.SyncState.Round(started: now, messages: 1)
        counters.syncRoundsStarted += 1
        actions.append(.reconcile(work(.initiate, on: id)))
    }

    /// A peer's `syncRequest` or `syncResponse`.
    mutating func receiveSync(
        _ message: WireMessage,
        on id: Connection.ID,
        now: UInt64,
        into actions: inout [Replica.Action]
    ) {
        switch message {
        case .syncRequest(let bytes):
            let count = sync.requestsThisHeartbeat[id, default: 0] + 1
            sync.requestsThisHeartbeat[id] = count
            guard count <= configuration.sync.maxRequestsPerHeartbeat else {
                if count == configuration.sync.maxRequestsPerHeartbeat + 1 {
                    offence(
                        .spam,
                        on: id,
                        detail: "more than \(count - 1) sync requests in a heartbeat",
                        now: now,
                        into: &actions
                    )
                }
                return
            }
            counters.syncRequestsAnswered += 1
            actions.append(.reconcile(work(.respond(bytes), on: id)))
        case .syncResponse(let bytes):
            // A response to no open round (the round timed out, or the peer is confused) is ignored.
            guard sync.rounds[id] != nil else {
                counters.syncUnexpectedResponses += 1
                return
            }
            actions.append(.reconcile(work(.reconcile(bytes), on: id)))
        default:
            return
        }
    }

    /// The heartbeat's part: readiness deadline, round timeouts, the periodic round, fetches.
    mutating func syncTick(now: UInt64, into actions: inout [Replica.Action]) {
        sync.requestsThisHeartbeat.removeAll(keepingCapacity: true)
        if sync.readiness == .waiting, now >= sync.readyDeadline {
            sync.readiness = .timedOut(atMilliseconds: now)
        }
        for (id, round) in sync.rounds.sorted(by: { $0.key < $1.key })
        where now >= PeerManager.StateMachine.adding(round.started, configuration.sync.roundTimeoutMilliseconds) {
            sync.rounds[id] = nil
            counters.syncRoundsFailed += 1
        }
        if now >= sync.nextRoundAt {
            sync.nextRoundAt = PeerManager.StateMachine.adding(now, configuration.sync.intervalMilliseconds)
            let candidates = connectionByKey.sorted { $0.key < $1.key }.map(\.value).filter { sync.rounds[$0] == nil }
            if !candidates.isEmpty {
                beginRound(on: candidates[Int(random.next() % UInt64(candidates.count))], now: now, into: &actions)
            }
        }
        fetchMissing(now: now, into: &actions)
    }

    /// A connection is gone: its open round with it, counted as failed.
    mutating func syncConnectionClosed(_ id: Connection.ID) {
        if sync.rounds.removeValue(forKey: id) != nil { counters.syncRoundsFailed += 1 }
        sync.requestsThisHeartbeat[id] = nil
    }

    /// Asks peers for missing ids, keeping at most `maxFetchesInFlight` of the router's fetches open.
    mutating func fetchMissing(now: UInt64, into actions: inout [Replica.Action]) {
        guard !sync.backlog.isEmpty else { return }
        var room = configuration.sync.maxFetchesInFlight - gossip.pendingFetches
        while room > 0, let first = sync.backlog.first {
            // One `want` per run of ids from the same peer.
            var ids: [BlobID] = []
            while ids.count < min(room, WireMessage.maxIDs), let next = sync.backlog.first, next.peer == first.peer {
                let id = sync.backlog.removeFirst().id
                // The store may have refused the id since the round that found it missing.
                if sync.refused.contains(id) {
                    counters.syncRefusedSkipped += 1
                } else {
                    ids.append(id)
                }
            }
            guard !ids.isEmpty, connectionByKey[first.peer] != nil else { continue }
            let (wants, taken) = gossip.request(ids, from: first.peer, now: now)
            counters.syncFetchesRequested += taken
            room -= max(taken, 1)
            perform(wants, now: now, into: &actions)
        }
    }

    private mutating func remember(_ ids: [BlobID], heldBy peer: PublicKey) {
        for id in ids {
            guard !sync.refused.contains(id) else {
                counters.syncRefusedSkipped += 1
                continue
            }
            guard sync.backlog.count < configuration.sync.maxBacklog else {
                counters.syncBacklogDropped += 1
                continue
            }
            sync.backlog.append(Replica.SyncState.Missing(id: id, peer: peer))
        }
    }

    /// Tells the peer of ids it lacks, so it fetches them with `want` as for any announcement.
    private mutating func announce(
        _ ids: [BlobID],
        to id: Connection.ID,
        now: UInt64,
        into actions: inout [Replica.Action]
    ) {
        for start in stride(from: 0, to: ids.count, by: WireMessage.maxIDs) {
            let chunk = Array(ids[start..<min(start + WireMessage.maxIDs, ids.count)])
            enqueue(.have(chunk), on: id, lane: .lazy, now: now, into: &actions)
        }
    }

    private mutating func send(
        _ message: WireMessage,
        on id: Connection.ID,
        now: UInt64,
        into actions: inout [Replica.Action]
    ) {
        enqueue(message, on: id, lane: .eager, now: now, into: &actions)
    }

    private func work(_ step: Replica.SyncWork.Step, on id: Connection.ID) -> Replica.SyncWork {
        Replica.SyncWork(connection: id, step: step, frameSizeLimit: configuration.sync.frameSizeLimit)
    }
}
