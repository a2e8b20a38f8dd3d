import CairnCore
import CairnProtocol

extension Simulation {
    /// Performs a replica's actions in order, answering the synchronous ones at once (store, serve, stored
    /// evidence), then flushes the replica and performs what the flush produced, until it produces nothing.
    func run(_ actions: [Replica.Action], at index: Int) {
        var work = actions
        var next = 0
        while true {
            while next < work.count {
                let action = work[next]
                next += 1
                perform(action, at: index, into: &work)
            }
            guard nodes[index].replica != nil else { return }
            let flushed = nodes[index].replica!.flush(now: nowMilliseconds)
            guard !flushed.isEmpty else { return }
            work = flushed
            next = 0
        }
    }

    private func perform(_ action: Replica.Action, at index: Int, into work: inout [Replica.Action]) {
        let now = nowMilliseconds
        switch action {
        case .dial(let id, let address):
            dial(from: index, connection: id, to: address)
        case .write(let id, let bytes):
            guard let reference = nodes[index].connections[id] else { return }
            let taken = write(bytes, on: reference.link, from: reference.side)
            if taken > 0 { work += nodes[index].replica!.written(taken, on: id, now: now) }
        case .close(let id, let farewell):
            closeEnd(of: index, connection: id, farewell: farewell)
        case .verify(let bytes, let id, let peer):
            let done = occupyCPU(of: index)
            schedule(
                .verify(node: index, incarnation: nodes[index].incarnation, bytes: bytes, id: id, from: peer),
                at: done
            )
        case .verifyEvidence(let bytes, let digest, let peer):
            let done = occupyCPU(of: index)
            schedule(
                .verifyEvidence(
                    node: index,
                    incarnation: nodes[index].incarnation,
                    bytes: bytes,
                    digest: digest,
                    from: peer
                ),
                at: done
            )
        case .store(let blob):
            let recorded = commit(intern(blob), at: index)
            work += nodes[index].replica!.committed(blob.id, result: .success(recorded), now: now)
        case .serve(let ids, let peer):
            let encodings = ids.compactMap { id -> [UInt8]? in
                guard let blob = blobIndex[id], nodes[index].holds(blob) else { return nil }
                return blobs[blob].encoding
            }
            work += nodes[index].replica!.read(encodings, for: peer, now: now)
        case .reconcile(let step):
            work += nodes[index].replica!.reconciled(step.run(on: nodes[index].syncItems), now: now)
        case .readStoredEvidence(let id, let limit, let maxBytes):
            let offer = storedEvidence(at: index, limit: limit, maxBytes: maxBytes)
            // The libuv node answers only when it has something to offer.
            if !offer.isEmpty { work += nodes[index].replica!.storedEvidenceRead(offer, for: id, now: now) }
        case .persist(let change):
            counters.persisted += 1
            persist(change, at: index)
        case .emit(let notice):
            counters.emitted += 1
            note(notice, at: index)
            if case .evidenceAccepted(let evidence) = notice { work += recordAccepted(evidence, at: index) }
        case .wake(let at):
            wake(index, at: at)
        }
    }

    /// What the in-memory store answers a read of stored evidence for a new peer, as the LMDB store does: ascending
    /// by evidence id, up to `limit` records and `maxBytes` of encodings.
    private func storedEvidence(at index: Int, limit: Int, maxBytes: Int) -> [[UInt8]] {
        var chosen: [[UInt8]] = []
        var bytes = 0
        for evidence in nodes[index].evidence.sorted(by: { $0.id < $1.id }).prefix(limit) {
            let encoding = evidence.encoding
            guard bytes + encoding.count <= maxBytes else { break }
            chosen.append(encoding)
            bytes += encoding.count
        }
        return chosen
    }

    /// Reserves the node's CPU for one verification; returns when it is done.
    private func occupyCPU(of index: Int) -> UInt64 {
        let done = max(self.now, nodes[index].cpuFreeAt) + perHopMicros
        nodes[index].cpuFreeAt = done
        return done
    }

    /// Schedules the replica's tick, replacing any earlier request.
    private func wake(_ index: Int, at milliseconds: UInt64) {
        let (micros, overflow) = milliseconds.multipliedReportingOverflow(by: 1000)
        let time = max(overflow ? .max : micros, self.now)
        guard time != nodes[index].wakeAt else { return }
        nodes[index].wakeToken += 1
        nodes[index].wakeAt = time
        schedule(.tick(node: index, token: nodes[index].wakeToken), at: time)
    }

    /// A verification finished: the signature is checked now (or looked up, when memoised).
    func verify(_ bytes: [UInt8], id: BlobID, from peer: PeerID, at index: Int, incarnation: Int) {
        guard nodes[index].isUp, nodes[index].incarnation == incarnation, nodes[index].replica != nil else { return }
        counters.verifications += 1
        let result: Result<SignedBlob, CoreError>
        if scenario.memoiseSignatures, let known = blobIndex[id] {
            // `id` is the BLAKE2b of `bytes` (the router computed it), and only verified blobs are interned.
            result = .success(blobs[known])
        } else {
            do {
                let blob = try SignedBlob.decode(bytes, maxPayloadBytes: configuration.maxBlobBytes)
                result = .success(blobs[intern(blob)])
            } catch {
                counters.rejected += 1
                result = .failure(error)
            }
        }
        run(nodes[index].replica!.verified(result, id: id, from: peer, now: nowMilliseconds), at: index)
    }

    /// An evidence verification finished.
    func verifyEvidence(
        _ bytes: [UInt8],
        digest: Replica.EvidenceDigest,
        from peer: PeerID,
        at index: Int,
        incarnation: Int
    ) {
        guard nodes[index].isUp, nodes[index].incarnation == incarnation, nodes[index].replica != nil else { return }
        let result: Result<Evidence, CoreError>
        do {
            result = .success(try Evidence.decode(bytes, maxPayloadBytes: configuration.maxBlobBytes))
        } catch {
            result = .failure(error)
        }
        run(
            nodes[index].replica!.evidenceVerified(result, digest: digest, from: peer, now: nowMilliseconds),
            at: index
        )
    }

    private func persist(_ change: Replica.PeerBookChange, at index: Int) {
        switch change {
        case .remember(let address):
            guard nodes[index].book[address] == nil else { return }
            nodes[index].book[address] = nodes[index].bookSerial
            nodes[index].bookSerial += 1
        case .forget(let address):
            nodes[index].book.removeValue(forKey: address)
        case .ban(let key, let until):
            nodes[index].bans[key] = until
        case .unban(let key):
            nodes[index].bans.removeValue(forKey: key)
        }
    }

    private func note(_ notice: Replica.Notice, at index: Int) {
        switch notice {
        case .peerUp:
            counters.peersUp += 1
            joinMesh(index)
        case .banned(let key, _):
            counters.bans += 1
            if let index = keyIndex[key], let kind = nodes[index].hostile?.kind {
                counters.hostileBans[HostilePeer.Kind.allCases.firstIndex(of: kind)!] += 1
            }
        case .connectionFailed:
            counters.connectionFailures += 1
        case .offence(_, let offence, _):
            counters.offences[PeerManager.Offence.allCases.firstIndex(of: offence)!] += 1
        case .tooSlow:
            counters.tooSlow += 1
        case .evidenceAccepted(let evidence):
            counters.evidenceAccepted += 1
            alert(evidence.id, at: index)
        case .syncFinished:
            counters.syncRounds += 1
        case .peerDown, .evidenceDropped, .commitFailed, .blobRefused, .syncFailed:
            break
        }
    }

    // MARK: Hostile peers

    /// A hostile peer acts: it dials another honest node while under its connection budget, then sends whatever
    /// its kind sends on the connections it has.
    func hostileAct(_ index: Int) {
        guard nodes[index].isUp, let settings = nodes[index].hostile?.settings else { return }
        schedule(.hostileAct(node: index), at: self.now + settings.intervalMilliseconds * 1000)
        let dialling = nodes[index].connections.values.count { $0.side == .dialer }
        if dialling < settings.maxConnections {
            let target = honestIndices[random.below(honestIndices.count)]
            let id = nodes[index].nextHostileConnection
            nodes[index].nextHostileConnection += 1
            counters.hostileDials[HostilePeer.Kind.allCases.firstIndex(of: settings.kind)!] += 1
            dial(from: index, connection: id, to: nodes[target].address)
        }
        for (link, bytes) in nodes[index].hostile!.act(now: nowMilliseconds) {
            let side: Side = links[link].dialer.node == index ? .dialer : .acceptor
            guard links[link][side].isOpen else { continue }
            send(bytes, on: link, from: side)
        }
    }
}
