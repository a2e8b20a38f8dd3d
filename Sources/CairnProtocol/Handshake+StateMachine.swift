import CairnCore

extension Handshake {
    /// One side of a handshake as a pure state machine: bytes and the time in, actions out.
    ///
    /// Bytes may arrive split or coalesced arbitrarily; the machine buffers at most one handshake message
    /// (177 bytes). Time is milliseconds on the driver's monotonic clock.
    public struct StateMachine: Sendable {
        enum State: Sendable {
            case idle
            case awaitingMessage1
            case awaitingMessage2(transcript: [UInt8])
            case awaitingMessage3(AwaitingMessage3)
            case established
            case failed(HandshakeError)
        }

        struct AwaitingMessage3: Sendable {
            var initiatorEphemeral: [UInt8]
            var transcript: [UInt8]
            var chainingKey: [UInt8]
            var messageKey: [UInt8]
        }

        /// Which side this machine plays.
        public let role: Role
        /// The remote static key, known once it has been authenticated (message 2 for an initiator, 3 for a
        /// responder); the driver may refuse a second connection to an already-connected node.
        public private(set) var remoteKey: PublicKey?
        /// The instant (milliseconds) after which the handshake fails, set by `start`.
        public private(set) var deadline: UInt64?

        let configuration: Configuration
        let ephemeral: EphemeralKey
        let localCurveSecret: [UInt8]
        /// The static key this node presents; differs from `configuration.localKey.publicKey` only in tests
        /// that play a node claiming someone else's key.
        var presentedKey: PublicKey
        var state: State = .idle
        var buffer: [UInt8] = []

        /// Prepares one side of a handshake.
        /// - Parameters:
        ///   - role: initiator (dialled out) or responder (accepted).
        ///   - configuration: network, static key, timeout.
        ///   - ephemeral: a key pair used for this handshake only; never reuse one.
        public init(role: Role, configuration: Configuration, ephemeral: EphemeralKey) {
            self.role = role
            self.configuration = configuration
            self.ephemeral = ephemeral
            self.localCurveSecret = TransportCrypto.curveSecret(ofSeed: configuration.localKey.seed)
            self.presentedKey = configuration.localKey.publicKey
        }

        /// `true` once the machine has emitted `.established` or `.fail`.
        public var isFinished: Bool {
            switch state {
            case .established, .failed: true
            default: false
            }
        }

        /// Starts the handshake clock; an initiator also emits message 1.
        public mutating func start(now: UInt64) -> [Action] {
            guard case .idle = state else { return [] }
            deadline =
                now.addingReportingOverflow(configuration.timeoutMilliseconds).overflow
                ? UInt64.max : now + configuration.timeoutMilliseconds
            switch role {
            case .responder:
                state = .awaitingMessage1
                return []
            case .initiator:
                let message1 = Self.message1(networkKey: configuration.networkKey, ephemeral: ephemeral.publicKey)
                state = .awaitingMessage2(
                    transcript: TransportCrypto.hash(Handshake.initialHash(configuration.networkKey), message1)
                )
                return [.send(message1)]
            }
        }

        /// Feeds bytes read from the peer.
        /// - Returns: what to send, or the session, or the failure. After the machine finished, returns nothing.
        public mutating func receive<Bytes: Collection>(_ bytes: Bytes, now: UInt64) -> [Action]
        where Bytes.Element == UInt8 {
            let expected: Int
            switch state {
            case .idle: return fail(.notStarted)
            case .established, .failed: return []
            case .awaitingMessage1: expected = Handshake.message1Bytes
            case .awaitingMessage2: expected = Handshake.message2Bytes
            case .awaitingMessage3: expected = Handshake.message3Bytes
            }
            if let deadline, now >= deadline { return fail(.timedOut(deadline: deadline, now: now)) }
            let take = min(expected - buffer.count, bytes.count)
            buffer.append(contentsOf: bytes.prefix(take))
            let rest = Array(bytes.dropFirst(take))
            guard buffer.count == expected else { return [] }
            let message = buffer
            buffer = []
            switch state {
            case .awaitingMessage1:
                guard rest.isEmpty else { return fail(.unexpectedBytes(count: rest.count)) }
                return receiveMessage1(message)
            case .awaitingMessage2(let transcript):
                guard rest.isEmpty else { return fail(.unexpectedBytes(count: rest.count)) }
                return receiveMessage2(message, transcript: transcript)
            case .awaitingMessage3(let context):
                return receiveMessage3(message, context: context, unconsumed: rest)
            case .idle, .established, .failed:
                preconditionFailure("unreachable: handled above")
            }
        }

        /// Checks the deadline; the driver calls this when the timer it armed for `deadline` fires.
        public mutating func handleTimeout(now: UInt64) -> [Action] {
            guard !isFinished, let deadline, now >= deadline else { return [] }
            return fail(.timedOut(deadline: deadline, now: now))
        }

        private mutating func fail(_ error: HandshakeError) -> [Action] {
            state = .failed(error)
            buffer = []
            return [.fail(error)]
        }

        static func message1(networkKey: NetworkKey, ephemeral: [UInt8]) -> [UInt8] {
            let body = [Handshake.version] + ephemeral
            return body + TransportCrypto.authenticate(key: networkKey.bytes, message: body)
        }

        private mutating func receiveMessage1(_ message: [UInt8]) -> [Action] {
            guard message[0] == Handshake.version else { return fail(.unsupportedVersion(message[0])) }
            let body = Array(message[0..<33])
            guard TransportCrypto.verify(tag: message[33..<65], key: configuration.networkKey.bytes, message: body)
            else { return fail(.badNetworkTag(message: 1)) }
            let initiatorEphemeral = Array(message[1..<33])
            let h1 = TransportCrypto.hash(Handshake.initialHash(configuration.networkKey), message)
            guard let ee = TransportCrypto.x25519(secret: ephemeral.secret, point: initiatorEphemeral[...]) else {
                return fail(.weakRemoteKey(message: 1))
            }
            guard let es = TransportCrypto.x25519(secret: localCurveSecret, point: initiatorEphemeral[...]) else {
                return fail(.weakRemoteKey(message: 1))
            }
            let clear = [Handshake.version] + ephemeral.publicKey
            let tag2 = TransportCrypto.authenticate(key: configuration.networkKey.bytes, message: h1 + clear)
            let h2a = TransportCrypto.hash(h1, clear, tag2)
            let ck1 = TransportCrypto.kdf(key: ee, label: Handshake.chainLabel1, h2a)
            let k2 = TransportCrypto.kdf(key: ck1, label: Handshake.message2KeyLabel, h2a)
            let signature = sign(domain: Handshake.responderSignatureDomain, transcript: h2a)
            let sealed = TransportCrypto.seal(
                key: k2,
                nonce: Handshake.zeroNonce,
                associatedData: h2a,
                plaintext: presentedKey.bytes + signature
            )
            let h2 = TransportCrypto.hash(h2a, sealed)
            let ck2 = TransportCrypto.kdf(key: ck1, label: Handshake.chainLabel2, es, h2)
            let k3 = TransportCrypto.kdf(key: ck2, label: Handshake.message3KeyLabel, h2)
            state = .awaitingMessage3(
                AwaitingMessage3(
                    initiatorEphemeral: initiatorEphemeral,
                    transcript: h2,
                    chainingKey: ck2,
                    messageKey: k3
                )
            )
            return [.send(clear + tag2 + sealed)]
        }

        private mutating func receiveMessage2(_ message: [UInt8], transcript h1: [UInt8]) -> [Action] {
            guard message[0] == Handshake.version else { return fail(.unsupportedVersion(message[0])) }
            let clear = Array(message[0..<33])
            guard
                TransportCrypto.verify(
                    tag: message[33..<65],
                    key: configuration.networkKey.bytes,
                    message: h1 + clear
                )
            else { return fail(.badNetworkTag(message: 2)) }
            let responderEphemeral = message[1..<33]
            guard let ee = TransportCrypto.x25519(secret: ephemeral.secret, point: responderEphemeral) else {
                return fail(.weakRemoteKey(message: 2))
            }
            let h2a = TransportCrypto.hash(h1, Array(message[0..<65]))
            let ck1 = TransportCrypto.kdf(key: ee, label: Handshake.chainLabel1, h2a)
            let k2 = TransportCrypto.kdf(key: ck1, label: Handshake.message2KeyLabel, h2a)
            let sealed = message[65...]
            guard
                let opened = TransportCrypto.open(
                    key: k2,
                    nonce: Handshake.zeroNonce,
                    associatedData: h2a,
                    ciphertext: sealed
                )
            else { return fail(.decryptionFailed(message: 2)) }
            let remote = PublicKey(unchecked: Array(opened[0..<32]))
            if let error = authenticate(
                remote: remote,
                signature: Array(opened[32..<96]),
                domain: Handshake.responderSignatureDomain,
                transcript: h2a
            ) {
                return fail(error)
            }
            guard let remoteCurve = TransportCrypto.curvePublic(of: remote) else {
                return fail(.invalidRemoteStaticKey(remote))
            }
            guard let es = TransportCrypto.x25519(secret: ephemeral.secret, point: remoteCurve[...]) else {
                return fail(.invalidRemoteStaticKey(remote))
            }
            guard let se = TransportCrypto.x25519(secret: localCurveSecret, point: responderEphemeral) else {
                return fail(.weakRemoteKey(message: 2))
            }
            let h2 = TransportCrypto.hash(h2a, Array(sealed))
            let ck2 = TransportCrypto.kdf(key: ck1, label: Handshake.chainLabel2, es, h2)
            let k3 = TransportCrypto.kdf(key: ck2, label: Handshake.message3KeyLabel, h2)
            let signature = sign(domain: Handshake.initiatorSignatureDomain, transcript: h2)
            let message3 = TransportCrypto.seal(
                key: k3,
                nonce: Handshake.zeroNonce,
                associatedData: h2,
                plaintext: presentedKey.bytes + signature
            )
            let h3 = TransportCrypto.hash(h2, message3)
            let ck3 = TransportCrypto.kdf(key: ck2, label: Handshake.chainLabel3, se, h3)
            remoteKey = remote
            state = .established
            let session = Session(
                role: .initiator,
                localKey: configuration.localKey.publicKey,
                remoteKey: remote,
                sendKey: TransportCrypto.kdf(key: ck3, label: Handshake.initiatorToResponderLabel, h3),
                receiveKey: TransportCrypto.kdf(key: ck3, label: Handshake.responderToInitiatorLabel, h3),
                handshakeHash: h3
            )
            return [.send(message3), .established(session, unconsumed: [])]
        }

        private mutating func receiveMessage3(_ message: [UInt8], context: AwaitingMessage3, unconsumed: [UInt8])
            -> [Action]
        {
            guard
                let opened = TransportCrypto.open(
                    key: context.messageKey,
                    nonce: Handshake.zeroNonce,
                    associatedData: context.transcript,
                    ciphertext: message[...]
                )
            else { return fail(.decryptionFailed(message: 3)) }
            let remote = PublicKey(unchecked: Array(opened[0..<32]))
            if let error = authenticate(
                remote: remote,
                signature: Array(opened[32..<96]),
                domain: Handshake.initiatorSignatureDomain,
                transcript: context.transcript
            ) {
                return fail(error)
            }
            guard let remoteCurve = TransportCrypto.curvePublic(of: remote),
                let se = TransportCrypto.x25519(secret: ephemeral.secret, point: remoteCurve[...])
            else { return fail(.invalidRemoteStaticKey(remote)) }
            let h3 = TransportCrypto.hash(context.transcript, message)
            let ck3 = TransportCrypto.kdf(key: context.chainingKey, label: Handshake.chainLabel3, se, h3)
            remoteKey = remote
            state = .established
            let session = Session(
                role: .responder,
                localKey: configuration.localKey.publicKey,
                remoteKey: remote,
                sendKey: TransportCrypto.kdf(key: ck3, label: Handshake.responderToInitiatorLabel, h3),
                receiveKey: TransportCrypto.kdf(key: ck3, label: Handshake.initiatorToResponderLabel, h3),
                handshakeHash: h3
            )
            return [.established(session, unconsumed: unconsumed)]
        }

        /// Verifies the remote signature first, then the identity rules; returns the failure, if any.
        private func authenticate(remote: PublicKey, signature: [UInt8], domain: [UInt8], transcript: [UInt8])
            -> HandshakeError?
        {
            let signed = domain + transcript
            guard signed.withUnsafeBytes({ remote.verify(signature: signature, message: $0) }) else {
                return .badSignature(remote: remote)
            }
            if remote == configuration.localKey.publicKey { return .connectionToSelf }
            if let expected = configuration.expectedRemoteKey, expected != remote {
                return .unexpectedRemoteKey(expected: expected, actual: remote)
            }
            return nil
        }

        private func sign(domain: [UInt8], transcript: [UInt8]) -> [UInt8] {
            let signed = domain + transcript
            return signed.withUnsafeBytes { configuration.localKey.sign($0) }
        }
    }
}
