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
    /// `evidence` events committed during the replay, in sequence order.
    var pendingEvidence: [StoredEvent] = []
}

extension Node {
    /// Plug-in events waiting for the store at most; beyond it new ones are dropped with an error log.
    static let maxQueuedPluginEvents = 10_000
    /// How often live plug-ins are ticked (their clock: stall alerts, proposer pacing).
    static let pluginTickInterval = Duration.milliseconds(100)

    /// The loaded plug-ins' names.
    public var pluginNames: [String] { pluginHost.names }

    /// Runs `body` on the loaded plug-in of type `T` on the node's executor and carries out the actions it returns, as
    /// for a commit's: how a plug-in's HTTP routes reach its state (a status query, a request to sign).
    /// - Returns: what `body` returned; `nil` when no plug-in of type `T` is loaded.
    public func withPlugin<T: Plugin, Result: Sendable>(
        _ type: T.Type,
        _ body: @Sendable (inout T) throws -> (Result, [PluginAction])
    ) rethrows -> Result? {
        guard let (result, requests) = try pluginHost.with(type, body) else { return nil }
        perform(requests)
        return result
    }

    /// Feeds every stored blob to the plug-ins, in (timestamp, id) order, then every recorded evidence, in record
    /// order, then the blobs and evidence committed meanwhile, and switches them to live feeding: each stored blob and
    /// each recorded evidence reaches each plug-in exactly once in this process, evidence after its blobs. Call it
    /// once, after the node is created; blobs and evidence committed before it are held back until it runs.
    /// - Throws: a `StoreError` when the store cannot be read.
    public func startPlugins() async throws {
        guard pluginReplay != nil else { return }
        guard !pluginHost.names.isEmpty else {
            pluginReplay = nil
            return
        }
        // Evidence recorded up to here is replayed from the log; its blobs were committed with it or before, so they
        // are in the blob replay. Later evidence comes through the commits, after their blobs.
        let evidenceBound = try store.stats().lastEventSeq
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
        let replayedEvidence = try await replayEvidence(through: evidenceBound)
        let replay = pluginReplay!
        pluginReplay = nil
        for id in replay.pending where !replay.replayed.contains(id) { feed(id) }
        pluginsRecorded(replay.pendingEvidence)
        perform(pluginHost.replayed(now: clock()))
        pluginTicker = Task {
            while true {
                try? await Task.sleep(for: Self.pluginTickInterval)
                guard !Task.isCancelled, !self.isShuttingDown else { return }
                self.perform(self.pluginHost.tick(now: self.clock()))
            }
        }
        logger.info(
            "plug-ins started",
            metadata: [
                "plugins": "\(pluginHost.names)", "replayed": "\(replayedCount)",
                "replayedEvidence": "\(replayedEvidence)",
            ]
        )
    }

    /// Feeds the evidence of every `evidence` event up to `bound` to the plug-ins, in sequence order.
    /// - Returns: how many were fed.
    private func replayEvidence(through bound: UInt64) async throws -> Int {
        var cursor: UInt64 = 0
        var count = 0
        while cursor < bound {
            let page = try store.events(after: cursor, limit: 1_000)
            guard let last = page.last else { break }
            for event in page where event.seq <= bound {
                guard case .evidence(let id) = event.kind else { continue }
                feedEvidence(id)
                count += 1
            }
            cursor = last.seq
            // Let commits and requests in between pages.
            await Task.yield()
        }
        pluginEvidenceFedThrough = max(pluginEvidenceFedThrough, bound)
        return count
    }

    /// `evidence` events a commit appended: to the plug-ins at once (unless the replay fed them), or after the replay.
    func pluginsRecorded(_ events: [StoredEvent]) {
        guard pluginReplay == nil else {
            pluginReplay!.pendingEvidence += events
            return
        }
        for event in events where event.seq > pluginEvidenceFedThrough {
            pluginEvidenceFedThrough = event.seq
            guard case .evidence(let id) = event.kind else { continue }
            feedEvidence(id)
        }
    }

    private func feedEvidence(_ id: EvidenceID) {
        do {
            guard let evidence = try store.evidence(id) else { return }
            perform(pluginHost.recorded(evidence, now: clock()))
        } catch {
            logger.error(
                "cannot read recorded evidence for the plug-ins",
                metadata: ["id": "\(id)", "error": "\(error)"]
            )
        }
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
            if let refusal = pluginHost.refusal(of: request) {
                logger.error(
                    "dropping a plug-in's request",
                    metadata: ["plugin": "\(request.plugin)", "refusal": "\(refusal)"]
                )
                continue
            }
            switch request.action {
            case .emit(let topic, let json):
                // Plug-ins react to peers' blobs: a store that cannot keep up must not grow this queue without bound.
                guard pluginEvents.count < Self.maxQueuedPluginEvents else {
                    logger.error(
                        "plug-in events are queued faster than the store appends them; dropping one",
                        metadata: ["plugin": "\(request.plugin)", "topic": "\(topic)"]
                    )
                    continue
                }
                pluginEvents.append((topic, json))
                if !pluginEventsDraining {
                    pluginEventsDraining = true
                    pluginTasks += 1
                    Task {
                        await self.drainPluginEvents()
                        self.pluginTaskEnded()
                    }
                }
            case .publish(let channel, let payload):
                pluginTasks += 1
                Task {
                    defer { self.pluginTaskEnded() }
                    do { _ = try await self.publish(channel: channel, payload: payload) } catch {
                        self.logger.error(
                            "cannot publish for a plug-in",
                            metadata: ["plugin": "\(request.plugin)", "channel": "\(channel)", "error": "\(error)"]
                        )
                    }
                }
            case .recordEvidence(let evidence):
                pluginTasks += 1
                Task {
                    defer { self.pluginTaskEnded() }
                    do {
                        let recorded = try await self.store.record([evidence])
                        self.floodRecordedEvidence(recorded)
                    } catch {
                        self.logger.error(
                            "cannot record a plug-in's evidence",
                            metadata: ["plugin": "\(request.plugin)", "evidence": "\(evidence)", "error": "\(error)"]
                        )
                    }
                }
            }
        }
    }

    /// Returns once every request the plug-ins made so far has been carried out (published, recorded, appended):
    /// for tests and shutdown, which must not guess with a sleep.
    public func pluginRequestsDone() async {
        guard pluginTasks > 0 else { return }
        await withCheckedContinuation { pluginIdleWaiters.append($0) }
    }

    private func pluginTaskEnded() {
        pluginTasks -= 1
        guard pluginTasks == 0 else { return }
        let waiters = pluginIdleWaiters
        pluginIdleWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Appends the queued plug-in events in the order the plug-ins asked (a task per event could reorder them).
    private func drainPluginEvents() async {
        while let (topic, json) = pluginEvents.popFirst() {
            do { _ = try await store.appendEvent(topic: topic, data: json) } catch {
                logger.error("cannot append a plug-in event", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
        }
        pluginEventsDraining = false
    }
}
