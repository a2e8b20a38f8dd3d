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

    let unknownMessages = Counter(label: "cairn_p2p_unknown_messages_total")
    let pings = Counter(label: "cairn_p2p_pings_sent_total")
    let deadConnections = Counter(label: "cairn_p2p_dead_connections_total")
    let handshakesRefused = Counter(label: "cairn_p2p_handshakes_refused_total")
    let handshakesEvicted = Counter(label: "cairn_p2p_handshakes_evicted_total")
    let evidenceDropped = Counter(label: "cairn_evidence_dropped_total")
    let commitFailures = Counter(label: "cairn_gossip_commit_failures_total")
    let syncRounds = Counter(label: "cairn_sync_rounds_total", dimensions: [("result", "completed")])
    let syncRoundsFailed = Counter(label: "cairn_sync_rounds_total", dimensions: [("result", "failed")])
    let syncRequestsAnswered = Counter(label: "cairn_sync_requests_answered_total")
    let syncNeeded = Counter(label: "cairn_sync_ids_total", dimensions: [("side", "we_lacked")])
    let syncHad = Counter(label: "cairn_sync_ids_total", dimensions: [("side", "they_lacked")])
    let syncFetches = Counter(label: "cairn_sync_fetches_total")
    let syncBacklogDropped = Counter(label: "cairn_sync_backlog_dropped_total")
    let syncRefusedSkipped = Counter(label: "cairn_sync_refused_skipped_total")

    /// Adds what the replica counted since `earlier`.
    func record(_ now: ReplicaStatistics, since earlier: ReplicaStatistics) {
        for (type, bytes) in now.bytesReceived {
            bytesIn[type]?.increment(by: max(0, bytes - (earlier.bytesReceived[type] ?? 0)))
        }
        for (type, bytes) in now.bytesSent {
            bytesOut[type]?.increment(by: max(0, bytes - (earlier.bytesSent[type] ?? 0)))
        }
        bans.increment(by: max(0, now.bans - earlier.bans))
        sendQueueDrops.increment(by: max(0, now.sendQueueDrops - earlier.sendQueueDrops))
        slowPeerDisconnects.increment(by: max(0, now.slowPeerDisconnects - earlier.slowPeerDisconnects))
        invalidBlobs.increment(by: max(0, now.invalidBlobs - earlier.invalidBlobs))
        unknownMessages.increment(by: max(0, now.unknownMessagesSkipped - earlier.unknownMessagesSkipped))
        pings.increment(by: max(0, now.pingsSent - earlier.pingsSent))
        deadConnections.increment(by: max(0, now.deadConnections - earlier.deadConnections))
        handshakesRefused.increment(by: max(0, now.handshakesRefused - earlier.handshakesRefused))
        handshakesEvicted.increment(by: max(0, now.handshakesEvicted - earlier.handshakesEvicted))
        evidenceDropped.increment(by: max(0, now.evidenceDropped - earlier.evidenceDropped))
        commitFailures.increment(by: max(0, now.commitFailures - earlier.commitFailures))
        syncRounds.increment(by: max(0, now.syncRoundsCompleted - earlier.syncRoundsCompleted))
        syncRoundsFailed.increment(by: max(0, now.syncRoundsFailed - earlier.syncRoundsFailed))
        syncRequestsAnswered.increment(by: max(0, now.syncRequestsAnswered - earlier.syncRequestsAnswered))
        syncNeeded.increment(by: max(0, now.syncIDsNeeded - earlier.syncIDsNeeded))
        syncHad.increment(by: max(0, now.syncIDsHad - earlier.syncIDsHad))
        syncFetches.increment(by: max(0, now.syncFetchesRequested - earlier.syncFetchesRequested))
        syncBacklogDropped.increment(by: max(0, now.syncBacklogDropped - earlier.syncBacklogDropped))
        syncRefusedSkipped.increment(by: max(0, now.syncRefusedSkipped - earlier.syncRefusedSkipped))
    }

    /// Adds what the gossip router counted since `earlier` and records its current sizes.
    func record(_ now: GossipStatistics, since earlier: GossipStatistics) {
        duplicates.increment(by: max(0, now.duplicateBlobs - earlier.duplicateBlobs))
        meshSize.record(now.meshPeers)
    }
}
