import CairnCore
import CairnProtocol

/// The `cairn-sim` engine: thousands of `Replica.StateMachine`s in one process on virtual time.
///
/// One priority queue of events ordered by (virtual microsecond, sequence number) drives everything: node starts,
/// leaves and rejoins, publications, replica wake-ups, and a simulated TCP transport (latency per node pair,
/// bandwidth serialised per direction, in-order delivery, loss as retransmission delay, partitions that hold bytes
/// until they heal). Every `Replica.Action` is performed as a driver would: dials become links, writes become
/// deliveries, verifications take the per-hop processing time on the node's CPU, stores go to an in-memory index
/// over blobs shared by all nodes. Each node's commits and recorded evidence feed its plug-in host as the libuv
/// node's do (`Simulation+Plugins`); a scenario's `[quorum]` loads the quorum plug-in (`Simulation+Quorum`).
/// Hostile peers run no replica (see `HostilePeer`).
///
/// Nothing here reads a clock or an unseeded generator, and no dictionary or set is iterated where its order could
/// matter: the same scenario and seed give the same events, byte for byte, and the same trace hash.
final class Simulation {
    /// What `run` reports now and then.
    struct Progress: Sendable {
        /// The virtual instant, in microseconds.
        var virtualMicros: UInt64
        /// Events processed so far.
        var events: Int
        /// Simulation blobs published so far.
        var published: Int
        /// (blob, node) deliveries counted so far.
        var deliveredPairs: Int
        /// Deliveries still awaited by nodes that are up.
        var pendingPairs: Int
        /// (up honest node, published blob) pairs where the node lacks the blob.
        var missingPairs: Int
    }

    /// How a run ended.
    enum Outcome: Sendable, Equatable {
        /// Every scenario event ran, every honest node that is up holds every published blob (their sets of
        /// published blobs are identical), every node expected to know of a fork does, and with a quorum, every
        /// node up has decided every height (and recorded the double sign's evidence).
        case complete
        /// The duration limit came first.
        case durationLimit
        /// After the last scenario event, no node stored a published blob for `settle_ms`, yet some are missing.
        case stalled
    }

    /// Totals of what happened, for the summary.
    struct Counters: Sendable, Equatable {
        /// Dials started by honest replicas.
        var dials = 0
        /// Dials refused or lost (target down, partitioned, not listening).
        var dialsFailed = 0
        /// Connections accepted by honest replicas.
        var accepted = 0
        /// Authenticated peer connections (`peerUp`).
        var peersUp = 0
        /// Connection failures reported by replicas.
        var connectionFailures = 0
        /// Offences by `PeerManager.Offence.allCases` position.
        var offences = [Int](repeating: 0, count: PeerManager.Offence.allCases.count)
        /// Keys banned (by any honest node).
        var bans = 0
        /// Peers disconnected for reading too slowly.
        var tooSlow = 0
        /// Blob verifications performed.
        var verifications = 0
        /// Blob verifications that failed.
        var rejected = 0
        /// Evidence accepted.
        var evidenceAccepted = 0
        /// Blobs a node's own API refused (the owner of their channel found the payload malformed).
        var refusedLocally = 0
        /// Plug-in requests the host refused (an unregistered topic, evidence no judge accepts).
        var pluginRequestsRefused = 0
        /// Peer-book changes persisted.
        var persisted = 0
        /// Notices emitted.
        var emitted = 0
        /// Reconciliation rounds that ran to the end.
        var syncRounds = 0
        /// Per hostile kind (`HostilePeer.Kind.allCases` position): dials made.
        var hostileDials = [Int](repeating: 0, count: HostilePeer.Kind.allCases.count)
        /// Per hostile kind: connections an honest replica closed.
        var hostileClosedByHonest = [Int](repeating: 0, count: HostilePeer.Kind.allCases.count)
        /// Per hostile kind: bans of its keys by honest nodes.
        var hostileBans = [Int](repeating: 0, count: HostilePeer.Kind.allCases.count)
    }

    /// A partition in microseconds, with each node's group.
    struct ActivePartition {
        var from: UInt64
        var until: UInt64
        /// Group per node index; nodes in no listed group share group -1.
        var group: [Int32]

        func separates(_ a: Int, _ b: Int) -> Bool { groupOf(a) != groupOf(b) }

        private func groupOf(_ node: Int) -> Int32 { node < group.count ? group[node] : -1 }
    }

    /// The port every node listens on.
    static let listenPort: UInt16 = 7700
    /// The smallest retransmission timeout after a loss (Linux's `TCP_RTO_MIN`), in microseconds.
    static let minimumRetransmitMicros: UInt64 = 200_000
    /// `run` reports progress after this many events.
    static let progressInterval = 8192
    /// The kernel send buffer of each simulated socket, in bytes.
    static let sendBufferBytes = 128 * 1024
    /// Bytes the transport took are reported `written` once this many have added up (see `write`).
    static let writtenBatchBytes = 32 * 1024
    /// Ephemeral ports of inbound connections start here.
    static let ephemeralPortBase = 32_768

    /// The scenario being run.
    let scenario: Scenario
    /// The run's seed.
    let seed: UInt64
    /// Every honest replica's configuration.
    let configuration: Replica.Configuration
    /// What the scenario's plug-ins register (the core's rules alone when it loads none).
    let pluginRegistry: PluginRegistry
    /// The current virtual instant, in microseconds.
    private(set) var now: UInt64 = 0

    var queue = EventQueue<Event>()
    var random: SplitMix64
    var nodes: [Node] = []
    var links: [Link] = []
    /// Every valid blob any node stored, interned: the simulation's own first, then any others (a flooder's).
    var blobs: [SignedBlob] = []
    var blobIndex: [BlobID: Int] = [:]
    /// When each simulation blob was published (microseconds), `.max` until it is.
    var publishedAt: [UInt64]
    /// Who published each simulation blob.
    var publisher: [Int]
    /// The order in which each simulation blob was published.
    var publishOrdinal: [Int]
    var publishedCount = 0
    var addressIndex: [PeerAddress: Int] = [:]
    var keyIndex: [PublicKey: Int] = [:]
    var honestIndices: [Int] = []
    /// Honest nodes in the mesh (see `Node.isMember`).
    var members = 0
    var partitions: [ActivePartition] = []
    var trace = TraceHash()
    var events = 0
    /// Events processed, by `Event.traceKind`.
    var eventsByKind = [Int](repeating: 0, count: Event.kindNames.count + 1)
    /// (blob, node) pairs not yet held by nodes that have been members since the blob was published.
    var pendingPairs = 0
    var deliveredPairs = 0
    /// Honest nodes that are up.
    var upHonest = 0
    /// (up honest node, published simulation blob) pairs where the node lacks the blob: the run has converged
    /// when this is 0 and no scenario event is left.
    var missingPairs = 0
    /// Start, leave, publish, fork and heal events not yet run.
    var pendingScenarioEvents = 0
    /// When the last scenario event ran (microseconds).
    var lastScenarioEventAt: UInt64 = 0
    /// When every up honest node first held every published blob with no scenario event left (microseconds);
    /// `nil` until then.
    var convergedAt: UInt64?
    /// The last scenario event, or the last time a node that is up stored a published blob it lacked
    /// (microseconds): the run settles `settle_ms` after it.
    var lastProgressAt: UInt64 = 0
    var counters = Counters()
    /// The scenario's equivocations and who learnt of them when.
    var forks: [Fork] = []
    /// Fork number by evidence id.
    var forkByEvidence: [EvidenceID: Int] = [:]
    /// The interned blobs outside the scenario's own, by slot: where channel forks are found.
    var slots: [Slot: [Int]] = [:]
    /// The scenario's quorum, when it has one.
    var quorum: QuorumRun?
    /// Honest nodes up that have not yet reached the end the quorum scenario expects (see `QuorumRun`).
    var pendingQuorumNodes = 0
    /// (fork, node) pairs of nodes expected to hold a fork's evidence that do not yet.
    var pendingAlerts = 0
    let perHopMicros: UInt64
    let dialTimeoutMicros: UInt64

    /// Sets up the nodes, signs the blobs and schedules starts, churn and publications.
    /// - Parameters:
    ///   - scenario: what to simulate.
    ///   - seed: the only source of randomness.
    init(scenario: Scenario, seed: UInt64) {
        self.scenario = scenario
        self.seed = seed
        random = SplitMix64(seed: SplitMix64.mix(seed, 0x5349_4D))
        var configuration = Replica.Configuration(network: scenario.network)
        configuration.peers.outboundTarget = scenario.node.outboundTarget
        configuration.peers.inboundCap = scenario.node.inboundCap
        configuration.sync.intervalMilliseconds = scenario.node.syncIntervalMilliseconds
        if let bytes = scenario.node.idontwantMinBytes { configuration.gossip.idontwantMinBytes = bytes }
        if scenario.plaintextRecords { configuration.recordCipher = .plaintextForSimulation }
        let quorum = scenario.quorum.map { QuorumRun(scenario: scenario, settings: $0, seed: seed) }
        self.quorum = quorum
        configuration.genesisHash = quorum?.genesis.hash.bytes
        self.configuration = configuration
        pluginRegistry = PluginHost(plugins: Self.plugins(for: quorum)).registry
        perHopMicros = UInt64((scenario.node.perHopProcessingMilliseconds * 1000).rounded())
        dialTimeoutMicros = configuration.dialTimeoutMilliseconds * 1000
        let count = scenario.blobs.count
        publishedAt = [UInt64](repeating: .max, count: count)
        publisher = [Int](repeating: -1, count: count)
        publishOrdinal = [Int](repeating: -1, count: count)

        makeNodes()
        for member in quorum?.members ?? 0..<0 { nodes[member].isQuorumMember = true }
        signBlobs()
        chooseBootstraps()
        makePartitions()
        scheduleScenario()
    }

    /// The current virtual instant in the replicas' milliseconds.
    var nowMilliseconds: UInt64 { now / 1000 }

    /// Runs until every scenario event ran and every honest node that is up holds every published blob, the run
    /// settled with blobs missing, or the duration limit.
    /// - Parameter progress: called every `progressInterval` events (the caller decides whether to show it).
    /// - Returns: the run's figures and trace hash.
    func run(progress: (Progress) -> Void = { _ in }) -> Summary {
        let limit = scenario.durationLimitMilliseconds * 1000
        let settle = scenario.settleMilliseconds * 1000
        var outcome = Outcome.stalled
        while let next = queue.nextTime {
            if pendingScenarioEvents == 0, next > lastProgressAt + settle, lastProgressAt + settle <= limit {
                outcome = .stalled
                now = lastProgressAt + settle
                break
            }
            guard next <= limit else {
                outcome = .durationLimit
                now = limit
                break
            }
            let (time, event) = queue.pop()!
            assert(time >= now, "virtual time went backwards")
            now = time
            handle(event)
            assert(missingPairs > 0 || pendingPairs == 0, "a node in the mesh misses a blob, yet every node has all")
            if pendingScenarioEvents == 0 && missingPairs == 0 {
                // Only scenario events add missing pairs: once none is left, the first instant with none missing
                // is when the sets became identical.
                if convergedAt == nil { convergedAt = now }
                if pendingAlerts == 0 && pendingQuorumNodes == 0 {
                    outcome = .complete
                    break
                }
            }
            if events % Self.progressInterval == 0 {
                progress(
                    Progress(
                        virtualMicros: now,
                        events: events,
                        published: publishedCount,
                        deliveredPairs: deliveredPairs,
                        pendingPairs: pendingPairs,
                        missingPairs: missingPairs
                    )
                )
            }
        }
        return Summary(of: self, outcome: outcome)
    }

    // MARK: Events

    func schedule(_ event: Event, at time: UInt64) {
        queue.push(event, at: max(time, now))
    }

    private func handle(_ event: Event) {
        events += 1
        record(event)
        switch event {
        case .start(let node):
            scenarioEventRan()
            start(node)
        case .leave(let node):
            scenarioEventRan()
            leave(node)
        case .publish(let blob):
            scenarioEventRan()
            publish(blob)
        case .tick(let node, let token):
            guard nodes[node].isUp, nodes[node].wakeToken == token, nodes[node].replica != nil else { return }
            nodes[node].wakeAt = .max
            if nodes[node].plugins != nil {
                enqueuePluginRequests(nodes[node].plugins!.tick(now: nowMilliseconds), at: node)
            }
            run(nodes[node].replica!.tick(now: nowMilliseconds), at: node)
        case .accept(let link):
            accept(link)
        case .dialed(let link):
            dialed(link)
        case .dialFailed(let link):
            dialFailed(link)
        case .deliver(let link, let side, let bytes):
            deliver(bytes, on: link, to: side)
        case .written(let link, let side, let count):
            written(count, on: link, by: side)
        case .closed(let link, let side):
            closed(link, at: side)
        case .verify(let node, let incarnation, let bytes, let id, let peer):
            verify(bytes, id: id, from: peer, at: node, incarnation: incarnation)
        case .verifyEvidence(let node, let incarnation, let bytes, let digest, let peer):
            verifyEvidence(bytes, digest: digest, from: peer, at: node, incarnation: incarnation)
        case .hostileAct(let node):
            hostileAct(node)
        case .fork(let number):
            scenarioEventRan()
            publishFork(number)
        case .heal:
            // Links check the partition's end themselves (`partitioned`, `healed`): the event marks the instant.
            scenarioEventRan()
        case .plugins(let node, let incarnation):
            performPluginRequests(at: node, incarnation: incarnation)
        case .quorumBlock(let height):
            scenarioEventRan()
            quorumBlockAvailable(height)
        }
    }

    private func scenarioEventRan() {
        pendingScenarioEvents -= 1
        lastScenarioEventAt = now
        lastProgressAt = now
    }

    /// Folds the event into the trace: instant, kind, the node it happens at, and its byte count.
    private func record(_ event: Event) {
        let node: Int
        var bytes = 0
        switch event {
        case .start(let index), .leave(let index), .publish(let index), .tick(let index, _), .hostileAct(let index),
            .plugins(let index, _):
            node = index
        case .quorumBlock(let height):
            node = Int(truncatingIfNeeded: height)
        case .accept(let link):
            node = links[link].acceptor.node
        case .dialed(let link), .dialFailed(let link):
            node = links[link].dialer.node
        case .deliver(let link, let side, let payload):
            node = links[link][side].node
            bytes = payload.count
        case .written(let link, let side, let count):
            node = links[link][side].node
            bytes = count
        case .closed(let link, let side):
            node = links[link][side].node
        case .verify(let index, _, let payload, _, _), .verifyEvidence(let index, _, let payload, _, _):
            node = index
            bytes = payload.count
        case .fork(let number), .heal(let number):
            node = number
        }
        trace.record(time: now, kind: event.traceKind, node: node, bytes: bytes)
        eventsByKind[Int(event.traceKind)] += 1
    }

    // MARK: Node life cycle

    private func start(_ index: Int) {
        guard !nodes[index].isUp else { return }
        nodes[index].isUp = true
        guard nodes[index].isHonest else {
            let interval = nodes[index].hostile!.settings.intervalMilliseconds * 1000
            schedule(.hostileAct(node: index), at: now + random.uniform(0...interval))
            return
        }
        upHonest += 1
        missingPairs += publishedCount - nodes[index].heldPublished
        if quorum != nil, !quorum!.done[index] { pendingQuorumNodes += 1 }
        startPlugins(index)
        var replica = Replica.StateMachine(
            configuration: configuration,
            identity: nodes[index].identity,
            randomness: .seeded(SplitMix64.mix(seed, UInt64(index), UInt64(nodes[index].incarnation))),
            evidenceJudges: pluginRegistry.evidenceJudges,
            channelRules: pluginRegistry.channelRules
        )
        let known = nodes[index].book.sorted { $0.value < $1.value }.map(\.key)
        let bans = nodes[index].bans.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let actions = replica.start(
            listenPort: Self.listenPort,
            localAddresses: [nodes[index].address],
            bootstrap: nodes[index].bootstrap,
            knownAddresses: known,
            bans: bans,
            now: nowMilliseconds
        )
        nodes[index].replica = replica
        run(actions, at: index)
    }

    private func leave(_ index: Int) {
        guard nodes[index].isUp, nodes[index].replica != nil else { return }
        run(nodes[index].replica!.stop(now: nowMilliseconds), at: index)
        for id in nodes[index].connections.keys.sorted() { closeEnd(of: index, connection: id, farewell: []) }
        let node = nodes[index]
        if node.isMember {
            let expected = publishedCount - node.publishedBeforeMembership - node.publishedAsMember
            pendingPairs -= expected - node.heldAsMember
            members -= 1
        }
        upHonest -= 1
        missingPairs -= publishedCount - node.heldPublished
        if quorum != nil, !quorum!.done[index] { pendingQuorumNodes -= 1 }
        stopPlugins(index)
        nodes[index].isMember = false
        nodes[index].retired.add(node.replica!)
        nodes[index].replica = nil
        nodes[index].isUp = false
        nodes[index].incarnation += 1
        nodes[index].wakeToken += 1
        nodes[index].wakeAt = .max
        nodes[index].cpuFreeAt = now
    }

    /// A member (else any up node) publishes the blob: it is stored there, then announced.
    private func publish(_ blob: Int) {
        var candidates: [Int] = []
        for index in honestIndices where nodes[index].isMember { candidates.append(index) }
        if candidates.isEmpty {
            for index in honestIndices where nodes[index].isUp { candidates.append(index) }
        }
        guard !candidates.isEmpty else { return }
        let author = candidates[random.below(candidates.count)]
        publishedAt[blob] = now
        publisher[blob] = author
        publishOrdinal[blob] = publishedCount
        publishedCount += 1
        missingPairs += upHonest
        if nodes[author].isMember {
            nodes[author].publishedAsMember += 1
            pendingPairs += members - 1
        } else {
            pendingPairs += members
        }
        ingest(blobs[blob], at: author)
    }

    /// Records that `node` stores the interned blob `blob`.
    func hold(_ blob: Int, at index: Int) {
        if nodes[index].held.count <= blob {
            nodes[index].held.append(
                contentsOf: repeatElement(UInt64.max, count: blobs.count - nodes[index].held.count)
            )
        }
        guard nodes[index].held[blob] == .max else { return }
        nodes[index].held[blob] = now
        nodes[index].syncItems.insert(SyncItem(blobTimestampMilliseconds: blobs[blob].timestamp, id: blobs[blob].id))
        guard blob < publishedAt.count, publisher[blob] >= 0 else { return }
        nodes[index].heldPublished += 1
        if nodes[index].isUp {
            missingPairs -= 1
            assert(missingPairs >= 0, "more published blobs held than published")
            lastProgressAt = now
        }
        guard publisher[blob] != index, nodes[index].isMember,
            publishOrdinal[blob] >= nodes[index].publishedBeforeMembership
        else { return }
        nodes[index].heldAsMember += 1
        pendingPairs -= 1
        assert(pendingPairs >= 0, "more deliveries than expected")
        deliveredPairs += 1
    }

    /// The node's first peer came up since it (re)started: it is a member from now on.
    func joinMesh(_ index: Int) {
        guard nodes[index].isUp, nodes[index].isHonest, !nodes[index].isMember else { return }
        nodes[index].isMember = true
        nodes[index].publishedBeforeMembership = publishedCount
        nodes[index].publishedAsMember = 0
        nodes[index].heldAsMember = 0
        members += 1
    }

    /// The interned copy of `blob`, added if new: every node's store shares it.
    func intern(_ blob: SignedBlob) -> Int {
        if let index = blobIndex[blob.id] { return index }
        blobs.append(blob)
        let index = blobs.count - 1
        blobIndex[blob.id] = index
        if index >= scenario.blobs.count { slots[Slot(blob), default: []].append(index) }
        return index
    }

    // MARK: Set-up

    /// `10.0.x.y` for node `index` (y from 1 to 250), so 64,000 nodes fit.
    static func address(of index: Int) -> PeerAddress {
        try! PeerAddress(host: "10.0.\(index / 250).\(index % 250 + 1)", port: listenPort)
    }

    private func makeNodes() {
        let total = scenario.nodes + scenario.hostileCount
        var kinds: [Scenario.Hostile?] = Array(repeating: nil, count: scenario.nodes)
        for group in scenario.hostile { kinds += Array(repeating: group, count: group.count) }
        nodes.reserveCapacity(total)
        let networkKey = NetworkKey(networkName: configuration.network, genesisHash: configuration.genesisHash)
        for index in 0..<total {
            var stream = Self.nodeStream(seed: seed, index: index)
            let identity = Self.nodeKey(from: &stream)
            var node = Node(index: index, address: Self.address(of: index), identity: identity)
            if let settings = kinds[index] {
                node.hostile = HostilePeer(
                    settings: settings,
                    identity: identity,
                    networkKey: networkKey,
                    seed: stream.next()
                )
            } else {
                honestIndices.append(index)
            }
            addressIndex[node.address] = index
            keyIndex[identity.publicKey] = index
            nodes.append(node)
        }
    }

    /// Node `index`'s random stream: its key comes from it first (`nodeKey(from:)`), then a hostile peer's seed.
    static func nodeStream(seed: UInt64, index: Int) -> SplitMix64 {
        SplitMix64(seed: SplitMix64.mix(seed, 0x4E4F_4445, UInt64(index)))
    }

    /// A node key drawn from a node's stream.
    static func nodeKey(from stream: inout SplitMix64) -> SigningKey {
        // Any 32 bytes are a valid Ed25519 seed.
        try! SigningKey(seed: stream.bytes(SigningKey.seedBytes))
    }

    private func signBlobs() {
        let settings = scenario.blobs
        let authors = (0..<settings.authors).map { author in
            var stream = SplitMix64(seed: SplitMix64.mix(seed, 0x4155_5448, UInt64(author)))
            return try! SigningKey(seed: stream.bytes(SigningKey.seedBytes))
        }
        let channels = (0..<settings.authors).map { try! ChannelName("sim/\($0)") }
        var previous = [BlobID](repeating: .zero, count: settings.authors)
        var contents = SplitMix64(seed: SplitMix64.mix(seed, 0x424C_4F42))
        blobs.reserveCapacity(settings.count)
        for index in 0..<settings.count {
            let author = index % settings.authors
            let blob = try! SignedBlob.sign(
                key: authors[author],
                channel: channels[author],
                seq: UInt64(index / settings.authors + 1),
                prev: previous[author],
                timestamp: publicationTime(of: index) / 1000,
                payload: contents.bytes(settings.sizeBytes)
            )
            previous[author] = blob.id
            _ = intern(blob)
        }
        signForks()
        for index in nodes.indices where nodes[index].isHonest {
            nodes[index].held = [UInt64](repeating: .max, count: blobs.count)
        }
    }

    /// When the simulation blob `index` is published, in microseconds.
    private func publicationTime(of index: Int) -> UInt64 {
        let spacing = 1_000_000 / scenario.blobs.publishRatePerSecond
        return scenario.warmupMilliseconds * 1000 + UInt64((Double(index) * spacing).rounded(.down))
    }

    /// Each honest node gets `bootstrapPeers` random initial nodes; each listening hostile peer is put in as many
    /// honest nodes' bootstrap lists.
    private func chooseBootstraps() {
        let initial = scenario.initialNodes
        let wanted = min(scenario.node.bootstrapPeers, initial - 1)
        for index in honestIndices {
            var chosen: [Int] = []
            let available = index < initial ? initial - 1 : initial
            while chosen.count < min(wanted, available) {
                let candidate = random.below(initial)
                if candidate != index && !chosen.contains(candidate) { chosen.append(candidate) }
            }
            nodes[index].bootstrap = chosen.map { nodes[$0].address }
        }
        for index in nodes.indices where nodes[index].hostile?.kind.acceptsConnections == true {
            for _ in 0..<scenario.node.bootstrapPeers {
                let target = honestIndices[random.below(honestIndices.count)]
                if !nodes[target].bootstrap.contains(nodes[index].address) {
                    nodes[target].bootstrap.append(nodes[index].address)
                }
            }
        }
    }

    private func makePartitions() {
        for partition in scenario.partitions {
            var group = [Int32](repeating: -1, count: scenario.nodes)
            for (number, range) in partition.groups.enumerated() {
                for index in range { group[index] = Int32(number) }
            }
            partitions.append(
                ActivePartition(
                    from: partition.fromMilliseconds * 1000,
                    until: partition.untilMilliseconds * 1000,
                    group: group
                )
            )
        }
    }

    private func scheduleScenario() {
        let spread = scenario.startSpreadMilliseconds * 1000
        let initial = scenario.initialNodes
        for index in 0..<initial { scheduleScenarioEvent(.start(node: index), at: random.uniform(0...(spread - 1))) }
        let churn = scenario.churn
        for index in initial..<scenario.nodes {
            scheduleScenarioEvent(.start(node: index), at: random.uniform(churn.joinBetweenMilliseconds) * 1000)
        }
        let leavers = Int((Double(initial) * churn.leaveFraction).rounded())
        for index in random.choose(leavers, from: Array(0..<initial)).sorted() {
            let leaving = random.uniform(churn.leaveBetweenMilliseconds) * 1000
            let back = leaving + random.uniform(churn.downMilliseconds) * 1000
            scheduleScenarioEvent(.leave(node: index), at: leaving)
            scheduleScenarioEvent(.start(node: index), at: back)
        }
        for index in scenario.nodes..<nodes.count {
            scheduleScenarioEvent(.start(node: index), at: random.uniform(0...(spread - 1)))
        }
        for blob in 0..<scenario.blobs.count {
            scheduleScenarioEvent(.publish(blob: blob), at: publicationTime(of: blob))
        }
        for number in forks.indices {
            scheduleScenarioEvent(.fork(number: number), at: random.uniform(scenario.forks.atMilliseconds) * 1000)
        }
        for number in partitions.indices {
            scheduleScenarioEvent(.heal(partition: number), at: partitions[number].until)
        }
        if let quorum {
            for height in 1...quorum.settings.heights {
                scheduleScenarioEvent(.quorumBlock(height: height), at: quorum.blockMicros(height))
            }
        }
    }

    private func scheduleScenarioEvent(_ event: Event, at time: UInt64) {
        pendingScenarioEvents += 1
        schedule(event, at: time)
    }
}
