import CairnCore
import CairnProtocol
import CairnStore
import Logging

/// Ids committed while the stored blobs are replayed to the plug-ins.
struct PluginReplay {
    /// Committed during the replay, in commit order.
    var pending: [BlobID] = []
    /// The same ids, to spot them in the replay.
    var pendingSet: Set<BlobID> = []
    /// Pending ids the replay already fed.
    var replayed: Set<BlobID> = []
}

extension Node {
    /// The loaded plug-ins' names.
    public var pluginNames: [String] { pluginHost.names }

    /// Feeds every stored blob to the plug-ins, in (timestamp, id) order, then every blob committed meanwhile, and
    /// switches them to live feeding: each stored blob reaches each plug-in exactly once in this process. Call it
    /// once, after the node is created; blobs committed before it are held back until it runs.
    /// - Throws: a `StoreError` when the store cannot be read.
    public func startPlugins() async throws {
        guard pluginReplay != nil else { return }
        guard !pluginHost.names.isEmpty else {
            pluginReplay = nil
            return
        }
        var after: (timestamp: UInt64, id: BlobID)?
        var replayedCount = 0
        while true {
            let page = try store.syncIndex(after: after, limit: 1_000)
            guard let last = page.last else { break }
            for entry in page {
                guard let blob = try store.get(entry.id) else { continue }
                if pluginReplay!.pendingSet.contains(entry.id) { pluginReplay!.replayed.insert(entry.id) }
                perform(pluginHost.committed(blob, now: clock()))
                replayedCount += 1
            }
            after = last
            // Let commits and requests in between pages.
            await Task.yield()
        }
        let replay = pluginReplay!
        pluginReplay = nil
        for id in replay.pending where !replay.replayed.contains(id) { feed(id) }
        perform(pluginHost.replayed(now: clock()))
        logger.info("plug-ins started", metadata: ["plugins": "\(pluginHost.names)", "replayed": "\(replayedCount)"])
    }

    /// Blobs a commit stored: to the plug-ins at once, or after the replay.
    func pluginsCommitted(_ ids: [BlobID]) {
        guard pluginReplay == nil else {
            for id in ids where pluginReplay!.pendingSet.insert(id).inserted { pluginReplay!.pending.append(id) }
            return
        }
        for id in ids { feed(id) }
    }

    private func feed(_ id: BlobID) {
        do {
            guard let blob = try store.get(id) else { return }
            perform(pluginHost.committed(blob, now: clock()))
        } catch {
            logger.error(
                "cannot read a committed blob for the plug-ins",
                metadata: ["id": "\(id)", "error": "\(error)"]
            )
        }
    }

    /// Carries out what plug-ins asked, in order.
    private func perform(_ requests: [PluginHost.Request]) {
        for request in requests {
            switch request.action {
            case .emit(let topic, let json):
                guard eventTopics.contains(topic) else {
                    logger.error(
                        "a plug-in emitted an unregistered topic",
                        metadata: ["plugin": "\(request.plugin)", "topic": "\(topic)"]
                    )
                    continue
                }
                let store = store
                let logger = logger
                Task {
                    do { _ = try await store.appendEvent(topic: topic, data: json) } catch {
                        logger.error(
                            "cannot append a plug-in event",
                            metadata: ["topic": "\(topic)", "error": "\(error)"]
                        )
                    }
                }
            case .publish(let channel, let payload):
                Task {
                    do { _ = try await self.publish(channel: channel, payload: payload) } catch {
                        self.logger.error(
                            "cannot publish for a plug-in",
                            metadata: ["plugin": "\(request.plugin)", "channel": "\(channel)", "error": "\(error)"]
                        )
                    }
                }
            case .recordEvidence(let evidence):
                // Recording evidence of a plug-in's kind in the store comes with the quorum plug-in.
                logger.warning(
                    "a plug-in built evidence; recording plug-in evidence is not supported yet",
                    metadata: ["plugin": "\(request.plugin)", "evidence": "\(evidence.id)"]
                )
            }
        }
    }
}
