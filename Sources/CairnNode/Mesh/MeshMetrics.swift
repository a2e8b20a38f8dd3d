import CairnProtocol
import Metrics

/// The mesh's metrics, created once per process.
struct MeshMetrics {
    let duplicates = Counter(label: "cairn_gossip_duplicates_total")
    let meshSize = Gauge(label: "cairn_gossip_mesh_peers")
    let peers = Gauge(label: "cairn_peers_connected")
    let bans = Counter(label: "cairn_peers_banned_total")
    let sendQueueDrops = Counter(label: "cairn_send_queue_dropped_total")
    let slowPeerDisconnects = Counter(label: "cairn_peers_too_slow_total")
    let invalidBlobs = Counter(label: "cairn_gossip_invalid_blobs_total")
    private let bytesIn: [WireMessage.MessageType: Counter]
    private let bytesOut: [WireMessage.MessageType: Counter]

    init() {
        var bytesIn: [WireMessage.MessageType: Counter] = [:]
        var bytesOut: [WireMessage.MessageType: Counter] = [:]
        for type in WireMessage.MessageType.allCases {
            let name = "\(type)"
            bytesIn[type] = Counter(label: "cairn_p2p_bytes_in_total", dimensions: [("type", name)])
            bytesOut[type] = Counter(label: "cairn_p2p_bytes_out_total", dimensions: [("type", name)])
        }
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
    }

    func received(_ type: WireMessage.MessageType, bytes: Int) { bytesIn[type]?.increment(by: bytes) }

    func sent(_ type: WireMessage.MessageType, bytes: Int) { bytesOut[type]?.increment(by: bytes) }
}
