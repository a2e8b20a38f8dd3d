import CairnCore
import Testing

@testable import CairnProtocol

/// Inbound handshakes are bounded per host and in total, the oldest is evicted when full, and a silent one ends at
/// the handshake deadline: connections that send nothing cannot lock honest peers out (issue 12, item 3).
@Suite("Handshake slots")
struct HandshakeSlotTests {
    typealias Fixture = ReplicaFixture

    static let start = ReplicaFixture.start

    static func startedNode(_ change: (inout Replica.Configuration) -> Void = { _ in }) -> ReplicaNode {
        ReplicaStateMachineTests.startedNode(change)
    }

    /// Opens a connection from `host` that never sends a byte.
    static func silent(from host: String, port: UInt16, to node: inout ReplicaNode) -> Connection.ID {
        let (id, actions) = node.replica.accepted(from: try! PeerAddress(host: host, port: port), now: start)
        node.perform(actions, now: start)
        return id
    }

    /// The connections the replica still holds in a handshake.
    static func open(_ ids: [Connection.ID], in node: ReplicaNode) -> [Connection.ID] {
        ids.filter { !node.closed.contains($0) }
    }

    @Test func fiveHundredSilentConnectionsFromEightHostsDoNotLockOutAnHonestPeer() throws {
        var node = Self.startedNode()
        var silent: [Connection.ID] = []
        for index in 0..<500 {
            silent.append(Self.silent(from: "10.9.0.\(2 + index % 8)", port: UInt16(20_000 + index), to: &node))
        }
        let (_, actions) = try HostilePeer.connect(
            to: &node,
            key: Fixture.nodeKey(11),
            from: Fixture.address(11, port: 40_000),
            now: Self.start
        )
        let honest = Fixture.nodeKey(11).publicKey
        #expect(actions.notices.contains { if case .peerUp(honest, _, _) = $0 { true } else { false } })
        #expect(node.replica.peers.map(\.key) == [honest])
        let pending = PeerConfiguration()
        #expect(Self.open(silent, in: node).count <= 8 * pending.maxPendingHandshakesPerHost)
        #expect(node.replica.connectionCount <= pending.maxPendingHandshakes + 1)
    }

    @Test func aHostBeyondItsPendingHandshakesIsRefusedAtOnce() {
        var node = Self.startedNode { $0.peers.maxPendingHandshakesPerHost = 2 }
        let first = Self.silent(from: "10.9.0.2", port: 1, to: &node)
        let second = Self.silent(from: "10.9.0.2", port: 2, to: &node)
        let third = Self.silent(from: "10.9.0.2", port: 3, to: &node)
        let otherHost = Self.silent(from: "10.9.0.3", port: 4, to: &node)
        #expect(Self.open([first, second, third, otherHost], in: node) == [first, second, otherHost])
        #expect(node.replica.statistics.handshakesRefused == 1)
        #expect(node.log.notices.contains { if case .connectionFailed(third, _, _) = $0 { true } else { false } })
    }

    @Test func theOldestPendingHandshakeIsEvictedWhenAllAreTaken() {
        var node = Self.startedNode { $0.peers.maxPendingHandshakes = 3 }
        let ids = (0..<5).map { Self.silent(from: "10.9.0.\(2 + $0)", port: 1, to: &node) }
        #expect(Self.open(ids, in: node) == Array(ids[2...]))
        #expect(node.replica.statistics.handshakesEvicted == 2)
        #expect(node.log.offences.isEmpty)
    }

    @Test func pendingHandshakesMakeRoomAtTheInboundCap() throws {
        var node = Self.startedNode {
            $0.peers.inboundCap = 2
            $0.peers.maxPendingHandshakes = 8
        }
        let silent = [
            Self.silent(from: "10.9.0.2", port: 1, to: &node), Self.silent(from: "10.9.0.3", port: 1, to: &node),
        ]
        let (_, actions) = try HostilePeer.connect(
            to: &node,
            key: Fixture.nodeKey(11),
            from: Fixture.address(11, port: 40_000),
            now: Self.start
        )
        #expect(actions.notices.contains { if case .peerUp = $0 { true } else { false } })
        #expect(Self.open(silent, in: node) == [silent[1]])
    }

    @Test func aSilentHandshakeEndsAtTheHandshakeDeadline() {
        var node = Self.startedNode()
        let deadline = PeerConfiguration().handshakeTimeoutMilliseconds
        #expect(deadline <= 5_000)
        let id = Self.silent(from: "10.9.0.2", port: 1, to: &node)
        node.tick(now: Self.start + deadline - 1)
        #expect(!node.closed.contains(id))
        node.tick(now: Self.start + deadline)
        #expect(node.closed.contains(id))
    }
}
