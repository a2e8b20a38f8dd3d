import CairnCore
import Testing

@testable import CairnProtocol

/// Many peer managers wired in memory: dials connect at once, handshakes complete, listen ports are advertised,
/// `peers` messages are delivered and closes reach both ends. Events run in a FIFO order, so a run is
/// deterministic.
struct PeerManagerMesh {
    struct Endpoint: Hashable {
        var node: Int
        var connection: PeerManager.ConnectionID
    }

    enum Event {
        case actions(node: Int, [PeerManager.Action])
        case closed(Endpoint)
    }

    var nodes: [PeerManager.StateMachine]
    let keys: [PublicKey]
    let addresses: [PeerAddress]
    /// Each open connection end and the end it is linked to.
    var links: [Endpoint: Endpoint] = [:]
    var nextConnection: PeerManager.ConnectionID = 1
    var now: UInt64 = 0

    init(count: Int, configuration: PeerConfiguration) {
        keys = (0..<count).map { PeerFixture.key(UInt8($0 + 1)) }
        addresses = (0..<count).map { PeerFixture.address($0 + 1) }
        nodes = (0..<count).map {
            PeerManager.StateMachine(
                configuration: configuration,
                localKey: PeerFixture.key(UInt8($0 + 1)),
                seed: UInt64($0)
            )
        }
    }

    mutating func start(_ node: Int, bootstrap: [Int]) {
        let actions = nodes[node].start(
            bootstrap: bootstrap.map { addresses[$0] },
            knownAddresses: [],
            bans: [],
            now: now
        )
        run([.actions(node: node, actions)])
    }

    mutating func tickAll() {
        for node in nodes.indices { run([.actions(node: node, nodes[node].tick(now: now))]) }
    }

    /// Outbound peers that are up, per node.
    var outboundPeers: [Int] { nodes.map { $0.peers.count { $0.direction == .outbound } } }

    private mutating func run(_ initial: [Event]) {
        var queue = initial
        while !queue.isEmpty {
            let event = queue.removeFirst()
            switch event {
            case .closed(let end):
                queue.append(.actions(node: end.node, nodes[end.node].connectionClosed(end.connection, now: now)))
            case .actions(let node, let actions):
                for action in actions { perform(action, by: node, queue: &queue) }
            }
        }
    }

    private mutating func perform(_ action: PeerManager.Action, by node: Int, queue: inout [Event]) {
        switch action {
        case .dial(let address):
            let remote = addresses.firstIndex(of: address)!
            let local = Endpoint(node: node, connection: nextConnection)
            let far = Endpoint(node: remote, connection: nextConnection + 1)
            nextConnection += 2
            links[local] = far
            links[far] = local
            queue.append(.actions(node: node, nodes[node].dialSucceeded(local.connection, address: address, now: now)))
            let accepted = nodes[remote].inboundAccepted(far.connection, now: now)
            queue.append(.actions(node: remote, accepted))
            guard accepted.isEmpty else { return }
            queue.append(
                .actions(node: remote, nodes[remote].handshakeCompleted(far.connection, remote: keys[node], now: now))
            )
            queue.append(
                .actions(node: node, nodes[node].handshakeCompleted(local.connection, remote: keys[remote], now: now))
            )
            queue.append(
                .actions(
                    node: remote,
                    nodes[remote].advertised(
                        listenPort: addresses[node].port,
                        observedHost: addresses[node].host,
                        on: far.connection,
                        now: now
                    )
                )
            )
            queue.append(
                .actions(
                    node: node,
                    nodes[node].advertised(
                        listenPort: addresses[remote].port,
                        observedHost: addresses[remote].host,
                        on: local.connection,
                        now: now
                    )
                )
            )
        case .close(let id, _):
            let end = Endpoint(node: node, connection: id)
            guard let far = links.removeValue(forKey: end) else { return }
            links.removeValue(forKey: far)
            queue.append(.closed(end))
            queue.append(.closed(far))
        case .send(.peers(let list), let id):
            guard let far = links[Endpoint(node: node, connection: id)] else { return }
            queue.append(.actions(node: far.node, nodes[far.node].receivedPeers(list, from: far.connection, now: now)))
        default:
            break
        }
    }
}

@Suite("PeerManager mesh")
struct PeerManagerMeshTests {
    /// Every node knows only node 0; advertisements and peer exchange let each reach its outbound target, and no
    /// node learns its own address.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func nodesThatKnowOnePeerReachTheirOutboundTarget(seed: UInt64) {
        var configuration = PeerConfiguration()
        configuration.outboundTarget = 4
        configuration.peerExchangeMilliseconds = 10_000
        var mesh = PeerManagerMesh(count: 16, configuration: configuration)
        mesh.start(0, bootstrap: [])
        for node in 1..<16 {
            mesh.now += seed * 100
            mesh.start(node, bootstrap: [0])
        }
        for _ in 0..<120 {
            mesh.now += 1_000
            mesh.tickAll()
        }
        // Node 0 is connected to every other node already (inbound), so it has no one left to dial.
        #expect(mesh.outboundPeers == [0] + Array(repeating: 4, count: 15), "outbound peers per node")
        #expect(mesh.nodes[0].peers.count == 15)
        for (index, node) in mesh.nodes.enumerated() {
            #expect(Set(node.peers.map(\.key)).count == node.peers.count)
            #expect(!node.peers.contains { $0.key == mesh.keys[index] })
            #expect(node.knownAddresses.count == 15)
        }
        // Both ends of every link agree that it is up.
        for (end, far) in mesh.links {
            let up = mesh.nodes[end.node].peers.contains { $0.connection == end.connection }
            let farUp = mesh.nodes[far.node].peers.contains { $0.connection == far.connection }
            #expect(up == farUp)
        }
    }
}
