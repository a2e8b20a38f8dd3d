import CairnCore

extension Connection {
    /// One connection as a pure state machine: dialing, handshaking, established, closed.
    ///
    /// It owns the handshake, the record layer and the send queue. The rules it enforces: `hello` is the first
    /// record this side seals after the handshake, whatever else was queued first; the first message the peer
    /// sends must be `hello`; an empty record carries nothing; a message of an unknown version or type is
    /// skipped; a peer silent for `pingTimeoutMilliseconds` (pinged after `pingIntervalMilliseconds`) is dead.
    public struct StateMachine: Sendable {
        enum State: Sendable {
            case dialing(deadline: UInt64)
            case handshaking(Handshake.StateMachine)
            case established(Established)
            case closed
            /// Placeholder while a state is taken out to be changed, so a half-updated state is never observable.
            case modifying
        }

        struct Established: Sendable {
            var channel: SecureChannel
            var sendQueue: SendQueue
            var helloSent = false
            var helloReceived = false
            var lastReceivedAt: UInt64
            var pingNonce: UInt64?
        }

        /// This connection's id.
        public let id: Connection.ID
        /// Who opened it.
        public let direction: PeerManager.Direction
        /// The address dialled (outbound) or the remote's socket address (inbound), when known.
        public let address: PeerAddress?
        /// The authenticated remote node key, once the handshake established.
        public private(set) var remoteKey: PublicKey?
        /// Bytes handed to the driver with `.write` and not yet reported written.
        public private(set) var bytesInFlight = 0

        var state: State

        /// A connection being dialled.
        init(outbound id: Connection.ID, to address: PeerAddress, now: UInt64, configuration: Configuration) {
            self.id = id
            self.direction = .outbound
            self.address = address
            self.state = .dialing(deadline: Self.adding(configuration.dialTimeoutMilliseconds, to: now))
        }

        /// A connection a remote opened.
        init(inbound id: Connection.ID, from address: PeerAddress?) {
            self.id = id
            self.direction = .inbound
            self.address = address
            self.state = .dialing(deadline: .max)
        }

        /// `true` while an outbound TCP connect is in progress (before `dialed`).
        var isDialing: Bool {
            if case .dialing = state { return direction == .outbound }
            return false
        }

        /// `true` while the handshake runs.
        var isHandshaking: Bool {
            if case .handshaking = state { return true }
            return false
        }

        /// `true` once the handshake established and until the connection closes.
        public var isEstablished: Bool {
            if case .established = state { return true }
            return false
        }

        /// Bytes waiting in the send queue.
        public var queuedBytes: Int {
            if case .established(let established) = state { return established.sendQueue.queuedBytes }
            return 0
        }

        /// Lazy frames dropped by the send queue so far.
        var droppedLazyFrames: Int {
            if case .established(let established) = state { return established.sendQueue.droppedLazyFrames }
            return 0
        }

        // MARK: Events

        /// The TCP connection is up (dialled or accepted): the handshake starts.
        /// - Returns: bytes to write (an initiator's message 1), and any failure.
        mutating func start(ephemeral: EphemeralKey, configuration: Configuration, now: UInt64) -> [Received] {
            guard case .dialing = state else { return [] }
            var handshake = Handshake.StateMachine(
                role: direction == .outbound ? .initiator : .responder,
                configuration: configuration.handshake,
                ephemeral: ephemeral
            )
            let actions = handshake.start(now: now)
            state = .handshaking(handshake)
            return handle(actions, configuration: configuration, now: now)
        }

        /// Feeds bytes read from the peer, split or coalesced arbitrarily.
        mutating func receive(
            _ bytes: UnsafeRawBufferPointer,
            configuration: Configuration,
            now: UInt64
        ) -> [Received] {
            switch state {
            case .handshaking(var handshake):
                state = .modifying
                let actions = handshake.receive(bytes, now: now)
                state = .handshaking(handshake)
                return handle(actions, configuration: configuration, now: now)
            case .established(var established):
                state = .modifying
                var received: [Received] = []
                // Any bytes are a sign of life: one large record may take longer than the ping timeout to arrive.
                if !bytes.isEmpty { established.lastReceivedAt = now }
                receiveRecords(bytes, into: &established, configuration: configuration, now: now, received: &received)
                state = .established(established)
                return received
            case .dialing, .closed, .modifying:
                return []
            }
        }

        /// Queues a message; `.overBudget` means the peer is too slow and must be disconnected.
        mutating func enqueue(_ message: WireMessage, lane: SendQueue.Lane) -> SendQueue.EnqueueResult? {
            guard case .established(var established) = state, let bytes = try? message.encoded() else { return nil }
            state = .modifying
            let result = established.sendQueue.enqueue(bytes, lane: lane)
            state = .established(established)
            return result
        }

        /// Seals what the send queue holds, `hello` first, up to the high-water mark of bytes in flight.
        /// - Returns: the bytes to write (empty when nothing is due), or the sealing error that ends the connection.
        mutating func flush(
            configuration: Configuration,
            statistics: inout ReplicaStatistics
        ) -> Result<[UInt8], ChannelError> {
            guard case .established(var established) = state else { return .success([]) }
            state = .modifying
            defer { state = .established(established) }
            var out: [UInt8] = []
            do {
                if !established.helloSent {
                    let hello = try! WireMessage.hello(listenPort: configuration.listenPort).encoded()
                    out += try established.channel.seal(hello)
                    statistics.sent(.hello, bytes: hello.count + Self.recordOverhead)
                    established.helloSent = true
                }
                var room = configuration.writeHighWaterBytes - bytesInFlight - out.count
                while room > 0, !established.sendQueue.isEmpty {
                    for frame in established.sendQueue.dequeue(maxBytes: room) {
                        let sealed = try established.channel.seal(frame)
                        if frame.count > 1, let type = WireMessage.MessageType(rawValue: frame[1]) {
                            statistics.sent(type, bytes: sealed.count)
                        }
                        out += sealed
                    }
                    room = configuration.writeHighWaterBytes - bytesInFlight - out.count
                }
            } catch {
                return .failure(error)
            }
            bytesInFlight += out.count
            return .success(out)
        }

        /// The driver finished writing `count` bytes of earlier `.write`s.
        mutating func written(_ count: Int) {
            assert(count <= bytesInFlight, "more bytes reported written than were handed out")
            bytesInFlight = max(0, bytesInFlight - count)
        }

        /// Checks the dial, handshake and liveness deadlines.
        mutating func tick(configuration: Configuration, nonce: UInt64, now: UInt64) -> TickResult {
            switch state {
            case .dialing(let deadline):
                return now >= deadline ? .dialTimedOut : .none
            case .handshaking(let handshake):
                guard let deadline = handshake.deadline, now >= deadline else { return .none }
                return .handshakeTimedOut
            case .established(var established):
                let silent = now >= established.lastReceivedAt ? now - established.lastReceivedAt : 0
                if silent >= configuration.pingTimeoutMilliseconds { return .dead }
                guard silent >= configuration.pingIntervalMilliseconds, established.pingNonce == nil,
                    let ping = try? WireMessage.ping(nonce).encoded()
                else { return .none }
                state = .modifying
                // Top lane: a ping waiting behind queued blobs would time a busy but live peer out.
                let result = established.sendQueue.enqueue(ping, lane: .evidence)
                if result == .queued { established.pingNonce = nonce }
                state = .established(established)
                return result == .overBudget ? .tooSlow : .pinged
            case .closed, .modifying:
                return .none
            }
        }

        /// Closes the connection.
        /// - Returns: a sealed `goodbye(reason)` to write best-effort before closing, when the channel is up.
        mutating func close(reason: GoodbyeReason?, listenPort: UInt16) -> [UInt8] {
            defer { state = .closed }
            guard let reason, case .established(var established) = state,
                let goodbye = try? WireMessage.goodbye(reason).encoded()
            else { return [] }
            var farewell: [UInt8] = []
            if !established.helloSent,
                let hello = try? WireMessage.hello(listenPort: listenPort).encoded(),
                let sealed = try? established.channel.seal(hello)
            {
                farewell += sealed
            }
            farewell += (try? established.channel.seal(goodbye)) ?? []
            return farewell
        }

        // MARK: Internals

        /// Bytes a record adds to its plaintext: the length prefix and the tag.
        static let recordOverhead = SecureChannel.lengthPrefixBytes + SecureChannel.tagBytes

        private mutating func handle(
            _ actions: [Handshake.Action],
            configuration: Configuration,
            now: UInt64
        ) -> [Received] {
            var received: [Received] = []
            for action in actions {
                switch action {
                case .send(let bytes):
                    bytesInFlight += bytes.count
                    received.append(.write(bytes))
                case .established(let session, let unconsumed):
                    remoteKey = session.remoteKey
                    var established = Established(
                        channel: SecureChannel(
                            session: session,
                            maxPlaintextBytes: configuration.maxPlaintextBytes,
                            cipher: configuration.cipher
                        ),
                        sendQueue: SendQueue(budget: configuration.sendBudget),
                        lastReceivedAt: now
                    )
                    received.append(.established(session.remoteKey))
                    if !unconsumed.isEmpty {
                        unconsumed.withUnsafeBytes {
                            receiveRecords(
                                $0,
                                into: &established,
                                configuration: configuration,
                                now: now,
                                received: &received
                            )
                        }
                    }
                    state = .established(established)
                case .fail(.connectionToSelf):
                    state = .closed
                    received.append(.toSelf)
                case .fail(let error):
                    state = .closed
                    received.append(.offence(.handshakeFailure, close: nil, detail: "\(error)"))
                }
            }
            return received
        }

        private func receiveRecords(
            _ bytes: UnsafeRawBufferPointer,
            into established: inout Established,
            configuration: Configuration,
            now: UInt64,
            received: inout [Received]
        ) {
            for action in established.channel.receive(bytes) {
                switch action {
                case .deliver(let plaintext):
                    established.lastReceivedAt = now
                    guard !plaintext.isEmpty else { continue }
                    received.append(decode(plaintext, into: &established, configuration: configuration))
                case .fail(let error):
                    let offence: PeerManager.Offence
                    if case .frameTooLarge = error { offence = .oversizedFrame } else { offence = .malformedFrame }
                    received.append(.offence(offence, close: offence.goodbyeReason, detail: "\(error)"))
                }
            }
        }

        private func decode(
            _ plaintext: [UInt8],
            into established: inout Established,
            configuration: Configuration
        ) -> Received {
            let wireBytes = plaintext.count + Self.recordOverhead
            let message: WireMessage
            do {
                message = try WireMessage.decode(plaintext, limits: configuration.limits)
            } catch {
                switch error {
                case .unsupportedVersion, .unknownMessageType:
                    return .skipped(version: plaintext[0], type: plaintext.count > 1 ? plaintext[1] : 0)
                case .blobTooLarge, .evidenceTooLarge:
                    return .offence(.oversizedFrame, close: nil, detail: "\(error)")
                default:
                    return .offence(.malformedFrame, close: nil, detail: "\(error)")
                }
            }
            if !established.helloReceived {
                guard case .hello = message else {
                    return .offence(
                        .protocolViolation,
                        close: .protocolViolation,
                        detail: "the first message was \(message.type), not hello"
                    )
                }
                established.helloReceived = true
            }
            if case .pong(let nonce) = message, nonce == established.pingNonce { established.pingNonce = nil }
            return .message(message, wireBytes: wireBytes)
        }

        static func adding(_ duration: UInt64, to now: UInt64) -> UInt64 {
            let (sum, overflow) = now.addingReportingOverflow(duration)
            return overflow ? .max : sum
        }
    }
}
