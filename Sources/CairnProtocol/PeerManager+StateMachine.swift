import CairnCore

extension PeerManager {
    /// The peer manager of one node: connection events and the time in, actions out.
    ///
    /// It keeps `outboundTarget` outbound connections (dials in flight count), refuses inbound connections beyond
    /// `inboundCap`, keeps one connection per node key, learns addresses from advertisements and peer exchange into
    /// a bounded address book, backs off failing addresses, scores peers and bans (by node key) those that misbehave.
    /// Randomness (which address to dial, which addresses to share) comes from the seed only, so the same seed and
    /// the same events give the same actions.
    ///
    /// Contract with the driver: every `.dial` is answered by `dialSucceeded` or `dialFailed` for that address;
    /// every connection the machine was told about (accepted, dialled, or closed by a `.close`) is reported once by
    /// `connectionClosed` when it is gone; `tick` runs once per heartbeat. Events for unknown connections are
    /// ignored.
    public struct StateMachine: Sendable {
        enum Phase: Sendable, Equatable {
            case handshaking
            case up
            /// We asked the driver to close it. `addressFailed`: count it as a failed dial of its address.
            case closing(wasUp: Bool, addressFailed: Bool)
        }

        struct Connection: Sendable {
            let direction: Direction
            var phase: Phase = .handshaking
            /// The address we dialled (outbound only).
            var dialedAddress: PeerAddress?
            /// The address the remote advertised: observed IP and its listen port.
            var advertisedAddress: PeerAddress?
            var key: PublicKey?
            var score = 0.0
            var connectedAtMilliseconds: UInt64 = 0
            /// When the next address sample is due; `nil` until the first is sent.
            var nextExchangeAtMilliseconds: UInt64?

            var address: PeerAddress? { dialedAddress ?? advertisedAddress }
        }

        /// A score closer to zero than this is zero.
        static let negligibleScore = 0.01

        /// The limits and timings in force.
        public let configuration: PeerConfiguration
        /// This node's key; a connection that authenticates as it is a connection to ourselves.
        public let localKey: PublicKey

        var random: SeededRandom
        var book: AddressBook
        /// Addresses that reach this node.
        var localAddresses: Set<PeerAddress> = []
        var dialing: Set<PeerAddress> = []
        var connections: [ConnectionID: Connection] = [:]
        var connectionByKey: [PublicKey: ConnectionID] = [:]
        var bans: [PublicKey: UInt64] = [:]
        /// Scores of peers that disconnected while below zero, decaying like live ones.
        var rememberedScores: [PublicKey: Double] = [:]

        /// Creates an empty manager; call `start` next.
        /// - Parameters:
        ///   - configuration: limits and timings.
        ///   - localKey: this node's key.
        ///   - seed: the only source of randomness.
        public init(configuration: PeerConfiguration, localKey: PublicKey, seed: UInt64) {
            self.configuration = configuration
            self.localKey = localKey
            self.random = SeededRandom(seed: seed)
            self.book = AddressBook(capacity: configuration.maxKnownAddresses)
        }

        // MARK: Events

        /// Restores persisted state and dials up to the outbound target.
        /// - Parameters:
        ///   - bootstrap: configured addresses; always kept, never forgotten.
        ///   - knownAddresses: the persisted address book; entries beyond the bound are forgotten.
        ///   - bans: persisted bans (node key, end instant); expired ones are lifted (`.unban`).
        ///   - now: the current time.
        public mutating func start(
            bootstrap: [PeerAddress],
            knownAddresses: [PeerAddress],
            bans: [(PublicKey, UInt64)],
            now: UInt64
        ) -> [Action] {
            var actions: [Action] = []
            for address in bootstrap where !localAddresses.contains(address) {
                book.insert(address, bootstrap: true)
            }
            for address in knownAddresses where !book.contains(address) {
                if localAddresses.contains(address) || book.isFull {
                    actions.append(.forgetAddress(address))
                } else {
                    book.insert(address, bootstrap: false)
                }
            }
            for (key, until) in bans {
                if now < until {
                    insertBan(key, until: until, announce: false, into: &actions)
                } else {
                    actions.append(.unban(key))
                }
            }
            fillOutbound(now: now, into: &actions)
            return actions
        }

        /// Declares an address that reaches this node (its configured or advertised listen address), so it is
        /// never dialled; forgets it if it was in the address book.
        public mutating func addLocalAddress(_ address: PeerAddress) -> [Action] {
            localAddresses.insert(address)
            guard book.remove(address) != nil else { return [] }
            return [.forgetAddress(address)]
        }

        /// A remote dialled us; closes it at once (`.tooManyPeers`) when at the inbound cap.
        public mutating func inboundAccepted(_ connection: ConnectionID, now: UInt64) -> [Action] {
            guard connections[connection] == nil else { return [] }
            guard inboundConnectionCount < configuration.inboundCap else {
                return [.close(connection, .tooManyPeers)]
            }
            connections[connection] = Connection(direction: .inbound)
            return []
        }

        /// A dial connected over TCP; the handshake starts.
        public mutating func dialSucceeded(_ connection: ConnectionID, address: PeerAddress, now: UInt64) -> [Action] {
            dialing.remove(address)
            guard connections[connection] == nil else { return [] }
            connections[connection] = Connection(direction: .outbound, dialedAddress: address)
            return []
        }

        /// A dial failed; the address backs off (doubling per consecutive failure) and another one is tried.
        public mutating func dialFailed(address: PeerAddress, now: UInt64) -> [Action] {
            var actions: [Action] = []
            dialing.remove(address)
            recordDialFailure(address, now: now, into: &actions)
            fillOutbound(now: now, into: &actions)
            return actions
        }

        /// The handshake authenticated the remote node key.
        ///
        /// Refused (closed) when the key is banned, is our own, or already has a connection. Between two
        /// connections to one key, both sides keep the one initiated by the smaller key (an existing connection
        /// wins when the tie-break cannot tell them apart). Otherwise the peer is up (`.peerUp`) and is sent a
        /// first address sample.
        public mutating func handshakeCompleted(
            _ connection: ConnectionID,
            remote: PublicKey,
            now: UInt64
        ) -> [Action] {
            guard var current = connections[connection], current.phase == .handshaking else { return [] }
            var actions: [Action] = []
            current.key = remote
            connections[connection] = current

            if remote == localKey {
                if let address = current.dialedAddress {
                    localAddresses.insert(address)
                    if book.remove(address) != nil { actions.append(.forgetAddress(address)) }
                }
                close(connection, .duplicateConnection, addressFailed: false, into: &actions)
                fillOutbound(now: now, into: &actions)
                return actions
            }
            for address in [current.dialedAddress, current.advertisedAddress].compactMap({ $0 }) {
                book.update(address) { $0.key = remote }
            }
            if isBanned(remote, now: now) {
                close(connection, .banned, addressFailed: false, into: &actions)
                fillOutbound(now: now, into: &actions)
                return actions
            }
            if let existingID = connectionByKey[remote], let existing = connections[existingID] {
                let preferredInitiator = min(localKey, remote)
                let newInitiator = current.direction == .outbound ? localKey : remote
                let oldInitiator = existing.direction == .outbound ? localKey : remote
                guard newInitiator == preferredInitiator, oldInitiator != preferredInitiator else {
                    close(connection, .duplicateConnection, addressFailed: false, into: &actions)
                    fillOutbound(now: now, into: &actions)
                    return actions
                }
                current.score += existing.score
                close(existingID, .duplicateConnection, addressFailed: false, into: &actions)
            }

            current.phase = .up
            current.connectedAtMilliseconds = now
            current.score += rememberedScores.removeValue(forKey: remote) ?? 0
            if let address = current.dialedAddress {
                book.update(address) {
                    $0.failures = 0
                    $0.nextDialAtMilliseconds = 0
                }
            }
            connectionByKey[remote] = connection
            actions.append(.peerUp(remote, connection, current.direction))
            connections[connection] = current
            // An inbound peer gets its first sample once it has advertised (or at the next tick), so the sample
            // can leave out the peer's own address.
            if current.direction == .outbound || current.advertisedAddress != nil {
                sendExchange(to: connection, now: now, into: &actions)
            }
            fillOutbound(now: now, into: &actions)
            return actions
        }

        /// The remote told us its listen port; with the IP we observed it makes its dialable address, which is
        /// remembered. Port 0 means the remote does not accept connections.
        public mutating func advertised(
            listenPort: UInt16,
            observedHost: String,
            on connection: ConnectionID,
            now: UInt64
        ) -> [Action] {
            guard listenPort != 0, var current = connections[connection], !current.isClosing,
                let address = try? PeerAddress(host: observedHost, port: listenPort)
            else { return [] }
            current.advertisedAddress = address
            connections[connection] = current
            guard !localAddresses.contains(address) else { return [] }
            var actions: [Action] = []
            learn(address, evictHealthy: true, into: &actions)
            if let key = current.key { book.update(address) { $0.key = key } }
            if current.phase == .up, current.nextExchangeAtMilliseconds == nil {
                sendExchange(to: connection, now: now, into: &actions)
            }
            return actions
        }

        /// Peer exchange: learns the addresses (within the address book's bound) and dials more when under the
        /// outbound target. Ignored unless the connection is up.
        public mutating func receivedPeers(
            _ addresses: [PeerAddress],
            from connection: ConnectionID,
            now: UInt64
        ) -> [Action] {
            guard connections[connection]?.phase == .up else { return [] }
            var actions: [Action] = []
            for address in addresses.prefix(WireMessage.maxPeers) {
                learn(address, evictHealthy: false, into: &actions)
            }
            fillOutbound(now: now, into: &actions)
            return actions
        }

        /// Lowers the connection's score by the offence's penalty; closes it at `disconnectScore`, and at
        /// `banScore` also bans its node key (when known) for `banMilliseconds`. Either way the `goodbye` names the
        /// offence's class; `goodbye(banned)` answers the banned key's later connections.
        public mutating func offence(_ offence: Offence, on connection: ConnectionID, now: UInt64) -> [Action] {
            guard var current = connections[connection], !current.isClosing else { return [] }
            current.score += offence.penalty
            connections[connection] = current
            var actions: [Action] = []
            if current.score <= configuration.banScore, let key = current.key {
                insertBan(key, until: Self.adding(now, configuration.banMilliseconds), announce: true, into: &actions)
                close(connection, offence.goodbyeReason, addressFailed: true, into: &actions)
            } else if current.score <= configuration.disconnectScore {
                close(connection, offence.goodbyeReason, addressFailed: true, into: &actions)
            }
            return actions
        }

        /// A connection is gone (closed by either side or failed): `.peerDown` if it was up, then redial to stay at
        /// the target.
        public mutating func connectionClosed(_ connection: ConnectionID, now: UInt64) -> [Action] {
            guard let closed = connections.removeValue(forKey: connection) else { return [] }
            var actions: [Action] = []
            if closed.phase == .up, let key = closed.key {
                actions.append(.peerDown(key, connection))
                if connectionByKey[key] == connection { connectionByKey.removeValue(forKey: key) }
            }
            if let key = closed.key, connectionByKey[key] == nil, closed.score <= -Self.negligibleScore,
                closed.wasUp
            {
                rememberScore(closed.score, for: key)
            }
            if closed.direction == .outbound, let address = closed.dialedAddress {
                switch closed.phase {
                case .handshaking, .closing(_, addressFailed: true):
                    recordDialFailure(address, now: now, into: &actions)
                case .up, .closing(wasUp: true, addressFailed: false):
                    book.update(address) {
                        $0.failures = 0
                        $0.nextDialAtMilliseconds = Self.adding(now, configuration.dialBackoffMilliseconds.lowerBound)
                    }
                case .closing(wasUp: false, addressFailed: false):
                    break
                }
            }
            fillOutbound(now: now, into: &actions)
            return actions
        }

        /// The heartbeat: decays scores, lifts expired bans, sends the periodic address samples, and redials to
        /// the target where backoff allows.
        public mutating func tick(now: UInt64) -> [Action] {
            var actions: [Action] = []
            for (key, until) in bans.sorted(by: { $0.key < $1.key }) where until <= now {
                bans.removeValue(forKey: key)
                actions.append(.unban(key))
            }
            let decay = configuration.scoreDecayPerHeartbeat
            for id in connections.keys {
                connections[id]!.score = Self.decayed(connections[id]!.score, by: decay)
            }
            for key in Array(rememberedScores.keys) {
                let score = Self.decayed(rememberedScores[key]!, by: decay)
                rememberedScores[key] = score == 0 ? nil : score
            }
            for id in connections.keys.sorted() {
                guard let current = connections[id], current.phase == .up,
                    now >= current.nextExchangeAtMilliseconds ?? 0
                else { continue }
                sendExchange(to: id, now: now, into: &actions)
            }
            fillOutbound(now: now, into: &actions)
            return actions
        }

        // MARK: Queries

        /// `true` while `key` is banned.
        public func isBanned(_ key: PublicKey, now: UInt64) -> Bool {
            guard let until = bans[key] else { return false }
            return now < until
        }

        /// The connected, authenticated peers, by connection id.
        public var peers: [PeerInfo] {
            connections.sorted { $0.key < $1.key }.compactMap { id, connection in
                guard connection.phase == .up, let key = connection.key else { return nil }
                return PeerInfo(
                    key: key,
                    connection: id,
                    direction: connection.direction,
                    address: connection.address,
                    score: connection.score,
                    connectedAtMilliseconds: connection.connectedAtMilliseconds
                )
            }
        }

        /// The address book, oldest first (bootstrap addresses included).
        public var knownAddresses: [PeerAddress] { book.ordered.map(\.address) }

        /// The active bans (node key, end instant), by key.
        public var bannedKeys: [(key: PublicKey, untilMilliseconds: UInt64)] {
            bans.sorted { $0.key < $1.key }.map { (key: $0.key, untilMilliseconds: $0.value) }
        }

        /// Addresses dialled and not yet reported on.
        public var pendingDials: Set<PeerAddress> { dialing }

        /// Outbound connections (any phase) plus dials in flight; never above the target through this machine's
        /// own dials.
        public var outboundCount: Int { dialing.count + outboundConnectionCount }

        /// Inbound connections in any phase but closing.
        public var inboundConnectionCount: Int {
            connections.values.count { $0.direction == .inbound && !$0.isClosing }
        }

        var outboundConnectionCount: Int { connections.values.count { $0.direction == .outbound } }

        /// The wait before redialling an address after `failures` consecutive failures.
        static func dialBackoff(failures: Int, range: ClosedRange<UInt64>) -> UInt64 {
            guard failures > 0 else { return 0 }
            let shift = UInt64(min(failures - 1, 63))
            let (value, overflow) = range.lowerBound.multipliedReportingOverflow(by: 1 << shift)
            return overflow ? range.upperBound : min(max(value, range.lowerBound), range.upperBound)
        }

        // MARK: Internals

        private mutating func close(
            _ id: ConnectionID,
            _ reason: GoodbyeReason,
            addressFailed: Bool,
            into actions: inout [Action]
        ) {
            guard var connection = connections[id], !connection.isClosing else { return }
            let wasUp = connection.phase == .up
            if wasUp, let key = connection.key {
                actions.append(.peerDown(key, id))
                if connectionByKey[key] == id { connectionByKey.removeValue(forKey: key) }
            }
            connection.phase = .closing(wasUp: wasUp, addressFailed: addressFailed)
            connections[id] = connection
            actions.append(.close(id, reason))
        }

        private mutating func recordDialFailure(_ address: PeerAddress, now: UInt64, into actions: inout [Action]) {
            guard var entry = book[address] else { return }
            entry.failures += 1
            if !entry.isBootstrap, entry.failures >= configuration.forgetAfterDialFailures {
                book.remove(address)
                actions.append(.forgetAddress(address))
                return
            }
            let wait = Self.dialBackoff(failures: entry.failures, range: configuration.dialBackoffMilliseconds)
            entry.nextDialAtMilliseconds = Self.adding(now, wait)
            book.update(address) { $0 = entry }
        }

        /// Adds a learned address, evicting a failing one (or, when `evictHealthy`, any idle one) when full.
        private mutating func learn(_ address: PeerAddress, evictHealthy: Bool, into actions: inout [Action]) {
            guard !localAddresses.contains(address), !book.contains(address) else { return }
            if book.isFull {
                guard let victim = evictionCandidate(evictHealthy: evictHealthy) else { return }
                book.remove(victim)
                actions.append(.forgetAddress(victim))
            }
            book.insert(address, bootstrap: false)
            actions.append(.rememberAddress(address))
        }

        /// The learned address to drop: not in use, the most failures, then the oldest.
        private func evictionCandidate(evictHealthy: Bool) -> PeerAddress? {
            let inUse = addressesInUse
            var best: (address: PeerAddress, entry: AddressBook.Entry)?
            for candidate in book.ordered
            where !candidate.entry.isBootstrap && !inUse.contains(candidate.address)
                && (evictHealthy || candidate.entry.failures > 0)
            {
                if best == nil || candidate.entry.failures > best!.entry.failures { best = candidate }
            }
            return best?.address
        }

        private var addressesInUse: Set<PeerAddress> {
            var inUse = dialing
            for connection in connections.values {
                if let address = connection.dialedAddress { inUse.insert(address) }
                if let address = connection.advertisedAddress { inUse.insert(address) }
            }
            return inUse
        }

        /// Dials random eligible addresses, fewest failures first, until the outbound target is reached.
        private mutating func fillOutbound(now: UInt64, into actions: inout [Action]) {
            var room = configuration.outboundTarget - outboundCount
            guard room > 0 else { return }
            let inUse = addressesInUse
            var candidates = book.ordered.filter { address, entry in
                guard entry.nextDialAtMilliseconds <= now, !inUse.contains(address),
                    !localAddresses.contains(address)
                else { return false }
                guard let key = entry.key else { return true }
                return key != localKey && connectionByKey[key] == nil && !isBanned(key, now: now)
            }
            random.shuffle(&candidates)
            candidates = candidates.enumerated().sorted {
                ($0.element.entry.failures, $0.offset) < ($1.element.entry.failures, $1.offset)
            }
            .map(\.element)
            var chosenKeys: Set<PublicKey> = []
            for candidate in candidates where room > 0 {
                if let key = candidate.entry.key {
                    guard chosenKeys.insert(key).inserted else { continue }
                }
                dialing.insert(candidate.address)
                actions.append(.dial(candidate.address))
                room -= 1
            }
        }

        /// Sends an up connection a sample of known addresses (if there are any) and schedules the next one.
        private mutating func sendExchange(to id: ConnectionID, now: UInt64, into actions: inout [Action]) {
            guard var connection = connections[id] else { return }
            let sample = exchangeSample(for: connection)
            if !sample.isEmpty { actions.append(.send(.peers(sample), to: id)) }
            connection.nextExchangeAtMilliseconds = Self.adding(now, configuration.peerExchangeMilliseconds)
            connections[id] = connection
        }

        /// Up to `maxAddressesPerExchange` random healthy addresses, excluding the recipient's own.
        private mutating func exchangeSample(for recipient: Connection) -> [PeerAddress] {
            let limit = min(configuration.maxAddressesPerExchange, WireMessage.maxPeers)
            guard limit > 0 else { return [] }
            var candidates = book.ordered.compactMap { address, entry -> PeerAddress? in
                guard entry.failures == 0, address != recipient.dialedAddress, address != recipient.advertisedAddress
                else { return nil }
                if let key = entry.key, key == recipient.key || bans[key] != nil { return nil }
                return address
            }
            random.shuffle(&candidates)
            return Array(candidates.prefix(limit))
        }

        /// Records a ban; `announce` emits `.ban` (not for bans restored from the driver's store).
        private mutating func insertBan(
            _ key: PublicKey,
            until: UInt64,
            announce: Bool,
            into actions: inout [Action]
        ) {
            bans[key] = max(bans[key] ?? 0, until)
            if announce { actions.append(.ban(key, untilMilliseconds: bans[key]!)) }
            while bans.count > max(configuration.maxBans, 1) {
                let (lifted, _) = bans.filter { $0.key != key }.min { ($0.value, $0.key) < ($1.value, $1.key) }!
                bans.removeValue(forKey: lifted)
                actions.append(.unban(lifted))
            }
        }

        private mutating func rememberScore(_ score: Double, for key: PublicKey) {
            rememberedScores[key] = score
            while rememberedScores.count > max(configuration.maxRememberedScores, 0) {
                let (mildest, _) = rememberedScores.max { ($0.value, $1.key) < ($1.value, $0.key) }!
                rememberedScores.removeValue(forKey: mildest)
            }
        }

        private static func decayed(_ score: Double, by factor: Double) -> Double {
            let value = score * factor
            return abs(value) < negligibleScore ? 0 : value
        }

        static func adding(_ now: UInt64, _ milliseconds: UInt64) -> UInt64 {
            let (sum, overflow) = now.addingReportingOverflow(milliseconds)
            return overflow ? .max : sum
        }
    }
}

extension PeerManager.StateMachine.Connection {
    var isClosing: Bool {
        if case .closing = phase { return true }
        return false
    }

    /// The connection reached `up` at some point.
    var wasUp: Bool {
        switch phase {
        case .up, .closing(wasUp: true, _): true
        default: false
        }
    }
}
