import CairnCore
import CairnProtocol

extension Simulation {
    /// An event a plug-in appended to a node's event log.
    struct LoggedEvent: Sendable, Equatable {
        /// When it was appended, in virtual microseconds.
        var micros: UInt64
        /// Its topic.
        var topic: String
        /// Its JSON body.
        var json: [UInt8]
    }

    /// The trace code of an appended plug-in event (not a queue event: it is folded in where it happens).
    static let loggedEventTraceKind: UInt64 = 64

    // MARK: Feeding the host

    /// Starts the node's plug-ins as the libuv node does: a new host, every stored blob in (timestamp, id) order,
    /// then every recorded evidence in record order, then live. Nothing when the scenario loads no plug-in.
    func startPlugins(_ index: Int) {
        let plugins = makePlugins()
        guard !plugins.isEmpty else { return }
        var host = PluginHost(plugins: plugins)
        let now = nowMilliseconds
        var requests: [PluginHost.Request] = []
        for item in nodes[index].syncItems.items {
            guard let blob = blobIndex[item.id] else { continue }
            requests += host.committed(blobs[blob], now: now)
        }
        for evidence in nodes[index].evidence { requests += host.recorded(evidence, now: now) }
        requests += host.replayed(now: now)
        nodes[index].plugins = host
        enqueuePluginRequests(requests, at: index)
    }

    /// Commits the interned blob `blob` to the node's in-memory store as the accept pipeline's commit does: the blob
    /// is held, its plug-ins observe it, and any channel fork it completes is recorded (and observed after it).
    /// - Returns: the evidence the commit recorded, to flood; none when the node held the blob already.
    func commit(_ blob: Int, at index: Int) -> [Evidence] {
        guard !nodes[index].holds(blob) else { return [] }
        hold(blob, at: index)
        if nodes[index].plugins != nil {
            enqueuePluginRequests(nodes[index].plugins!.committed(blobs[blob], now: nowMilliseconds), at: index)
        }
        // The scenario's own blobs are signed by its authors, each slot once: they neither fork nor head a node's
        // own channel.
        guard blob >= scenario.blobs.count else { return [] }
        let stored = blobs[blob]
        if stored.author == nodes[index].identity.publicKey, stored.seq > nodes[index].heads[stored.channel]?.seq ?? 0 {
            nodes[index].heads[stored.channel] = (stored.seq, stored.id)
        }
        return recordEvidence(forks(completedBy: blob, at: index), at: index)
    }

    /// Records evidence in the node's in-memory store, as the store does: new evidence only, in order, each told to
    /// the plug-ins.
    /// - Returns: the evidence that was new.
    func recordEvidence(_ evidence: [Evidence], at index: Int) -> [Evidence] {
        var recorded: [Evidence] = []
        for item in evidence where nodes[index].evidenceIDs.insert(item.id).inserted {
            nodes[index].evidence.append(item)
            recorded.append(item)
            alert(item.id, at: index)
            lastProgressAt = now
            if nodes[index].plugins != nil {
                enqueuePluginRequests(nodes[index].plugins!.recorded(item, now: nowMilliseconds), at: index)
            }
        }
        return recorded
    }

    /// Channel forks that holding `blob` completes at the node: another blob of its slot that the node holds.
    private func forks(completedBy blob: Int, at index: Int) -> [Evidence] {
        guard let others = slots[Slot(blobs[blob])], others.count > 1 else { return [] }
        return others.compactMap { other in
            guard other != blob, nodes[index].holds(other) else { return nil }
            return try? Evidence.channelFork(blobs[blob], blobs[other])
        }
    }

    // MARK: The accept pipeline's other entries

    /// A blob posted to the node pre-signed: checked by its channel's owner, committed, announced, and any evidence
    /// it completed flooded (the libuv node's `ingest`).
    /// - Returns: whether the node accepted it (it may have held it already).
    @discardableResult
    func ingest(_ blob: SignedBlob, at index: Int) -> Bool {
        guard nodes[index].isUp, let replica = nodes[index].replica else { return false }
        if replica.channelRules.refusal(of: blob) != nil {
            counters.refusedLocally += 1
            return false
        }
        let interned = intern(blob)
        let new = !nodes[index].holds(interned)
        let recorded = commit(interned, at: index)
        var actions = new ? nodes[index].replica!.published(blob, now: nowMilliseconds) : []
        actions += nodes[index].replica!.evidenceRecorded(recorded, now: nowMilliseconds)
        run(actions, at: index)
        return true
    }

    /// Signs `payload` with the node's key as the next blob of its channel `channel` and puts it through the accept
    /// pipeline (the libuv node's `publish`).
    /// - Returns: the blob, or `nil` when the node is down or the channel's owner refused it.
    @discardableResult
    func publish(channel: ChannelName, payload: [UInt8], at index: Int) -> SignedBlob? {
        let head = nodes[index].heads[channel]
        guard
            let blob = try? SignedBlob.sign(
                key: nodes[index].identity,
                channel: channel,
                seq: (head?.seq ?? 0) + 1,
                prev: head?.id ?? .zero,
                timestamp: nowMilliseconds,
                payload: payload
            ), ingest(blob, at: index)
        else { return nil }
        return blob
    }

    // MARK: Carrying out requests

    /// Queues plug-in requests; they are carried out by a `.plugins` event at the same instant, after the work that
    /// raised them (the libuv node runs each as a task once the commit's callback returns).
    func enqueuePluginRequests(_ requests: [PluginHost.Request], at index: Int) {
        nodes[index].pluginRequests += requests
        let wanted = !nodes[index].pluginRequests.isEmpty || nodes[index].isQuorumMember
        guard wanted, !nodes[index].pluginWorkScheduled else { return }
        nodes[index].pluginWorkScheduled = true
        schedule(.plugins(node: index, incarnation: nodes[index].incarnation), at: now)
    }

    /// Carries out the node's queued plug-in requests in order (and those they raise), then lets a quorum member
    /// sign what it now may.
    func performPluginRequests(at index: Int, incarnation: Int) {
        guard nodes[index].isUp, nodes[index].incarnation == incarnation, nodes[index].plugins != nil else { return }
        var next = 0
        while next < nodes[index].pluginRequests.count {
            let request = nodes[index].pluginRequests[next]
            next += 1
            if nodes[index].plugins!.refusal(of: request) != nil {
                counters.pluginRequestsRefused += 1
                continue
            }
            switch request.action {
            case .emit(let topic, let json):
                nodes[index].events.append(LoggedEvent(micros: now, topic: topic, json: json))
                trace.record(time: now, kind: Self.loggedEventTraceKind, node: index, bytes: json.count)
                lastProgressAt = now
            case .publish(let channel, let payload):
                publish(channel: channel, payload: payload, at: index)
            case .recordEvidence(let evidence):
                let recorded = recordEvidence([evidence], at: index)
                guard !recorded.isEmpty else { continue }
                run(nodes[index].replica!.evidenceRecorded(recorded, now: nowMilliseconds), at: index)
            }
        }
        nodes[index].pluginRequests.removeAll()
        nodes[index].pluginWorkScheduled = false
        pluginsAdvanced(at: index)
    }

    /// Evidence a peer sent that the replica accepted: the store records a channel fork itself when the replica
    /// stores both blobs; any other kind (a plug-in's) is recorded here, as the libuv node does.
    /// - Returns: the replica's actions for what was new (flooding it again sends nothing).
    func recordAccepted(_ evidence: Evidence, at index: Int) -> [Replica.Action] {
        guard evidence.kind != .channelFork else { return [] }
        let recorded = recordEvidence([evidence], at: index)
        guard !recorded.isEmpty else { return [] }
        return nodes[index].replica!.evidenceRecorded(recorded, now: nowMilliseconds)
    }

    /// Stops the node's plug-ins: requests not yet carried out are lost with the process.
    func stopPlugins(_ index: Int) {
        nodes[index].plugins = nil
        nodes[index].pluginRequests.removeAll()
        nodes[index].pluginWorkScheduled = false
    }
}

extension Simulation {
    /// A blob's slot: the channel fork's key (author, channel, seq).
    struct Slot: Hashable {
        let author: PublicKey
        let channel: ChannelName
        let seq: UInt64

        init(_ blob: SignedBlob) {
            author = blob.author
            channel = blob.channel
            seq = blob.seq
        }
    }
}
