import CairnCore
import CairnProtocol
import CairnStore
import DequeModule
import Foundation
import Logging
import Metrics
import Synchronization

/// The node: its identity, its store and the state that only the event loop touches.
///
/// An actor whose executor is the node's libuv `EventLoop`: calls from HTTP handlers and the CLI hop onto the loop.
/// Signature checks happen before the hop, on the caller's thread, so both cores verify.
public actor Node {
    /// The loop this actor runs on.
    public nonisolated let loop: EventLoop
    /// The node's blob store; its reads are safe from any thread.
    public nonisolated let store: BlobStore
    /// The node key; the node signs blobs it publishes with it.
    public nonisolated let identity: SigningKey
    /// The configuration the node runs with.
    public nonisolated let configuration: NodeConfiguration
    /// When the node started.
    public nonisolated let startedAt = ContinuousClock.now
    /// The channels components own, with their payload checks: applied to every blob the node accepts, from its API
    /// and from peers alike.
    public nonisolated let channelRules: ChannelRules
    /// Milliseconds since the Unix epoch; injected for tests.
    nonisolated let clock: @Sendable () -> UInt64

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    let logger: Logger
    /// Channels with a drain task running, each with the publishes waiting for it, in arrival order.
    private var publishing: [ChannelName: Deque<PendingPublish>] = [:]
    /// Shutdown waiting for every drain task to finish.
    private var whenPublishesDrained: [CheckedContinuation<Void, Never>] = []
    private var subscribers: [Int: Subscriber] = [:] {
        didSet { openStreams.record(subscribers.count) }
    }
    /// The plug-ins and the last step of the accept pipeline ("tell observers").
    var pluginHost: PluginHost
    /// While the stored blobs are replayed to the plug-ins: ids committed meanwhile, fed after the replay.
    var pluginReplay: PluginReplay? = PluginReplay()
    /// Plug-in events waiting to be appended, in the order asked; one drain task appends them one after another.
    var pluginEvents: Deque<(topic: String, json: [UInt8])> = []
    var pluginEventsDraining = false
    /// Plug-in requests (publish, record, the event drain) still being carried out, and who waits for none.
    var pluginTasks = 0
    var pluginIdleWaiters: [CheckedContinuation<Void, Never>] = []
    /// The highest event sequence whose evidence the plug-ins were given (by the replay or live): each recorded
    /// evidence reaches them once, whichever way it comes.
    var pluginEvidenceFedThrough: UInt64 = 0
    /// Ticks the plug-ins (`Plugin.tick`) every `pluginTickInterval` once they are live.
    var pluginTicker: Task<Void, Never>?
    private var nextSubscriberID = 0
    private var acceptingWork = true
    private let shutdownFlag = Atomic<Bool>(false)

    /// `true` once shutdown began; long-running readers (event-stream replays) stop when they see it.
    public nonisolated var isShuttingDown: Bool { shutdownFlag.load(ordering: .relaxed) }
    private var mesh: Mesh?
    private let droppedSubscribers = Counter(label: "cairn_sse_subscribers_dropped_total")
    private let openStreams = Gauge(label: "cairn_sse_streams")
    private let refusedStreams = Counter(label: "cairn_sse_streams_refused_total")

    private struct Subscriber {
        let topics: Set<String>?
        let continuation: AsyncStream<EventSubscription.Item>.Continuation
        let backlog: EventBacklog
        let onOverflow: @Sendable () -> Void
    }
    /// Sends `keepalive` to every feed every `api.sse_keepalive_ms` while any is open.
    private var keepaliveTicker: Task<Void, Never>?

    /// Creates the node on `loop` and subscribes it to the store's commits.
    public init(
        configuration: NodeConfiguration,
        identity: SigningKey,
        store: BlobStore,
        loop: EventLoop,
        logger: Logger = Logger(label: "cairn.node"),
        clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) },
        channelRules: ChannelRules = ChannelRules(),
        plugins: [any Plugin] = []
    ) {
        let host = PluginHost(plugins: plugins)
        pluginHost = host
        // Without plug-ins, `channelRules` (tests give rules directly); with them, what they registered.
        self.channelRules = plugins.isEmpty ? channelRules : host.registry.channelRules
        eventTopics = Node.coreTopics.union(host.registry.topics)
        self.configuration = configuration
        self.identity = identity
        self.store = store
        self.loop = loop
        self.logger = logger
        self.clock = clock
        let observesBlobs = !plugins.isEmpty
        store.setCommitObserver { [weak self, loop] commit in
            // Live feeds show the event log: a blob appears once its chain is complete. Plug-ins see every stored
            // blob at once.
            let events = commit.events
            let stored = observesBlobs ? commit.storedBlobs : []
            let recorded = observesBlobs ? commit.events.filter { $0.topic == StoredEvent.evidenceTopic } : []
            loop.execute { [weak self] in
                self?.assumeIsolated { node in
                    node.deliver(events)
                    if !stored.isEmpty { node.pluginsCommitted(stored) }
                    if !recorded.isEmpty { node.pluginsRecorded(recorded) }
                }
            }
        }
    }

    /// Signs `payload` as the next blob of this node's channel `channel` and stores it.
    ///
    /// Publishes on one channel are chained in arrival order by one drain task per channel, which signs everything
    /// queued so far as consecutive seqs and stores it with one `put` (one transaction), so a channel under load
    /// still gets group commit. A batch commits or fails whole, and the next batch is signed only after the previous
    /// one committed: a failed put can never leave a later blob pointing at a blob that does not exist.
    /// - Returns: the blob, once the transaction holding it has committed.
    /// - Throws: `NodeError`; `.store(.tooManyPending)` when too many publishes already wait on this channel.
    public func publish(channel: ChannelName, payload: [UInt8]) async throws(NodeError) -> SignedBlob {
        guard acceptingWork else { throw .shuttingDown }
        guard payload.count <= configuration.maxBlobBytes else {
            throw .invalid(.blobTooLarge(size: payload.count, limit: configuration.maxBlobBytes))
        }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<PublishResult, Never>) in
            let request = PendingPublish(payload: payload, continuation: continuation)
            guard var queue = publishing[channel] else {
                publishing[channel] = [request]
                Task { await drainPublishes(on: channel) }
                return
            }
            guard queue.count < Self.maxWaitingPublishesPerChannel else {
                continuation.resume(
                    returning: .failure(.store(.tooManyPending(limit: Self.maxWaitingPublishesPerChannel)))
                )
                return
            }
            queue.append(request)
            publishing[channel] = queue
        }
        return try result.get()
    }

    private typealias PublishResult = Result<SignedBlob, NodeError>

    /// A publish waiting for its channel's drain task.
    private struct PendingPublish {
        let payload: [UInt8]
        let continuation: CheckedContinuation<PublishResult, Never>
    }

    /// Signs and stores `channel`'s queued publishes, a batch per commit, until none is left.
    private func drainPublishes(on channel: ChannelName) async {
        // One store transaction per batch: never more than the store puts in one.
        let batchLimit = max(
            1,
            min(configuration.commitBatchMax, store.configuration.maxBatchBlobs, store.configuration.maxPendingWrites)
        )
        while let queue = publishing[channel], !queue.isEmpty {
            let batch = Array(queue.prefix(batchLimit))
            publishing[channel] = Deque(queue.dropFirst(batch.count))
            await publishBatch(batch, on: channel)
        }
        publishing[channel] = nil
        if publishing.isEmpty {
            let waiting = whenPublishesDrained
            whenPublishesDrained = []
            for continuation in waiting { continuation.resume() }
        }
    }

    private func publishBatch(_ batch: [PendingPublish], on channel: ChannelName) async {
        var previous: (seq: UInt64, id: BlobID)?
        do {
            previous = try store.head(author: identity.publicKey, name: channel)
        } catch {
            for request in batch { request.continuation.resume(returning: .failure(.store(error))) }
            return
        }
        var signed: [(blob: SignedBlob, continuation: CheckedContinuation<PublishResult, Never>)] = []
        for request in batch {
            do {
                let blob = try SignedBlob.sign(
                    key: identity,
                    channel: channel,
                    seq: (previous?.seq ?? 0) + 1,
                    prev: previous?.id ?? .zero,
                    timestamp: clock(),
                    payload: request.payload
                )
                if let refusal = channelRules.refusal(of: blob) {
                    request.continuation.resume(
                        returning: .failure(.refused(owner: refusal.owner, reason: refusal.reason))
                    )
                    continue
                }
                previous = (blob.seq, blob.id)
                signed.append((blob, request.continuation))
            } catch {
                request.continuation.resume(returning: .failure(.invalid(error)))
            }
        }
        guard !signed.isEmpty else { return }
        let results: [PutResult]
        do {
            results = try await store.put(signed.map(\.blob))
        } catch {
            for item in signed { item.continuation.resume(returning: .failure(.store(error))) }
            return
        }
        // Once one blob of the batch is refused, the store refuses the rest of it too: no gap in the chain.
        for (item, result) in zip(signed, results) {
            if case .refused(let refusal) = result.outcome {
                item.continuation.resume(returning: .failure(.quotaExceeded(refusal)))
                continue
            }
            mesh?.publish(item.blob)
            item.continuation.resume(returning: .success(item.blob))
        }
    }

    /// Publishes allowed to wait for one channel; beyond it they are refused as busy (HTTP 503).
    static let maxWaitingPublishesPerChannel = 4096

    /// Stores a blob made elsewhere; the caller has already verified it (a `SignedBlob` is verified by construction).
    ///
    /// Runs on the caller's thread, not the loop: the store is thread-safe, and only the announcement to the mesh
    /// is handed to the loop (without waiting for it), so ingest through HTTP costs no hop onto the loop.
    /// - Returns: whether it was new, and any evidence it completed, once committed.
    /// - Throws: `NodeError`; `.quotaExceeded` when the store's quota refuses it.
    public nonisolated func ingest(_ blob: SignedBlob) async throws(NodeError) -> PutResult {
        guard !isShuttingDown else { throw .shuttingDown }
        guard blob.payload.count <= configuration.maxBlobBytes else {
            throw .invalid(.blobTooLarge(size: blob.payload.count, limit: configuration.maxBlobBytes))
        }
        if let refusal = channelRules.refusal(of: blob) { throw .refused(owner: refusal.owner, reason: refusal.reason) }
        let result: PutResult
        do {
            result = try await store.put(blob)
        } catch {
            throw .store(error)
        }
        if case .refused(let refusal) = result.outcome { throw .quotaExceeded(refusal) }
        if result.outcome == .stored || !result.evidence.isEmpty {
            loop.execute { [weak self] in
                self?.assumeIsolated { node in
                    if result.outcome == .stored { node.mesh?.publish(blob) }
                    node.mesh?.evidenceRecorded(result.evidence)
                }
            }
        }
        return result
    }

    /// Joins the mesh: listens for peers, dials the bootstrap list and starts gossiping.
    /// - Parameters:
    ///   - configuration: the mesh's configuration.
    ///   - seed: `nil` in production (handshake ephemerals from the OS's secure source); a seed makes every choice
    ///     of the replica reproducible, for tests.
    ///   - evidenceJudges: the evidence kinds the node accepts; `nil` for the core's channel forks plus those the
    ///     node's plug-ins registered.
    /// - Throws: `EventLoopError` when the listen address cannot be bound.
    public func startMesh(
        _ configuration: MeshConfiguration,
        seed: UInt64? = nil,
        evidenceJudges: EvidenceJudges? = nil
    ) throws(EventLoopError) {
        precondition(mesh == nil, "the mesh is already running")
        let evidenceJudges = evidenceJudges ?? pluginHost.registry.evidenceJudges
        let mesh = Mesh(
            configuration: configuration,
            loop: loop,
            identity: identity,
            store: store,
            logger: Logger(label: "cairn.mesh"),
            clock: clock,
            randomness: seed.map { .seeded($0) }
                ?? .secure(seed: UInt64.random(in: 0...UInt64.max), ephemeralKey: { EphemeralKey.generate() }),
            evidenceJudges: evidenceJudges,
            channelRules: channelRules
        )
        try mesh.start()
        self.mesh = mesh
    }

    /// Floods evidence the store recorded outside the mesh (a plug-in's) to the peers, when the mesh runs.
    func floodRecordedEvidence(_ ids: [EvidenceID]) {
        mesh?.evidenceRecorded(ids)
    }

    /// The bound peer-to-peer port, once the mesh runs.
    public var meshPort: Int? { mesh?.listenPort }

    /// The connected peers.
    public var peers: [PeerSummary] { mesh?.peerSummaries ?? [] }

    /// Whether the node has reconciled with a peer since it started; `nil` when it runs no mesh.
    public var syncReadiness: Replica.SyncReadiness? { mesh?.syncReadiness }

    /// How long after start the node counts as ready without a finished reconciliation round, in milliseconds.
    public var syncReadyTimeoutMilliseconds: UInt64 { configuration.sync.readyTimeoutMilliseconds }

    /// Starts a live feed of committed events, unless `api.max_event_streams` feeds are open already.
    /// - Parameters:
    ///   - topics: the topics to pass, or `nil` for all.
    ///   - onOverflow: called (on the node's loop) when the client fell `api.sse_buffer_events` behind and the feed
    ///     was ended: the reader has stalled, so whoever writes to it should close its connection.
    /// - Returns: the feed, or `nil` at the limit.
    public func subscribe(
        topics: Set<String>?,
        onOverflow: @escaping @Sendable () -> Void = {}
    ) -> EventSubscription? {
        guard subscribers.count < configuration.maxEventStreams else {
            refusedStreams.increment()
            return nil
        }
        nextSubscriberID += 1
        let id = nextSubscriberID
        // The bound is in events, counted by the backlog: the stream itself never drops.
        let (stream, continuation) = AsyncStream.makeStream(of: EventSubscription.Item.self)
        let backlog = EventBacklog()
        if acceptingWork {
            subscribers[id] = Subscriber(
                topics: topics,
                continuation: continuation,
                backlog: backlog,
                onOverflow: onOverflow
            )
            continuation.onTermination = { [weak self, loop] _ in
                loop.execute { [weak self] in self?.assumeIsolated { $0.unsubscribe(id) } }
            }
            startKeepalivesIfNeeded()
        } else {
            continuation.finish()
        }
        return EventSubscription(id: id, events: .init(stream: stream, backlog: backlog))
    }

    /// Ends one live feed.
    public func unsubscribe(_ id: Int) {
        subscribers.removeValue(forKey: id)?.continuation.finish()
    }

    /// Refuses new work and ends every live feed; the first step of a graceful shutdown.
    public func beginShutdown() async {
        acceptingWork = false
        shutdownFlag.store(true, ordering: .relaxed)
        // Publishes already accepted finish (their puts commit) before the store closes.
        if !publishing.isEmpty {
            await withCheckedContinuation { whenPublishesDrained.append($0) }
        }
        if let mesh {
            mesh.stop()
            // Let blobs the mesh is storing, and queued peer-book writes and events, reach the store before it closes.
            await withCheckedContinuation { continuation in mesh.whenStoresDrained { continuation.resume() } }
            await mesh.persistence.value
        }
        // What plug-ins asked (events, evidence) reaches the store too; their publishes now fail fast.
        pluginTicker?.cancel()
        await pluginRequestsDone()
        keepaliveTicker?.cancel()
        for subscriber in subscribers.values { subscriber.continuation.finish() }
        subscribers.removeAll()
    }

    /// The event topics the core defines: blobs linked into their channel, recorded evidence, prev mismatches, peer
    /// connections and bans.
    public static let coreTopics: Set<String> = ["blob", "evidence", "chain", "peer"]

    /// The topics `GET /v1/events` serves: the core's and those components registered (an open set).
    public private(set) var eventTopics: Set<String>

    /// Registers event topics a component (a plug-in) appends to the event log.
    /// - Parameter topics: topic names, each valid as `StoredEvent.isValidCustomTopic` says.
    public func registerTopics(_ topics: Set<String>) {
        eventTopics.formUnion(topics)
    }

    /// The number of live event feeds.
    public var subscriberCount: Int { subscribers.count }

    /// Hands one commit's events to every feed as one item (its topics' share of them).
    private func deliver(_ events: [StoredEvent]) {
        guard !events.isEmpty else { return }
        for (id, subscriber) in subscribers {
            let passed = subscriber.topics.map { topics in events.filter { topics.contains($0.topic) } } ?? events
            if !passed.isEmpty { offer(.events(passed), to: id, subscriber) }
        }
    }

    /// Hands `item` to one feed; a feed that would hold more than `api.sse_buffer_events` events is ended instead
    /// and its writer told (`onOverflow`).
    private func offer(_ item: EventSubscription.Item, to id: Int, _ subscriber: Subscriber) {
        if subscriber.backlog.add(EventBacklog.weight(of: item), limit: configuration.sseBufferEvents),
            case .enqueued = subscriber.continuation.yield(item)
        {
            return
        }
        logger.notice("event subscriber fell behind; closing its stream", metadata: ["subscriber": "\(id)"])
        droppedSubscribers.increment()
        subscribers.removeValue(forKey: id)
        subscriber.continuation.finish()
        subscriber.onOverflow()
    }

    private func startKeepalivesIfNeeded() {
        guard keepaliveTicker == nil else { return }
        let interval = Duration.milliseconds(configuration.sseKeepaliveMilliseconds)
        keepaliveTicker = Task {
            while !Task.isCancelled, !self.isShuttingDown {
                try? await Task.sleep(for: interval)
                self.sendKeepalives()
            }
        }
    }

    private func sendKeepalives() {
        for (id, subscriber) in subscribers { offer(.keepalive, to: id, subscriber) }
    }
}
