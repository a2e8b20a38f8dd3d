import CairnCore

@testable import CairnProtocol

/// N gossip routers wired by a deterministic in-memory transport: a priority queue of deliveries ordered by
/// (virtual time, sequence), per-link latency drawn from the seed, per-link bandwidth (messages on one link queue
/// behind each other, like a TCP stream), and a heartbeat timer per node.
///
/// The harness performs every action the routers emit: `.send` schedules a delivery, `.verify` decodes the bytes
/// with `SignedBlob.decode` (real signature checks) one millisecond later, stores the blob in that node's
/// dictionary and calls `verified` or `rejected`, `.serve` sends the stored blobs back, `.penalise` is recorded.
/// The same seed gives the same run, event for event.
struct InMemoryMesh {
    /// One scheduled event.
    enum Event {
        case deliver(WireMessage, from: Int, to: Int)
        case verify([UInt8], id: BlobID, node: Int, from: Int)
        case heartbeat(node: Int)
        case publish(SignedBlob, node: Int)
        case publishEvidence([UInt8], node: Int)
    }

    /// A directed link.
    struct Link: Hashable {
        var from: Int
        var to: Int
        /// The same link, endpoints ordered, for per-connection counts.
        var undirected: Link { Link(from: min(from, to), to: max(from, to)) }
    }

    /// A blob crossing one connection.
    struct Crossing: Hashable {
        var link: Link
        var id: BlobID
    }

    /// A penalty some node gave some peer.
    struct Penalty: Equatable {
        var node: Int
        var peer: Int
        var penalty: Gossip.Penalty
    }

    let configuration: GossipConfiguration
    let peerIDs: [PeerID]
    let index: [PeerID: Int]
    var nodes: [Gossip.StateMachine]
    var stores: [[BlobID: [UInt8]]]
    var neighbours: [Set<Int>]
    var latency: [Link: UInt64] = [:]
    var busyUntil: [Link: UInt64] = [:]
    let bytesPerMillisecond: UInt64
    private(set) var now: UInt64 = 0
    private var queue = EventQueue()
    private var random: SeededGenerator

    /// `.blob` messages delivered, per blob id.
    var blobDeliveries: [BlobID: Int] = [:]
    /// `.blob` messages per (connection, id).
    var crossings: [Crossing: Int] = [:]
    /// Blob payload bytes (the encodings in `.blob` messages) per directed link.
    var payloadBytes: [Link: Int] = [:]
    /// Encoded bytes of every message delivered.
    var wireBytes = 0
    /// Messages delivered, by type.
    var deliveries: [WireMessage.MessageType: Int] = [:]
    /// Evidence messages delivered, per node.
    var evidenceReceived: [Int: Int] = [:]
    /// When each node stored each blob.
    var storedAt: [BlobID: [Int: UInt64]] = [:]
    /// When each blob was published.
    var publishedAt: [BlobID: UInt64] = [:]
    var penalties: [Penalty] = []
    /// FNV-1a over every event processed (time, kind, endpoints, size): equal traces, equal runs.
    private(set) var traceDigest: UInt64 = 0xCBF2_9CE4_8422_2325

    /// Builds `nodeCount` routers; each links to `linksPerNode` others chosen at random (links are symmetric, so
    /// degrees average about twice that).
    init(
        nodeCount: Int,
        linksPerNode: Int,
        seed: UInt64,
        configuration: GossipConfiguration = GossipConfiguration(),
        latencyMilliseconds: ClosedRange<UInt64> = 5...50,
        bytesPerMillisecond: UInt64 = 10_000
    ) {
        self.configuration = configuration
        self.bytesPerMillisecond = bytesPerMillisecond
        random = SeededGenerator(seed: seed)
        peerIDs = (0..<nodeCount).map { GossipFixture.peer(1000 + $0) }
        index = Dictionary(uniqueKeysWithValues: peerIDs.enumerated().map { ($1, $0) })
        nodes = (0..<nodeCount).map { node in
            Gossip.StateMachine(
                configuration: configuration,
                localID: GossipFixture.peer(1000 + node),
                seed: seed &+ UInt64(node) &* 0x9E37_79B9
            )
        }
        stores = Array(repeating: [:], count: nodeCount)
        neighbours = Array(repeating: [], count: nodeCount)
        for node in 0..<nodeCount {
            var others = Array(0..<nodeCount).filter { $0 != node }
            others.shuffle(using: &random)
            for other in others.prefix(linksPerNode) {
                neighbours[node].insert(other)
                neighbours[other].insert(node)
            }
        }
        for node in 0..<nodeCount {
            for other in neighbours[node].sorted() where node < other {
                let delay = UInt64.random(in: latencyMilliseconds, using: &random)
                latency[Link(from: node, to: other)] = delay
                latency[Link(from: other, to: node)] = delay
            }
        }
        for node in 0..<nodeCount {
            for other in neighbours[node].sorted() {
                perform(nodes[node].peerConnected(peerIDs[other], now: 0), at: node)
            }
            let offset = UInt64.random(in: 0..<configuration.heartbeatMilliseconds, using: &random)
            schedule(.heartbeat(node: node), at: offset)
        }
    }

    var nodeCount: Int { nodes.count }

    /// The number of connections.
    var linkCount: Int { neighbours.map(\.count).reduce(0, +) / 2 }

    /// `true` when every node can reach every other.
    var isConnected: Bool {
        var reached: Set<Int> = [0]
        var frontier = [0]
        while let node = frontier.popLast() {
            for other in neighbours[node] where reached.insert(other).inserted { frontier.append(other) }
        }
        return reached.count == nodeCount
    }

    /// Publishes `blob` from `node` at `time`: the node stores it, then its router passes it on.
    mutating func publish(_ blob: SignedBlob, from node: Int, at time: UInt64) {
        schedule(.publish(blob, node: node), at: time)
    }

    /// Publishes evidence bytes from `node` at `time`.
    mutating func publishEvidence(_ bytes: [UInt8], from node: Int, at time: UInt64) {
        schedule(.publishEvidence(bytes, node: node), at: time)
    }

    /// Cuts the connection between `a` and `b` now: both routers hear of it and messages in flight are lost.
    mutating func disconnect(_ a: Int, _ b: Int) {
        guard neighbours[a].remove(b) != nil else { return }
        neighbours[b].remove(a)
        perform(nodes[a].peerDisconnected(peerIDs[b], now: now), at: a)
        perform(nodes[b].peerDisconnected(peerIDs[a], now: now), at: b)
    }

    /// Processes every event up to and including `time`.
    mutating func run(until time: UInt64) {
        while let next = queue.peekTime, next <= time {
            let (at, event) = queue.pop()!
            now = at
            handle(event)
        }
        now = time
    }

    /// Nodes that do not hold `id`.
    func missing(_ id: BlobID) -> [Int] {
        (0..<nodeCount).filter { stores[$0][id] == nil }
    }

    // MARK: Events

    private mutating func handle(_ event: Event) {
        switch event {
        case .deliver(let message, let from, let to):
            trace(1, from, to, Self.size(of: message))
            guard neighbours[to].contains(from) else { return }
            deliveries[message.type, default: 0] += 1
            wireBytes += Self.size(of: message)
            if case .blob(let bytes) = message {
                let id = BlobID(unchecked: Blake2b.hash256(bytes))
                blobDeliveries[id, default: 0] += 1
                crossings[Crossing(link: Link(from: from, to: to).undirected, id: id), default: 0] += 1
                payloadBytes[Link(from: from, to: to), default: 0] += bytes.count
            }
            if case .evidence = message { evidenceReceived[to, default: 0] += 1 }
            perform(nodes[to].receive(message, from: peerIDs[from], now: now), at: to)
        case .verify(let bytes, let id, let node, let from):
            trace(2, node, from, bytes.count)
            if let blob = try? SignedBlob.decode(bytes) {
                store(blob, at: node)
                perform(nodes[node].verified(blob, from: peerIDs[from], now: now), at: node)
            } else {
                perform(nodes[node].rejected(id, from: peerIDs[from], now: now), at: node)
            }
        case .heartbeat(let node):
            trace(3, node, node, 0)
            perform(nodes[node].heartbeat(now: now), at: node)
            schedule(.heartbeat(node: node), at: now + configuration.heartbeatMilliseconds)
        case .publish(let blob, let node):
            trace(4, node, node, blob.encoding.count)
            publishedAt[blob.id] = now
            store(blob, at: node)
            perform(nodes[node].publish(blob, now: now), at: node)
        case .publishEvidence(let bytes, let node):
            trace(5, node, node, bytes.count)
            perform(nodes[node].publishEvidence(bytes, now: now), at: node)
        }
    }

    private mutating func perform(_ actions: [Gossip.Action], at node: Int) {
        for action in actions {
            switch action {
            case .send(let message, let peer, _):
                send(message, from: node, to: index[peer]!)
            case .verify(let bytes, let id, let peer):
                schedule(.verify(bytes, id: id, node: node, from: index[peer]!), at: now + 1)
            case .serve(let ids, let peer):
                for id in ids {
                    if let bytes = stores[node][id] { send(.blob(bytes), from: node, to: index[peer]!) }
                }
            case .penalise(let peer, let penalty):
                penalties.append(Penalty(node: node, peer: index[peer]!, penalty: penalty))
            }
        }
    }

    private mutating func send(_ message: WireMessage, from: Int, to: Int) {
        guard neighbours[from].contains(to) else { return }
        let link = Link(from: from, to: to)
        let transmit = (UInt64(Self.size(of: message)) + bytesPerMillisecond - 1) / bytesPerMillisecond
        let departure = max(now, busyUntil[link] ?? 0) + transmit
        busyUntil[link] = departure
        schedule(.deliver(message, from: from, to: to), at: departure + latency[link]!)
    }

    private mutating func store(_ blob: SignedBlob, at node: Int) {
        guard stores[node][blob.id] == nil else { return }
        stores[node][blob.id] = blob.encoding
        storedAt[blob.id, default: [:]][node] = now
    }

    private mutating func schedule(_ event: Event, at time: UInt64) {
        queue.push(event, at: time)
    }

    private mutating func trace(_ kind: UInt64, _ a: Int, _ b: Int, _ size: Int) {
        for value in [now, kind, UInt64(a), UInt64(b), UInt64(size)] {
            traceDigest = (traceDigest ^ value) &* 0x0000_0100_0000_01B3
        }
    }

    /// The encoded size of a message, without encoding blob bytes again.
    static func size(of message: WireMessage) -> Int {
        switch message {
        case .blob(let bytes), .evidence(let bytes): 2 + 4 + bytes.count
        case .have(let ids), .want(let ids), .idontwant(let ids): 2 + 2 + 32 * ids.count
        default: (try? message.encoded().count) ?? 0
        }
    }

    /// A binary min-heap of events by (time, insertion order), so equal times keep their scheduling order.
    struct EventQueue {
        private var heap: [(time: UInt64, sequence: UInt64, event: Event)] = []
        private var sequence: UInt64 = 0

        var peekTime: UInt64? { heap.first?.time }

        mutating func push(_ event: Event, at time: UInt64) {
            sequence += 1
            heap.append((time, sequence, event))
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.precedes(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> (UInt64, Event)? {
            guard !heap.isEmpty else { return nil }
            heap.swapAt(0, heap.count - 1)
            let top = heap.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, Self.precedes(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count, Self.precedes(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
            return (top.time, top.event)
        }

        private static func precedes(
            _ a: (time: UInt64, sequence: UInt64, event: Event),
            _ b: (time: UInt64, sequence: UInt64, event: Event)
        ) -> Bool {
            (a.time, a.sequence) < (b.time, b.sequence)
        }
    }
}
