import Metrics

/// The store's swift-metrics instruments.
struct StoreMetrics: Sendable {
    let blobsStored = Counter(label: "cairn_store_blobs_stored_total")
    let payloadBytes = Counter(label: "cairn_store_payload_bytes_total")
    let commitLatency = Timer(label: "cairn_store_commit_seconds")
    let batchBlobs = Recorder(label: "cairn_store_batch_blobs")
    /// Blobs that became linked into their channel (stored minus linked: blobs waiting for their chain).
    let blobsLinked = Counter(label: "cairn_store_blobs_linked_total")
    let prevMismatches = Counter(label: "cairn_store_prev_mismatches_total")
    let evidence = Counter(label: "cairn_store_evidence_total")
    let mapGrows = Counter(label: "cairn_store_map_grows_total")
    let peersEvicted = Counter(label: "cairn_store_peers_evicted_total")
    /// Events dropped from the log beyond `maxRetainedEvents`.
    let eventsDropped = Counter(label: "cairn_store_events_dropped_total")
    /// Write transactions that failed for want of room (`StoreError.storageFull`).
    let storageFull = Counter(label: "cairn_store_storage_full_total")
    /// 1 while the last write transaction failed for want of room, 0 once one commits again.
    let storageFullNow = Gauge(label: "cairn_store_storage_full")

    /// Counts blobs the quota refused, by `QuotaRefusal.reason`.
    func recordRefusals(_ refusals: [QuotaRefusal]) {
        var counts: [String: Int] = [:]
        for refusal in refusals { counts[refusal.reason, default: 0] += 1 }
        for (reason, count) in counts {
            Counter(label: "cairn_store_quota_refusals_total", dimensions: [("reason", reason)]).increment(by: count)
        }
    }
}
