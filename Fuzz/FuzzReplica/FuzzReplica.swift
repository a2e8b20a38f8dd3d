import CairnCore
import CairnProtocol
import FuzzSupport

/// A whole replica fed arbitrary plaintext messages on an established connection.
///
/// The peer is played here with a real handshake and real session keys (`EstablishedReplica`), so each piece of the
/// input is sealed as one record and reaches the replica's message handling below the MAC. A piece whose first byte
/// is `0xFF` advances the clock by up to 25.5 s and ticks instead. The replica's answers are carried out at once (blob
/// and evidence checks by the real decoders, an empty store). Invariants: every byte the replica writes to the peer
/// opens with the peer's session and holds well-formed messages only; it never writes to a connection it closed; it
/// holds at most the one connection.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReplica(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var fixture = EstablishedReplica.ready
    for piece in input.pieces(limit: 64) {
        guard fixture.isOpen else { break }
        if piece.first == 0xFF {
            fixture.now += 100 * UInt64(piece.count > 1 ? piece[1] : 1)
            fixture.perform(fixture.replica.tick(now: fixture.now))
        } else {
            fixture.send(piece)
        }
        fixture.perform(fixture.replica.flush(now: fixture.now))
        fuzzCheck(fixture.replica.connectionCount <= 1, "\(fixture.replica.connectionCount) connections")
    }
    return 0
}

/// A replica that accepted one connection from a peer played here, after both `hello`s.
struct EstablishedReplica {
    static let network = "cairn-fuzz"
    static let replicaKey = try! SigningKey(seed: [UInt8](repeating: 1, count: 32))
    static let peerKey = try! SigningKey(seed: [UInt8](repeating: 2, count: 32))
    static let limits = WireMessage.Limits.default

    /// The fixture every input starts from (copied: the replica and the peer's channel are values).
    static let ready = EstablishedReplica()

    var replica: Replica.StateMachine
    /// The peer's record layer: seals what it sends, opens what the replica writes.
    var peer: SecureChannel!
    let connection: Connection.ID
    var now: UInt64 = 1_000
    /// `false` once the replica closed the connection.
    var isOpen = true

    private init() {
        replica = Replica.StateMachine(
            configuration: Replica.Configuration(network: Self.network),
            identity: Self.replicaKey,
            randomness: .seeded(1)
        )
        _ = replica.start(listenPort: 7700, localAddresses: [], bootstrap: [], knownAddresses: [], bans: [], now: now)
        let address = try! PeerAddress(host: "10.0.0.2", port: 40_000)
        var handshake = Handshake.StateMachine(
            role: .initiator,
            configuration: Handshake.Configuration(
                networkKey: NetworkKey(networkName: Self.network),
                localKey: Self.peerKey
            ),
            ephemeral: try! EphemeralKey(secret: [UInt8](repeating: 3, count: 32))
        )
        let accepted = replica.accepted(from: address, now: now)
        connection = accepted.0
        var answers = handshake.start(now: now)
        var toReplica = FuzzHandshake.sent(answers)
        perform(accepted.1)
        var fromReplica: [UInt8] = []
        for case .write(_, let bytes) in deliver(toReplica) { fromReplica += bytes }
        answers = handshake.receive(fromReplica, now: now)
        toReplica = FuzzHandshake.sent(answers)
        peer = SecureChannel(
            session: FuzzHandshake.session(answers)!,
            maxPlaintextBytes: Self.limits.maxEvidenceBytes + 64
        )
        perform(deliver(toReplica))
        send(try! WireMessage.hello(listenPort: 7701).encoded())
        perform(replica.flush(now: now))
        precondition(isOpen && replica.peers.count == 1, "the fixture's connection is not up")
    }

    /// Seals `plaintext` as the peer's next record and hands it to the replica.
    mutating func send(_ plaintext: [UInt8]) {
        perform(deliver(try! peer.seal(plaintext)))
    }

    private mutating func deliver(_ bytes: [UInt8]) -> [Replica.Action] {
        bytes.withUnsafeBytes { replica.received($0, on: connection, now: now) }
    }

    /// Carries out `actions` and whatever their answers ask, checking what is written to the peer.
    mutating func perform(_ actions: [Replica.Action]) {
        var pending = actions
        var index = 0
        while index < pending.count {
            let action = pending[index]
            index += 1
            switch action {
            case .write(let id, let bytes):
                fuzzCheck(id == connection && isOpen, "a write to connection \(id) (open: \(isOpen))")
                open(bytes)
            case .close(let id, let farewell):
                fuzzCheck(id == connection && isOpen, "a close of connection \(id) (open: \(isOpen))")
                open(farewell)
                isOpen = false
            case .dial(let id, _):
                pending += replica.dialFailed(id, now: now)
            case .verify(let bytes, let id, let peer):
                let result: Result<SignedBlob, CoreError>
                do { result = .success(try SignedBlob.decode(bytes)) } catch { result = .failure(error) }
                pending += replica.verified(result, id: id, from: peer, now: now)
            case .verifyEvidence(let bytes, let digest, let peer):
                let result: Result<Evidence, CoreError>
                do { result = .success(try Evidence.decode(bytes)) } catch { result = .failure(error) }
                pending += replica.evidenceVerified(result, digest: digest, from: peer, now: now)
            case .store(let blob):
                pending += replica.committed(blob.id, result: .success([]), now: now)
            case .serve(_, let peer):
                pending += replica.read([], for: peer, now: now)
            case .readStoredEvidence(let id, _, _):
                pending += replica.storedEvidenceRead([], for: id, now: now)
            case .reconcile(let work):
                pending += replica.reconciled(work.run(on: SortedSyncItems()), now: now)
            case .persist, .emit, .wake:
                break
            }
        }
    }

    /// Opens bytes the replica wrote as the peer: they must authenticate and hold well-formed messages.
    private mutating func open(_ bytes: [UInt8]) {
        for action in peer.receive(bytes) {
            switch action {
            case .deliver(let plaintext):
                guard !plaintext.isEmpty else { continue }
                let message = try? WireMessage.decode(plaintext, limits: Self.limits)
                fuzzCheck(message != nil, "the replica wrote a malformed message: \(plaintext.prefix(16))")
            case .fail(let error):
                fuzzCheck(false, "the replica wrote a record that does not open: \(error)")
            }
        }
    }
}

#if !FUZZING
    @main struct Replay {
        static func main() { FuzzReplay.main(fuzzReplica) }
    }
#endif
