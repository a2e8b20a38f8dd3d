import CairnCore
import CairnProtocol

/// One peer connection: TCP stream, handshake, secure channel and send queue. Loop thread only.
final class MeshConnection {
    enum Phase {
        case connecting
        case handshaking(Handshake.StateMachine)
        case established(SecureChannel)
        case closed
    }

    let id: PeerManager.ConnectionID
    let direction: PeerManager.Direction
    let stream: TCPStream
    /// The address dialled (outbound) or the remote socket address (inbound).
    var address: PeerAddress?
    var phase: Phase = .connecting
    var sendQueue: SendQueue
    /// Set once the handshake authenticated the remote node.
    var remoteKey: PublicKey?
    /// Set once the peer manager accepted the connection (`peerUp`).
    var isUp = false
    /// When an outbound dial started, in milliseconds since the Unix epoch, for its timeout.
    var startedAt: UInt64 = 0

    init(id: PeerManager.ConnectionID, direction: PeerManager.Direction, stream: TCPStream, budget: SendQueue.Budget) {
        self.id = id
        self.direction = direction
        self.stream = stream
        self.sendQueue = SendQueue(budget: budget)
    }

    var isEstablished: Bool {
        if case .established = phase { return true }
        return false
    }
}
