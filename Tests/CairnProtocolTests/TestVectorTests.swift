import CairnCore
import Testing

@testable import CairnProtocol

@Suite("Test vectors")
struct TestVectorTests {
    /// Every published vector, recomputed: inputs, the key schedule re-derived step by step from the
    /// specification, the three messages, the session keys, the first record each way, and one encoding per
    /// message type.
    static func computedVectors() throws -> [(String, [UInt8])] {
        let transcript = fixedTranscript()
        let network = Fixture.network
        let initiatorEphemeral = Fixture.ephemeral(Fixture.initiatorEphemeralSecret)
        let responderEphemeral = Fixture.ephemeral(Fixture.responderEphemeralSecret)
        let (m1, m2, m3) = (transcript.message1, transcript.message2, transcript.message3)

        let h0 = TransportCrypto.hash(Array("cairn/handshake/v1".utf8) + [0], network.bytes)
        let h1 = TransportCrypto.hash(h0, m1)
        let ee = TransportCrypto.x25519(
            secret: Fixture.initiatorEphemeralSecret,
            point: responderEphemeral.publicKey[...]
        )!
        let h2a = TransportCrypto.hash(h1, Array(m2[0..<65]))
        let ck1 = TransportCrypto.kdf(key: ee, label: Array("cairn/hs/ck1".utf8) + [0], h2a)
        let k2 = TransportCrypto.kdf(key: ck1, label: Array("cairn/hs/k2".utf8) + [0], h2a)
        let h2 = TransportCrypto.hash(h2a, Array(m2[65...]))
        let es = TransportCrypto.x25519(
            secret: Fixture.initiatorEphemeralSecret,
            point: TransportCrypto.curvePublic(of: Fixture.responderKey.publicKey)![...]
        )!
        let ck2 = TransportCrypto.kdf(key: ck1, label: Array("cairn/hs/ck2".utf8) + [0], es, h2)
        let k3 = TransportCrypto.kdf(key: ck2, label: Array("cairn/hs/k3".utf8) + [0], h2)
        let h3 = TransportCrypto.hash(h2, m3)
        let se = TransportCrypto.x25519(
            secret: TransportCrypto.curveSecret(ofSeed: Fixture.initiatorSeed),
            point: responderEphemeral.publicKey[...]
        )!
        let ck3 = TransportCrypto.kdf(key: ck2, label: Array("cairn/hs/ck3".utf8) + [0], se, h3)
        let i2r = TransportCrypto.kdf(key: ck3, label: Array("cairn/session/i2r".utf8) + [0], h3)
        let r2i = TransportCrypto.kdf(key: ck3, label: Array("cairn/session/r2i".utf8) + [0], h3)

        var initiatorChannel = SecureChannel(session: transcript.initiatorSession)
        var responderChannel = SecureChannel(session: transcript.responderSession)
        let ping = try WireMessage.ping(0x0102_0304_0506_0708).encoded()
        let pong = try WireMessage.pong(0x0102_0304_0506_0708).encoded()
        let record0 = try initiatorChannel.seal(ping)
        let record1 = try initiatorChannel.seal(Array("second record".utf8))
        let reply0 = try responderChannel.seal(pong)

        var vectors: [(String, [UInt8])] = [
            ("network_name_utf8", Array(Fixture.networkName.utf8)),
            ("network_key", network.bytes),
            ("initiator_seed", Fixture.initiatorSeed),
            ("initiator_public_key", Fixture.initiatorKey.publicKey.bytes),
            ("responder_seed", Fixture.responderSeed),
            ("responder_public_key", Fixture.responderKey.publicKey.bytes),
            ("initiator_ephemeral_secret", Fixture.initiatorEphemeralSecret),
            ("initiator_ephemeral_public", initiatorEphemeral.publicKey),
            ("responder_ephemeral_secret", Fixture.responderEphemeralSecret),
            ("responder_ephemeral_public", responderEphemeral.publicKey),
            ("initiator_static_x25519_secret", TransportCrypto.curveSecret(ofSeed: Fixture.initiatorSeed)),
            ("responder_static_x25519_public", TransportCrypto.curvePublic(of: Fixture.responderKey.publicKey)!),
            ("h0", h0),
            ("message1", m1),
            ("h1", h1),
            ("dh_ee", ee),
            ("h2a", h2a),
            ("ck1", ck1),
            ("k2", k2),
            ("message2", m2),
            ("h2", h2),
            ("dh_es", es),
            ("ck2", ck2),
            ("k3", k3),
            ("message3", m3),
            ("h3", h3),
            ("dh_se", se),
            ("ck3", ck3),
            ("key_initiator_to_responder", i2r),
            ("key_responder_to_initiator", r2i),
            ("record_i2r_0_plaintext", ping),
            ("record_i2r_0", record0),
            ("record_i2r_1_plaintext", Array("second record".utf8)),
            ("record_i2r_1", record1),
            ("record_r2i_0_plaintext", pong),
            ("record_r2i_0", reply0),
        ]
        let samples: [(String, WireMessage)] = [
            ("message_blob", .blob([0xde, 0xad, 0xbe, 0xef])),
            ("message_have", .have([BlobID(unchecked: sequentialBytes(from: 0x10))])),
            ("message_want", .want([BlobID(unchecked: sequentialBytes(from: 0x10)), BlobID.zero])),
            ("message_idontwant", .idontwant([])),
            (
                "message_peers",
                .peers([
                    try PeerAddress(host: "10.0.0.1", port: 7700), try PeerAddress(host: "node.example", port: 7701),
                ])
            ),
            ("message_ping", .ping(42)),
            ("message_pong", .pong(42)),
            ("message_evidence", .evidence([0x01, 0x01])),
            ("message_goodbye", .goodbye(.protocolViolation)),
        ]
        for (name, message) in samples { vectors.append((name, try message.encoded())) }
        #expect(transcript.initiatorSession.sendKey == i2r && transcript.initiatorSession.receiveKey == r2i)
        #expect(transcript.responderSession.handshakeHash == h3)
        #expect(TransportCrypto.hash(h1, Array(m2[0..<65])) == h2a)
        _ = k2
        return vectors
    }

    @Test func documentedVectorsMatchTheImplementation() throws {
        let documented = try documentedVectors()
        let computed = try Self.computedVectors()
        let rendered = computed.map { "\($0.0): \(Hex.encode($0.1))" }.joined(separator: "\n")
        #expect(documented.count == computed.count, "expected vector block:\n\(rendered)")
        for (name, bytes) in computed {
            #expect(documented[name] == Hex.encode(bytes), "\(name)")
        }
    }

    @Test func documentedRecordsOpenAndMessagesDecode() throws {
        let documented = try documentedVectors()
        var responderChannel = SecureChannel(session: fixedTranscript().responderSession)
        let record = try #require(Hex.decode(documented["record_i2r_0"] ?? ""))
        let delivered = responderChannel.receive(record).delivered
        #expect(try delivered.map { try WireMessage.decode($0) } == [.ping(0x0102_0304_0506_0708)])
        for (name, hex) in documented where name.hasPrefix("message_") {
            #expect(throws: Never.self) { try WireMessage.decode(Hex.decode(hex) ?? []) }
        }
    }
}
