import CairnCore
import Testing

@testable import CairnProtocol

/// Keys, addresses, blobs and evidence for the replica tests.
enum ReplicaFixture {
    static let network = "cairn-replica-test"
    static let start: UInt64 = 1_000
    static let author = try! SigningKey(seed: sequentialBytes(from: 0xC0))
    static let channel = try! ChannelName("replica")

    /// A node key; different indices give different keys.
    static func nodeKey(_ index: UInt8) -> SigningKey {
        try! SigningKey(seed: [UInt8](repeating: index, count: SigningKey.seedBytes))
    }

    /// A listen address of node `index`.
    static func address(_ index: Int, port: UInt16 = 7700) -> PeerAddress {
        try! PeerAddress(host: "10.1.\(index / 256).\(index % 256)", port: port)
    }

    static func configuration(_ change: (inout Replica.Configuration) -> Void = { _ in }) -> Replica.Configuration {
        var configuration = Replica.Configuration(network: network)
        change(&configuration)
        return configuration
    }

    static func replica(
        key: UInt8,
        seed: UInt64,
        evidenceJudges: EvidenceJudges = EvidenceJudges(),
        channelRules: ChannelRules = ChannelRules(),
        _ change: (inout Replica.Configuration) -> Void = { _ in }
    ) -> Replica.StateMachine {
        Replica.StateMachine(
            configuration: configuration(change),
            identity: nodeKey(key),
            randomness: .seeded(seed),
            evidenceJudges: evidenceJudges,
            channelRules: channelRules
        )
    }

    /// A valid signed blob by `key`; `tag` makes it unique.
    static func blob(
        tag: UInt64,
        channel: ChannelName = channel,
        seq: UInt64 = 1,
        key: SigningKey = author
    ) -> SignedBlob {
        let payload = (0..<64).map { UInt8(truncatingIfNeeded: $0 &+ Int(tag)) }
        let prev = seq == 1 ? BlobID.zero : BlobID(unchecked: [UInt8](repeating: 7, count: 32))
        return try! SignedBlob.sign(key: key, channel: channel, seq: seq, prev: prev, timestamp: tag, payload: payload)
    }

    /// The same blob with its signature's last byte flipped: structurally valid, cryptographically not.
    static func forged(_ blob: SignedBlob) -> SignedBlob {
        var bytes = blob.encoding
        bytes[bytes.count - 1] ^= 0x01
        return try! SignedBlob(trustedEncoding: bytes)
    }

    /// Channel-fork evidence: two valid blobs of one author for one channel and seq.
    static func channelFork(tag: UInt64 = 1) -> Evidence {
        try! Evidence.channelFork(blob(tag: tag), blob(tag: tag + 1))
    }

    /// Evidence of kind `kind` made of two valid blobs of one author on different channels (no channel fork).
    static func evidence(kind: UInt8, tag: UInt64 = 1) -> Evidence {
        let other = try! ChannelName("replica-other")
        return try! Evidence.judged(kind: Evidence.Kind(rawValue: kind), blob(tag: tag), blob(tag: tag, channel: other))
    }

    /// Channel-fork evidence whose first blob's signature does not verify (ids still in ascending order).
    static func forgedChannelFork() -> Evidence {
        try! Evidence.channelFork(forged(blob(tag: 1)), blob(tag: 2))
    }
}

/// Verifies a blob encoding as the driver does.
func verifyBlob(_ bytes: [UInt8], maxPayloadBytes: Int) -> Result<SignedBlob, CoreError> {
    do { return .success(try SignedBlob.decode(bytes, maxPayloadBytes: maxPayloadBytes)) } catch {
        return .failure(error)
    }
}

/// Verifies an evidence encoding as the driver does.
func verifyEvidence(_ bytes: [UInt8]) -> Result<Evidence, CoreError> {
    do { return .success(try Evidence.decode(bytes)) } catch { return .failure(error) }
}

/// The driver effects a `ReplicaNode` may answer by itself.
enum ReplicaEffect: Hashable, CaseIterable {
    /// `.verify`: `SignedBlob.decode`, then `verified`.
    case verify
    /// `.verifyEvidence`: `Evidence.decode`, then `evidenceVerified`.
    case verifyEvidence
    /// `.store`: kept in `store`, then `committed` with no evidence.
    case store
    /// `.serve`: read from `store`, then `read`.
    case serve
    /// `.readStoredEvidence`: answered with `storedEvidence`.
    case readStoredEvidence
    /// `.reconcile`: run on `syncItems`, then `reconciled`.
    case reconcile
}

/// One replica and a driver made of dictionaries: it performs the effects in `answers` at once (and the actions
/// their answers give), keeps the others in `held` for the test, and collects writes per connection in `outbox`.
struct ReplicaNode {
    var replica: Replica.StateMachine
    var answers: Set<ReplicaEffect>
    /// Every action the replica returned, in order.
    private(set) var log: [Replica.Action] = []
    /// Effects not in `answers`, waiting for the test.
    var held: [Replica.Action] = []
    /// Blobs committed through `.store` (or preloaded).
    var store: [BlobID: SignedBlob] = [:]
    /// The store's reconciliation set.
    var syncItems = SortedSyncItems()
    /// The answer to `.readStoredEvidence`.
    var storedEvidence: [[UInt8]] = []
    /// Bytes written and not yet taken, per connection: `.write`s, then the farewell of a `.close`.
    private(set) var outbox: [Connection.ID: [UInt8]] = [:]
    /// Connections the replica closed with `.close`.
    private(set) var closed: Set<Connection.ID> = []

    init(_ replica: Replica.StateMachine, answers: Set<ReplicaEffect> = Set(ReplicaEffect.allCases)) {
        self.replica = replica
        self.answers = answers
    }

    /// Performs `actions` and the actions their answers give, in order; returns all of them.
    @discardableResult
    mutating func perform(_ actions: [Replica.Action], now: UInt64) -> [Replica.Action] {
        var pending = actions
        var index = 0
        while index < pending.count {
            let action = pending[index]
            index += 1
            log.append(action)
            switch action {
            case .write(let id, let bytes):
                outbox[id, default: []] += bytes
            case .close(let id, let farewell):
                outbox[id, default: []] += farewell
                closed.insert(id)
            case .verify(let bytes, let id, let peer):
                guard answers.contains(.verify) else {
                    held.append(action)
                    continue
                }
                let result = verifyBlob(bytes, maxPayloadBytes: replica.configuration.maxBlobBytes)
                pending += replica.verified(result, id: id, from: peer, now: now)
            case .verifyEvidence(let bytes, let digest, let peer):
                guard answers.contains(.verifyEvidence) else {
                    held.append(action)
                    continue
                }
                pending += replica.evidenceVerified(verifyEvidence(bytes), digest: digest, from: peer, now: now)
            case .store(let blob):
                guard answers.contains(.store) else {
                    held.append(action)
                    continue
                }
                keep(blob)
                pending += replica.committed(blob.id, result: .success([]), now: now)
            case .serve(let ids, let peer):
                guard answers.contains(.serve) else {
                    held.append(action)
                    continue
                }
                pending += replica.read(ids.compactMap { store[$0]?.encoding }, for: peer, now: now)
            case .readStoredEvidence(let id, _, _):
                guard answers.contains(.readStoredEvidence) else {
                    held.append(action)
                    continue
                }
                pending += replica.storedEvidenceRead(storedEvidence, for: id, now: now)
            case .reconcile(let work):
                guard answers.contains(.reconcile) else {
                    held.append(action)
                    continue
                }
                pending += replica.reconciled(work.run(on: syncItems), now: now)
            case .dial, .persist, .emit, .wake:
                break
            }
        }
        return pending
    }

    /// Puts a blob in the store (and its reconciliation set) without the replica knowing, as if stored earlier.
    mutating func keep(_ blob: SignedBlob) {
        store[blob.id] = blob
        syncItems.insert(SyncItem(blobTimestampMilliseconds: blob.timestamp, id: blob.id))
    }

    @discardableResult
    mutating func receive(_ bytes: [UInt8], on id: Connection.ID, now: UInt64) -> [Replica.Action] {
        let actions = bytes.withUnsafeBytes { replica.received($0, on: id, now: now) }
        return perform(actions, now: now)
    }

    @discardableResult
    mutating func flush(now: UInt64) -> [Replica.Action] {
        perform(replica.flush(now: now), now: now)
    }

    @discardableResult
    mutating func tick(now: UInt64) -> [Replica.Action] {
        perform(replica.tick(now: now), now: now)
    }

    /// Takes what was written on `id` (the transport took it: the replica is told `written`).
    mutating func takeWrites(for id: Connection.ID, now: UInt64) -> [UInt8] {
        let bytes = outbox.removeValue(forKey: id) ?? []
        if !bytes.isEmpty { perform(replica.written(bytes.count, on: id, now: now), now: now) }
        return bytes
    }
}

/// Two replicas wired in memory: A (key 1) dials B (key 2), which accepts; `settle` shuttles their writes.
struct ReplicaPair {
    static let aKey = ReplicaFixture.nodeKey(1).publicKey
    static let bKey = ReplicaFixture.nodeKey(2).publicKey
    static let aAddress = ReplicaFixture.address(1, port: 7701)
    static let bAddress = ReplicaFixture.address(2, port: 7702)
    /// A's address as B sees the TCP connection: A's host and an ephemeral port.
    static let aObserved = ReplicaFixture.address(1, port: 50_001)

    var a: ReplicaNode
    var b: ReplicaNode
    /// A's id of the connection.
    let aConnection: Connection.ID
    /// B's id of the connection.
    let bConnection: Connection.ID
    var now: UInt64

    /// Starts both replicas (their stores holding `aHolds` and `bHolds`), connects them and settles.
    init(
        seed: UInt64,
        now: UInt64 = ReplicaFixture.start,
        answers: Set<ReplicaEffect> = Set(ReplicaEffect.allCases),
        aHolds: [SignedBlob] = [],
        bHolds: [SignedBlob] = []
    ) throws {
        self.now = now
        a = ReplicaNode(ReplicaFixture.replica(key: 1, seed: seed), answers: answers)
        b = ReplicaNode(ReplicaFixture.replica(key: 2, seed: seed &+ 1_000), answers: answers)
        for blob in aHolds { a.keep(blob) }
        for blob in bHolds { b.keep(blob) }
        b.perform(
            b.replica.start(
                listenPort: Self.bAddress.port,
                localAddresses: [Self.bAddress],
                bootstrap: [],
                knownAddresses: [],
                bans: [],
                now: now
            ),
            now: now
        )
        let started = a.perform(
            a.replica.start(
                listenPort: Self.aAddress.port,
                localAddresses: [Self.aAddress],
                bootstrap: [Self.bAddress],
                knownAddresses: [],
                bans: [],
                now: now
            ),
            now: now
        )
        aConnection = try #require(started.dials.first { $0.address == Self.bAddress }).id
        let (accepted, acceptActions) = b.replica.accepted(from: Self.aObserved, now: now)
        bConnection = accepted
        b.perform(acceptActions, now: now)
        a.perform(a.replica.dialed(aConnection, now: now), now: now)
        settle()
    }

    /// Flushes both sides and delivers what each wrote to the other until nothing moves; a side's `.close` is
    /// delivered (farewell, then `closed`) to the other.
    mutating func settle() {
        for _ in 0..<100 {
            a.flush(now: now)
            b.flush(now: now)
            let toB = a.takeWrites(for: aConnection, now: now)
            let toA = b.takeWrites(for: bConnection, now: now)
            if !toB.isEmpty { b.receive(toB, on: bConnection, now: now) }
            if !toA.isEmpty { a.receive(toA, on: aConnection, now: now) }
            if a.closed.contains(aConnection) { b.perform(b.replica.closed(bConnection, now: now), now: now) }
            if b.closed.contains(bConnection) { a.perform(a.replica.closed(aConnection, now: now), now: now) }
            if toA.isEmpty && toB.isEmpty { return }
        }
        Issue.record("the two replicas did not settle")
    }

    /// Ticks both replicas at `now`.
    mutating func tick() {
        a.tick(now: now)
        b.tick(now: now)
    }
}

/// A peer played by hand: a raw handshake and secure channel facing one replica, so it can send any record.
struct HostilePeer {
    let key: SigningKey
    /// The replica's id of this connection.
    let connection: Connection.ID
    var channel: SecureChannel

    var publicKey: PublicKey { key.publicKey }

    private static func makeHandshake(role: Handshake.Role, key: SigningKey, seed: UInt64) -> Handshake.StateMachine {
        var generator = SeededRandom(seed: seed)
        return Handshake.StateMachine(
            role: role,
            configuration: Handshake.Configuration(
                networkKey: NetworkKey(networkName: ReplicaFixture.network),
                localKey: key
            ),
            ephemeral: EphemeralKey(using: &generator)
        )
    }

    /// Opens a connection that `node` accepts and completes the handshake as initiator; `node` is not flushed.
    /// - Returns: the peer and every action the replica returned.
    static func connect(
        to node: inout ReplicaNode,
        key: SigningKey,
        from address: PeerAddress,
        now: UInt64
    ) throws -> (HostilePeer, [Replica.Action]) {
        var handshake = makeHandshake(role: .initiator, key: key, seed: UInt64(key.publicKey.bytes[0]))
        let (id, accepted) = node.replica.accepted(from: address, now: now)
        var actions = node.perform(accepted, now: now)
        actions += node.receive(handshake.start(now: now).sent, on: id, now: now)
        let reply = handshake.receive(node.takeWrites(for: id, now: now), now: now)
        let session = try #require(reply.session)
        actions += node.receive(reply.sent, on: id, now: now)
        return (HostilePeer(key: key, connection: id, channel: SecureChannel(session: session)), actions)
    }

    /// Answers the dial `id` of `node` (reported `dialed`) and completes the handshake as responder; `node` is not
    /// flushed.
    /// - Returns: the peer and every action the replica returned.
    static func answer(
        dial id: Connection.ID,
        of node: inout ReplicaNode,
        key: SigningKey,
        now: UInt64
    ) throws -> (HostilePeer, [Replica.Action]) {
        var handshake = makeHandshake(role: .responder, key: key, seed: UInt64(key.publicKey.bytes[0]))
        _ = handshake.start(now: now)
        var actions = node.perform(node.replica.dialed(id, now: now), now: now)
        let reply = handshake.receive(node.takeWrites(for: id, now: now), now: now)
        actions += node.receive(reply.sent, on: id, now: now)
        let final = handshake.receive(node.takeWrites(for: id, now: now), now: now)
        let session = try #require(final.session)
        return (HostilePeer(key: key, connection: id, channel: SecureChannel(session: session)), actions)
    }

    /// Seals one record with this plaintext (any bytes, empty included) and feeds it to the replica.
    @discardableResult
    mutating func sendRecord(_ plaintext: [UInt8], to node: inout ReplicaNode, now: UInt64) throws -> [Replica.Action] {
        node.receive(try channel.seal(plaintext), on: connection, now: now)
    }

    /// Seals one message and feeds it to the replica.
    @discardableResult
    mutating func send(_ message: WireMessage, to node: inout ReplicaNode, now: UInt64) throws -> [Replica.Action] {
        try sendRecord(try message.encoded(), to: &node, now: now)
    }

    /// Flushes the replica and opens what it wrote on this connection (a farewell included), leaving out its
    /// reconciliation requests (the replica opens a round with every peer that comes up; `readAll` keeps them).
    mutating func read(from node: inout ReplicaNode, now: UInt64) throws -> [WireMessage] {
        try readAll(from: &node, now: now).filter { $0.type != .syncRequest }
    }

    /// Flushes the replica and opens everything it wrote on this connection (a farewell included).
    mutating func readAll(from node: inout ReplicaNode, now: UInt64) throws -> [WireMessage] {
        node.flush(now: now)
        let received = channel.receive(node.takeWrites(for: connection, now: now))
        if let failure = received.failure { Issue.record("the replica's records do not open: \(failure)") }
        return try received.delivered.map { try WireMessage.decode($0) }
    }
}

extension Array where Element == Replica.Action {
    /// The `.dial`s, in order.
    var dials: [(id: Connection.ID, address: PeerAddress)] {
        compactMap { if case .dial(let id, let address) = $0 { (id, address) } else { nil } }
    }

    /// The ids of the `.close`s, in order.
    var closedConnections: [Connection.ID] {
        compactMap { if case .close(let id, _) = $0 { id } else { nil } }
    }

    /// The farewell of the `.close` of `id`, if any.
    func farewell(of id: Connection.ID) -> [UInt8]? {
        for case .close(id, let farewell) in self { return farewell }
        return nil
    }

    /// The notices emitted, in order.
    var notices: [Replica.Notice] {
        compactMap { if case .emit(let notice) = $0 { notice } else { nil } }
    }

    /// The offences emitted, in order.
    var offences: [PeerManager.Offence] {
        notices.compactMap { if case .offence(_, let offence, _) = $0 { offence } else { nil } }
    }

    /// The offences emitted against connection `id`, in order.
    func offences(on id: Connection.ID) -> [PeerManager.Offence] {
        notices.compactMap { if case .offence(id, let offence, _) = $0 { offence } else { nil } }
    }

    /// The ids of the blobs sent to `.verify`, in order.
    var verifiedIDs: [BlobID] {
        compactMap { if case .verify(_, let id, _) = $0 { id } else { nil } }
    }

    /// The encodings sent to `.verifyEvidence`, in order.
    var evidenceVerifications: [[UInt8]] {
        compactMap { if case .verifyEvidence(let bytes, _, _) = $0 { bytes } else { nil } }
    }

    /// The ids of the blobs sent to `.store`, in order.
    var storedIDs: [BlobID] {
        compactMap { if case .store(let blob) = $0 { blob.id } else { nil } }
    }

    /// The peer-book changes, in order.
    var persisted: [Replica.PeerBookChange] {
        compactMap { if case .persist(let change) = $0 { change } else { nil } }
    }
}
