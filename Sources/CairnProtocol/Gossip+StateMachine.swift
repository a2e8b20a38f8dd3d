import CairnCore
import DequeModule

extension Gossip {
    /// The gossip router of one node as a pure state machine: peer events, messages, verification results and
    /// heartbeats in, actions out.
    ///
    /// Time is milliseconds on the driver's monotonic clock, passed to every event. The only randomness (which
    /// peers join the mesh, which get lazy announcements) comes from the seed, and every choice is made from
    /// peers in key order, so the same inputs give the same actions on every platform.
    ///
    /// The driver calls `peerConnected` before passing a peer's messages, `heartbeat` every
    /// `heartbeatMilliseconds`, and answers every `.verify` with `verified` or `rejected` (only for a verdict on
    /// the bytes; a transient local failure is answered by neither and the verification expires).
    public struct StateMachine: Sendable {
        /// The tunables this router was made with.
        public let configuration: GossipConfiguration
        /// This node's key; a peer with this key is never added.
        public let localID: PeerID

        var random: SeededRandom
        var peers: [PeerID: PeerState] = [:]
        /// The connected peers in key order: every choice among peers is made in this order.
        var peerOrder: [PeerID] = []
        var mesh: Set<PeerID> = []
        var seen: SeenCache<BlobID>
        var seenEvidence: SeenCache<[UInt8]>
        var fetches: [BlobID: Fetch] = [:]
        var verifications: [BlobID: Verification] = [:]
        var requestedWants: SeenCache<WantKey>
        var counters = GossipStatistics()

        /// A router with no peers.
        /// - Parameters:
        ///   - configuration: degrees, bounds and timeouts.
        ///   - localID: this node's key.
        ///   - seed: seeds the generator behind mesh and lazy-peer choices.
        public init(configuration: GossipConfiguration, localID: PeerID, seed: UInt64) {
            self.configuration = configuration
            self.localID = localID
            self.random = SeededRandom(seed: seed)
            self.seen = SeenCache(capacity: configuration.seenCacheEntries)
            self.seenEvidence = SeenCache(capacity: configuration.evidenceCacheEntries)
            self.requestedWants = SeenCache(capacity: 2 * configuration.maxPendingWants)
        }

        /// The peers this node eagerly pushes small blobs to.
        public var meshPeers: Set<PeerID> { mesh }

        /// The peers the driver reported connected.
        public var connectedPeers: Set<PeerID> { Set(peers.keys) }

        /// Counters and current sizes.
        public var statistics: GossipStatistics {
            var snapshot = counters
            snapshot.seenCacheSize = seen.count
            snapshot.seenCacheEvictions = seen.evictions
            snapshot.pendingWants = fetches.count
            snapshot.pendingVerifications = verifications.count
            snapshot.meshPeers = mesh.count
            snapshot.connectedPeers = peers.count
            return snapshot
        }

        // MARK: Peers

        /// A peer finished its handshake; it joins the mesh at once while the mesh is below D.
        public mutating func peerConnected(_ peer: PeerID, now: UInt64) -> [Action] {
            guard peer != localID, peers[peer] == nil else { return [] }
            peers[peer] = PeerState(knownIDsCapacity: configuration.peerKnownIDsEntries)
            peerOrder.insert(peer, at: Self.position(of: peer, in: peerOrder))
            if mesh.count < configuration.meshDegree { mesh.insert(peer) }
            return []
        }

        /// A peer is gone; wants it was answering go to the next announcer now.
        public mutating func peerDisconnected(_ peer: PeerID, now: UInt64) -> [Action] {
            guard peers.removeValue(forKey: peer) != nil else { return [] }
            peerOrder.remove(at: Self.position(of: peer, in: peerOrder))
            mesh.remove(peer)
            var wants = IDBatch()
            for id in fetches.filter({ $0.value.asked == peer }).keys.sorted() {
                advanceFetch(id, now: now, wants: &wants)
            }
            return wants.actions { .want($0) }
        }

        /// Adds a connected peer to the mesh, beyond D if need be (for an operator's direct peer, or a GRAFT once
        /// the protocol has one); a heartbeat prunes the mesh back to D when it is above D_high.
        /// - Returns: no actions today (the mesh is local); the driver performs them as for any event.
        public mutating func graft(_ peer: PeerID, now: UInt64) -> [Action] {
            if peers[peer] != nil { mesh.insert(peer) }
            return []
        }

        /// Removes a peer from the mesh; it still gets lazy announcements, and a heartbeat may graft it again.
        public mutating func prune(_ peer: PeerID, now: UInt64) -> [Action] {
            mesh.remove(peer)
            return []
        }

        // MARK: Messages

        /// Handles a message from a connected peer: blob, have, want, idontwant and evidence; other messages
        /// (and messages from peers not connected) give no actions.
        public mutating func receive(_ message: WireMessage, from peer: PeerID, now: UInt64) -> [Action] {
            guard peers[peer] != nil else {
                counters.messagesFromUnknownPeers += 1
                return []
            }
            switch message {
            case .blob(let bytes):
                return receiveBlob(bytes, from: peer, now: now)
            case .have(let ids):
                guard !ids.isEmpty else { return [penalise(peer, .malformed)] }
                return receiveHave(ids, from: peer, now: now)
            case .want(let ids):
                guard !ids.isEmpty else { return [penalise(peer, .malformed)] }
                counters.wantsReceived += ids.count
                var unique = Set<BlobID>()
                return [.serve(ids.filter { unique.insert($0).inserted }, to: peer)]
            case .idontwant(let ids):
                guard !ids.isEmpty else { return [penalise(peer, .malformed)] }
                counters.idontwantsReceived += ids.count
                for id in ids { peers[peer]!.knownIDs.insert(id) }
                return []
            case .evidence(let bytes):
                guard !bytes.isEmpty else { return [penalise(peer, .malformed)] }
                return floodEvidence(bytes, except: peer)
            default:
                return []
            }
        }

        /// Passes on a blob this node accepted from its own API (already stored).
        public mutating func publish(_ blob: SignedBlob, now: UInt64) -> [Action] {
            guard markSeen(blob.id) else { return [] }
            fetches[blob.id] = nil
            counters.blobsPublished += 1
            return forward(blob.id, encoding: blob.encoding, except: nil)
        }

        /// Verification passed (and the blob is stored): marks it seen and passes it on, except to `peer` and to
        /// peers known to hold it.
        public mutating func verified(_ blob: SignedBlob, from peer: PeerID, now: UInt64) -> [Action] {
            verifications[blob.id] = nil
            guard markSeen(blob.id) else { return [] }
            fetches[blob.id] = nil
            counters.blobsVerified += 1
            return forward(blob.id, encoding: blob.encoding, except: peer)
        }

        /// Verification failed: penalises the sender; the id is marked seen so the same bytes are not verified
        /// again, and nothing is forwarded.
        public mutating func rejected(_ id: BlobID, from peer: PeerID, now: UInt64) -> [Action] {
            verifications[id] = nil
            fetches[id] = nil
            markSeen(id)
            counters.blobsRejected += 1
            return [penalise(peer, .invalidBlob)]
        }

        /// The blob verified but a rule of its channel refused it: it is marked seen (not verified again) and neither
        /// forwarded nor counted against the sender.
        public mutating func refused(_ id: BlobID, now: UInt64) -> [Action] {
            verifications[id] = nil
            fetches[id] = nil
            markSeen(id)
            counters.blobsRefused += 1
            return []
        }

        /// The verified blob could not be kept (its commit failed): it is neither forwarded nor marked seen, so a
        /// later copy is verified and stored again.
        public mutating func abandoned(_ id: BlobID, now: UInt64) -> [Action] {
            verifications[id] = nil
            fetches[id] = nil
            counters.blobsAbandoned += 1
            return []
        }

        /// Sends evidence to every connected peer but `sender` on the evidence lane, once per distinct bytes: evidence
        /// this node recorded itself, or evidence a peer sent that passed verification (whether or not that peer is
        /// still connected).
        public mutating func publishEvidence(_ bytes: [UInt8], except sender: PeerID? = nil, now: UInt64) -> [Action] {
            // Evidence this node already flooded (it came from a peer, then its blobs were stored here and the store
            // reported the fork again) is not sent a second time.
            guard seenEvidence.insert(Blake2b.hash256(bytes)) else {
                counters.duplicateEvidence += 1
                return []
            }
            counters.evidenceForwarded += 1
            return peerOrder.filter { $0 != sender }.map { .send(.evidence(bytes), to: $0, lane: .evidence) }
        }

        /// Whether evidence with this BLAKE2b-256 hash was already flooded, so the driver can skip verifying it.
        public func hasSeenEvidence(hash: [UInt8]) -> Bool {
            seenEvidence.contains(hash)
        }

        /// Fetches in flight (`want`s sent and not yet answered).
        public var pendingFetches: Int { fetches.count }

        /// Asks `peer` for blobs that set reconciliation found it holds and this node lacks, as if it had announced
        /// them; ids already seen, being verified or being fetched are skipped.
        /// - Returns: the `want` actions, and how many ids were asked for (fewer when `maxPendingWants` is reached).
        public mutating func request(_ ids: [BlobID], from peer: PeerID, now: UInt64) -> ([Action], Int) {
            guard peers[peer] != nil else { return ([], 0) }
            var wants = IDBatch()
            var taken = 0
            for id in ids where !seen.contains(id) && verifications[id] == nil && fetches[id] == nil {
                guard fetches.count < configuration.maxPendingWants else { break }
                peers[peer]!.knownIDs.insert(id)
                fetches[id] = Fetch(asked: peer, deadline: Self.adding(configuration.wantTimeoutMilliseconds, to: now))
                requestedWants.insert(WantKey(id: id, peer: peer))
                counters.wantsSent += 1
                wants.add(id, for: peer)
                taken += 1
            }
            return (wants.actions { .want($0) }, taken)
        }

        // MARK: Heartbeat

        /// Repairs the mesh (below D_low: graft up to D; above D_high: prune down to D), sends timed-out wants to
        /// the next announcer, forgets stale verifications and starts a new duplicate-counting window.
        public mutating func heartbeat(now: UInt64) -> [Action] {
            maintainMesh()
            var wants = IDBatch()
            for id in fetches.filter({ $0.value.deadline <= now }).keys.sorted() {
                advanceFetch(id, now: now, wants: &wants)
            }
            let stale = verifications.filter {
                Self.elapsed(since: $0.value.started, now: now) >= configuration.verificationTimeoutMilliseconds
            }
            for id in stale.keys { verifications[id] = nil }
            counters.verificationsExpired += stale.count
            for peer in peerOrder {
                peers[peer]!.repeatsThisHeartbeat = 0
            }
            return wants.actions { .want($0) }
        }

        // MARK: Internals

        private mutating func receiveBlob(_ bytes: [UInt8], from peer: PeerID, now: UInt64) -> [Action] {
            counters.blobsReceived += 1
            let id = BlobID(unchecked: Blake2b.hash256(bytes))
            let requested = requestedWants.remove(WantKey(id: id, peer: peer))
            let large = bytes.count > configuration.eagerPushMaxBytes
            var actions: [Action] = []
            if large && !requested { actions.append(penalise(peer, .unrequestedLargeBlob)) }
            peers[peer]!.knownIDs.insert(id)
            if !requested {
                if !large {
                    peers[peer]!.lastPushAt = now
                    // A peer that pushes to us has us in its mesh: take it into ours (up to D_high), so mesh links
                    // become symmetric without a GRAFT message and a node that joined late is pushed to as well.
                    if !mesh.contains(peer), mesh.count < configuration.meshDegreeHigh {
                        mesh.insert(peer)
                        counters.reciprocalGrafts += 1
                    }
                }
                if !peers[peer]!.pushedIDs.insert(id) {
                    peers[peer]!.repeatsThisHeartbeat += 1
                    // One penalty per `duplicateFloodThreshold` repeats in a heartbeat: a single penalty per heartbeat
                    // decays (×0.9) as fast as it accrues, so a steady flooder's score would never reach the
                    // disconnect threshold.
                    let threshold = max(configuration.duplicateFloodThreshold, 1)
                    let repeats = peers[peer]!.repeatsThisHeartbeat
                    if repeats > threshold, (repeats - 1) % threshold == 0 {
                        actions.append(penalise(peer, .duplicateFlood))
                    }
                }
            }
            guard !seen.contains(id), verifications[id] == nil else {
                counters.duplicateBlobs += 1
                return actions
            }
            guard verifications.count < configuration.maxPendingVerifications else {
                counters.pendingVerificationsFull += 1
                return actions
            }
            fetches[id] = nil
            verifications[id] = Verification(started: now)
            counters.verificationsRequested += 1
            if !large && bytes.count >= configuration.idontwantMinBytes {
                for pusher in inboundPushers(now: now) where pusher != peer && !peers[pusher]!.knownIDs.contains(id) {
                    actions.append(.send(.idontwant([id]), to: pusher, lane: .eager))
                    counters.idontwantsSent += 1
                }
            }
            actions.append(.verify(bytes, id: id, from: peer))
            return actions
        }

        private mutating func receiveHave(_ ids: [BlobID], from peer: PeerID, now: UInt64) -> [Action] {
            counters.havesReceived += ids.count
            var wants = IDBatch()
            for id in ids {
                peers[peer]!.knownIDs.insert(id)
                if seen.contains(id) || verifications[id] != nil { continue }
                if var fetch = fetches[id] {
                    if fetch.asked != peer, !fetch.waiting.contains(peer),
                        fetch.announcerCount < configuration.maxAnnouncersPerID
                    {
                        fetch.waiting.append(peer)
                        fetch.announcerCount += 1
                        fetches[id] = fetch
                    }
                    continue
                }
                guard fetches.count < configuration.maxPendingWants else {
                    counters.pendingWantsFull += 1
                    continue
                }
                fetches[id] = Fetch(asked: peer, deadline: Self.adding(configuration.wantTimeoutMilliseconds, to: now))
                requestedWants.insert(WantKey(id: id, peer: peer))
                counters.wantsSent += 1
                wants.add(id, for: peer)
            }
            return wants.actions { .want($0) }
        }

        /// Asks the next connected announcer of `id`, or gives the fetch up when none is left.
        private mutating func advanceFetch(_ id: BlobID, now: UInt64, wants: inout IDBatch) {
            guard var fetch = fetches[id] else { return }
            while let next = fetch.waiting.popFirst() {
                guard peers[next] != nil else { continue }
                fetch.asked = next
                fetch.deadline = Self.adding(configuration.wantTimeoutMilliseconds, to: now)
                fetches[id] = fetch
                requestedWants.insert(WantKey(id: id, peer: next))
                counters.wantsSent += 1
                counters.wantRetries += 1
                wants.add(id, for: next)
                return
            }
            fetches[id] = nil
            counters.wantsAbandoned += 1
        }

        /// Pushes a small blob to the mesh and announces it to D_lazy others, or announces a large one to all.
        private mutating func forward(_ id: BlobID, encoding: [UInt8], except sender: PeerID?) -> [Action] {
            counters.blobsForwarded += 1
            var actions: [Action] = []
            var lazyCandidates: [PeerID] = []
            let large = encoding.count > configuration.eagerPushMaxBytes
            for peer in peerOrder where peer != sender {
                if peers[peer]!.knownIDs.contains(id) {
                    counters.sendsSuppressed += 1
                } else if large {
                    actions.append(.send(.have([id]), to: peer, lane: .eager))
                    counters.havesSent += 1
                } else if mesh.contains(peer) {
                    actions.append(.send(.blob(encoding), to: peer, lane: .eager))
                    counters.blobPushes += 1
                } else {
                    lazyCandidates.append(peer)
                }
            }
            for peer in random.choose(configuration.lazyDegree, from: lazyCandidates) {
                actions.append(.send(.have([id]), to: peer, lane: .lazy))
                counters.havesSent += 1
            }
            return actions
        }

        private mutating func floodEvidence(_ bytes: [UInt8], except sender: PeerID) -> [Action] {
            guard seenEvidence.insert(Blake2b.hash256(bytes)) else {
                counters.duplicateEvidence += 1
                return []
            }
            counters.evidenceForwarded += 1
            return peerOrder.filter { $0 != sender }.map { .send(.evidence(bytes), to: $0, lane: .evidence) }
        }

        private mutating func maintainMesh() {
            if mesh.count < configuration.meshDegreeLow {
                let candidates = peerOrder.filter { !mesh.contains($0) }
                mesh.formUnion(random.choose(configuration.meshDegree - mesh.count, from: candidates))
            } else if mesh.count > configuration.meshDegreeHigh {
                let members = mesh.sorted()
                mesh.subtract(random.choose(mesh.count - configuration.meshDegree, from: members))
            }
        }

        /// Peers that pushed unrequested blobs recently: they have this node in their mesh.
        private func inboundPushers(now: UInt64) -> [PeerID] {
            let window = configuration.inboundMeshHeartbeats.multipliedReportingOverflow(
                by: configuration.heartbeatMilliseconds
            )
            let limit = window.overflow ? UInt64.max : window.partialValue
            return peerOrder.filter { peer in
                guard let last = peers[peer]!.lastPushAt else { return false }
                return Self.elapsed(since: last, now: now) <= limit
            }
        }

        @discardableResult
        private mutating func markSeen(_ id: BlobID) -> Bool {
            seen.insert(id)
        }

        private mutating func penalise(_ peer: PeerID, _ penalty: Penalty) -> Action {
            counters.penalties += 1
            return .penalise(peer, penalty)
        }

        /// The index of the first key in `sorted` that is not less than `peer` (binary search).
        private static func position(of peer: PeerID, in sorted: [PeerID]) -> Int {
            var low = 0
            var high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle] < peer { low = middle + 1 } else { high = middle }
            }
            return low
        }

        private static func adding(_ duration: UInt64, to now: UInt64) -> UInt64 {
            let (sum, overflow) = now.addingReportingOverflow(duration)
            return overflow ? .max : sum
        }

        private static func elapsed(since start: UInt64, now: UInt64) -> UInt64 {
            now >= start ? now - start : 0
        }
    }
}
