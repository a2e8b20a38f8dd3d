import CairnCore
import CairnNode
import CairnProtocol
import CairnStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `{id, author, channel, seq, stored, evidence}` as POSTs answer (u64 as decimal strings).
struct PutAnswer: Decodable {
    let id: String
    let author: String
    let channel: String
    let seq: String
    let stored: Bool
    let evidence: [String]
}

@Suite struct APITests {
    @Test func publishedBlobReadsBackInEveryForm() async throws {
        try await withAPI { client, node in
            let answer = try await client.execute(
                uri: "/v1/blobs?channel=news",
                method: .post,
                headers: authorised,
                body: ByteBuffer(string: "hello")
            )
            #expect(answer.status == .created)
            let put: PutAnswer = try answer.json()
            #expect(put.seq == "1")
            #expect(put.channel == "news")
            #expect(put.author == node.identity.publicKey.hex)

            let meta = try await client.execute(uri: "/v1/blobs/\(put.id)", method: .get)
            #expect(meta.status == .ok)
            let object = try JSONSerialization.jsonObject(with: Data(buffer: meta.body)) as? [String: Any]
            #expect(object?["payload"] as? String == Data("hello".utf8).base64EncodedString())

            let payload = try await client.execute(uri: "/v1/blobs/\(put.id)/payload", method: .get)
            #expect(String(buffer: payload.body) == "hello")

            let signed = try await client.execute(uri: "/v1/blobs/\(put.id)/signed", method: .get)
            let blob = try SignedBlob.decode(Array(buffer: signed.body))
            #expect(blob.id.hex == put.id)
        }
    }

    @Test func publishingChainsTheNodesChannel() async throws {
        try await withAPI { client, node in
            var ids: [String] = []
            for index in 1...3 {
                let put: PutAnswer = try await client.execute(
                    uri: "/v1/blobs?channel=chain",
                    method: .post,
                    headers: authorised,
                    body: ByteBuffer(string: "\(index)")
                ).json()
                #expect(put.seq == String(index))
                ids.append(put.id)
            }
            struct Page: Decodable {
                struct Item: Decodable {
                    let id: String
                    let seq: String
                    let prev: String
                }
                let blobs: [Item]
            }
            let author = node.identity.publicKey.hex
            let page: Page = try await client.execute(uri: "/v1/channels/\(author)/chain", method: .get).json()
            #expect(page.blobs.map(\.id) == ids)
            #expect(page.blobs.map(\.prev) == [BlobID.zero.hex, ids[0], ids[1]])
            let after: Page = try await client.execute(
                uri: "/v1/channels/\(author)/chain?after=1&limit=1",
                method: .get
            ).json()
            #expect(after.blobs.map(\.seq) == ["2"])
        }
    }

    /// Concurrent publishes on one channel form one unbroken chain: seq 1…n, each `prev` the blob before.
    @Test func concurrentPublishesOnOneChannelFormOneChain() async throws {
        try await withAPI(.live) { client, node in
            let count = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        let answer = try await client.execute(
                            uri: "/v1/blobs?channel=one",
                            method: .post,
                            headers: authorised,
                            body: ByteBuffer(string: "\(index)")
                        )
                        #expect(answer.status == .created)
                    }
                }
                try await group.waitForAll()
            }
            let blobs = try node.store.channel(
                author: node.identity.publicKey,
                name: try ChannelName("one"),
                limit: 100
            ).map(\.blob)
            #expect(blobs.map(\.seq) == Array(1...UInt64(count)))
            #expect(blobs.first?.prev == .zero)
            for (previous, next) in zip(blobs, blobs.dropFirst()) {
                #expect(next.prev == previous.id)
            }
        }
    }

    @Test func signedBlobFromElsewhereIsStoredOnceAndAForkIsEvidence() async throws {
        try await withAPI { client, node in
            let key = testKey(3)
            let channel = try ChannelName("feed")
            let a = try SignedBlob.sign(key: key, channel: channel, seq: 1, prev: .zero, timestamp: 1, payload: [1])
            let b = try SignedBlob.sign(key: key, channel: channel, seq: 1, prev: .zero, timestamp: 2, payload: [2])
            let first = try await client.execute(
                uri: "/v1/blobs/signed",
                method: .post,
                headers: authorised,
                body: ByteBuffer(bytes: a.encoding)
            )
            #expect(first.status == .created)
            let again = try await client.execute(
                uri: "/v1/blobs/signed",
                method: .post,
                headers: authorised,
                body: ByteBuffer(bytes: a.encoding)
            )
            #expect(again.status == .ok)
            #expect(try again.json(PutAnswer.self).stored == false)
            let fork: PutAnswer = try await client.execute(
                uri: "/v1/blobs/signed",
                method: .post,
                headers: authorised,
                body: ByteBuffer(bytes: b.encoding)
            ).json()
            #expect(fork.stored)
            #expect(fork.evidence == [Evidence.id(kind: .channelFork, a.id, b.id).hex])
            let evidence = try await client.execute(uri: "/v1/evidence/\(fork.evidence[0])", method: .get)
            #expect(evidence.status == .ok)
            #expect(try node.store.stats().blobs == 2)
        }
    }

    /// The check step of the accept pipeline on the API: a payload the owner of its channel refuses gets 400
    /// `refused_payload` and stores nothing, published or posted pre-signed; a well-formed one is stored.
    @Test func payloadItsChannelsOwnerRefusesGets400AndNothingStored() async throws {
        var rules = ChannelRules()
        rules.register(prefix: "strict/", owner: "test-plugin") { blob in
            blob.payload.starts(with: Array("ok".utf8)) ? nil : "payloads start with ok"
        }
        try await withAPI(channelRules: rules) { client, node in
            let refused = try await client.execute(
                uri: "/v1/blobs?channel=strict/a",
                method: .post,
                headers: authorised,
                body: ByteBuffer(string: "bad")
            )
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("refused_payload"))
            let author = try SigningKey(seed: [UInt8](repeating: 0x61, count: 32))
            let signed = try SignedBlob.sign(
                key: author,
                channel: try ChannelName("strict/b"),
                seq: 1,
                prev: .zero,
                timestamp: 1,
                payload: Array("bad".utf8)
            )
            let posted = try await client.execute(
                uri: "/v1/blobs/signed",
                method: .post,
                headers: authorised,
                body: ByteBuffer(bytes: signed.encoding)
            )
            #expect(posted.status == .badRequest)
            #expect(try node.store.has(signed.id) == false)
            #expect(try node.store.head(author: node.identity.publicKey, name: try ChannelName("strict/a")) == nil)

            let accepted = try await client.execute(
                uri: "/v1/blobs?channel=strict/a",
                method: .post,
                headers: authorised,
                body: ByteBuffer(string: "ok fine")
            )
            #expect(accepted.status == .created)
            let put: PutAnswer = try accepted.json()
            #expect(put.seq == "1")
        }
    }

    @Test func tamperedSignedBlobIsRefusedAndNothingStored() async throws {
        try await withAPI { client, node in
            let blob = try SignedBlob.sign(
                key: testKey(3),
                channel: try ChannelName("feed"),
                seq: 1,
                prev: .zero,
                timestamp: 1,
                payload: [1, 2]
            )
            for index in [1, 40, blob.encoding.count - 1] {
                var bytes = blob.encoding
                bytes[index] ^= 0x10
                let answer = try await client.execute(
                    uri: "/v1/blobs/signed",
                    method: .post,
                    headers: authorised,
                    body: ByteBuffer(bytes: bytes)
                )
                #expect(answer.status == .badRequest)
                #expect(answer.errorCode != nil)
            }
            let trailing = try await client.execute(
                uri: "/v1/blobs/signed",
                method: .post,
                headers: authorised,
                body: ByteBuffer(bytes: blob.encoding + [0])
            )
            #expect(trailing.status == .badRequest)
            #expect(try node.store.stats().blobs == 0)
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        try await withAPI(configure: { $0.maxBlobBytes = 1000 }) { client, node in
            let big = ByteBuffer(bytes: [UInt8](repeating: 7, count: 1001))
            let plain = try await client.execute(
                uri: "/v1/blobs?channel=c",
                method: .post,
                headers: authorised,
                body: big
            )
            #expect(plain.status == .contentTooLarge)
            #expect(plain.errorCode == "too_large")
            let oversized = try SignedBlob.sign(
                key: testKey(3),
                channel: try ChannelName("c"),
                seq: 1,
                prev: .zero,
                timestamp: 1,
                payload: [UInt8](repeating: 1, count: 1001)
            )
            let signed = try await client.execute(
                uri: "/v1/blobs/signed",
                method: .post,
                headers: authorised,
                body: ByteBuffer(bytes: oversized.encoding)
            )
            #expect(signed.status == .contentTooLarge)
            #expect(try node.store.stats().blobs == 0)
        }
    }

    @Test(arguments: [nil, "Bearer wrong-token", "Basic dGVzdA==", "Bearer"])
    func postWithoutTheRightTokenIs401(_ header: String?) async throws {
        try await withAPI { client, node in
            let headers: HTTPFields = header.map { [.authorization: $0] } ?? [:]
            for uri in ["/v1/blobs?channel=c", "/v1/blobs/signed"] {
                let answer = try await client.execute(
                    uri: uri,
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: "x")
                )
                #expect(answer.status == .unauthorized)
                #expect(answer.errorCode == "unauthorized")
            }
            #expect(try node.store.stats().blobs == 0)
        }
    }

    @Test(arguments: ["/v1/blobs/xyz", "/v1/blobs/\(String(repeating: "g", count: 64))", "/v1/evidence/12"])
    func malformedIdIs400(_ uri: String) async throws {
        try await withAPI { client, _ in
            let answer = try await client.execute(uri: uri, method: .get)
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == "invalid_id")
        }
    }

    @Test func unknownBlobAndRouteAre404() async throws {
        try await withAPI { client, _ in
            let blob = try await client.execute(uri: "/v1/blobs/\(BlobID.zero.hex)", method: .get)
            #expect(blob.status == .notFound)
            #expect(blob.errorCode == "not_found")
            let route = try await client.execute(uri: "/v2/nothing", method: .get)
            #expect(route.status == .notFound)
            #expect(route.errorCode == "not_found")
        }
    }

    @Test(arguments: ["%FF", "%C3", "", "%0A", String(repeating: "a", count: 65), "%zz"])
    func invalidChannelNameIs400(_ encoded: String) async throws {
        try await withAPI { client, node in
            let answer = try await client.execute(
                uri: "/v1/blobs?channel=\(encoded)",
                method: .post,
                headers: authorised,
                body: ByteBuffer(string: "x")
            )
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == "invalid_channel")
            let listing = try await client.execute(
                uri: "/v1/channels/\(node.identity.publicKey.hex)/\(encoded)",
                method: .get
            )
            // An empty name leaves nothing for the route's name segment: no such route.
            #expect(listing.status == (encoded.isEmpty ? .notFound : .badRequest))
            #expect(try node.store.stats().blobs == 0)
        }
    }

    @Test func channelNamesWithSlashesAndUnicodeRoundTrip() async throws {
        try await withAPI { client, node in
            let put: PutAnswer = try await client.execute(
                uri: "/v1/blobs?channel=quorum%2Fvote%C3%A9",
                method: .post,
                headers: authorised,
                body: ByteBuffer(string: "v")
            ).json()
            #expect(put.channel == "quorum/vote\u{e9}")
            let author = node.identity.publicKey.hex
            for path in ["quorum/vote%C3%A9", "quorum%2Fvote%C3%A9"] {
                let page = try await client.execute(uri: "/v1/channels/\(author)/\(path)", method: .get)
                #expect(page.status == .ok)
                #expect(String(buffer: page.body).contains(put.id))
            }
        }
    }

    @Test(arguments: ["limit=0", "limit=100000", "limit=x"])
    func badListingParametersAre400(_ query: String) async throws {
        try await withAPI { client, node in
            let answer = try await client.execute(
                uri: "/v1/channels/\(node.identity.publicKey.hex)/c?\(query)",
                method: .get
            )
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == "invalid_parameter")
        }
    }

    @Test(arguments: [
        "-1", "x", "", "+1", "01", "1.", ".1", "1,2", "%201", "18446744073709551616", "1.xyz",
        "1.\(String(repeating: "A", count: 64))", "1.\(String(repeating: "a", count: 63))",
        "1.\(String(repeating: "a", count: 64)).", "1..\(String(repeating: "a", count: 64))",
    ])
    func garbageCursorsAre400(_ after: String) async throws {
        try await withAPI { client, node in
            let answer = try await client.execute(
                uri: "/v1/channels/\(node.identity.publicKey.hex)/c?after=\(after)",
                method: .get
            )
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == "invalid_cursor")
        }
    }

    /// A chain posted in reverse is listed only once complete; a forked seq is paged through with limit 1 by
    /// following `next`; a blob whose prev contradicts seq − 1 is listed, marked.
    @Test func channelIsPagedWithACursorThroughAForkedSeq() async throws {
        try await withAPI { client, node in
            let key = testKey(4)
            let channel = try ChannelName("forked")
            func sign(_ seq: UInt64, prev: BlobID, _ payload: UInt8) throws -> SignedBlob {
                try SignedBlob.sign(key: key, channel: channel, seq: seq, prev: prev, timestamp: 7, payload: [payload])
            }
            let root = try sign(1, prev: .zero, 0)
            let forks = try [sign(2, prev: root.id, 1), sign(2, prev: root.id, 2)]
            let tip = try sign(3, prev: forks[0].id, 3)
            let stray = try sign(4, prev: BlobID(unchecked: [UInt8](repeating: 7, count: 32)), 4)
            struct Page: Decodable {
                struct Item: Decodable {
                    let id: String
                    let seq: String
                    let prevMismatch: Bool
                }
                let completeThrough: String
                let blobs: [Item]
                let next: String
            }
            let base = "/v1/channels/\(key.publicKey.hex)/forked"
            for blob in [stray, tip, forks[1], forks[0]] {
                let answer = try await client.execute(
                    uri: "/v1/blobs/signed",
                    method: .post,
                    headers: authorised,
                    body: ByteBuffer(bytes: blob.encoding)
                )
                #expect(answer.status == .created)
                let page: Page = try await client.execute(uri: base, method: .get).json()
                #expect(page.blobs.isEmpty && page.completeThrough == "0" && page.next == "0")
            }
            _ = try await node.ingest(root)

            let expected = [root.id] + forks.map(\.id).sorted() + [tip.id, stray.id]
            var after = "0"
            var paged: [Page.Item] = []
            while true {
                let page: Page = try await client.execute(uri: "\(base)?after=\(after)&limit=1", method: .get).json()
                #expect(page.completeThrough == "3")
                guard let item = page.blobs.first else {
                    #expect(page.next == after, "an empty page gives its own position back")
                    break
                }
                #expect(page.next == "\(item.seq).\(item.id)")
                paged.append(item)
                after = page.next
            }
            #expect(paged.map(\.id) == expected.map(\.hex))
            #expect(paged.map(\.prevMismatch) == [false, false, false, false, true])
            // `after=SEQ` still means after every blob of that seq.
            let afterSeq: Page = try await client.execute(uri: "\(base)?after=2", method: .get).json()
            #expect(afterSeq.blobs.map(\.id) == [tip.id.hex, stray.id.hex])
        }
    }

    /// u64 values above 2⁵³ travel as exact decimal strings: a blob's seq and timestamp, a listing's
    /// `completeThrough`, the node's counts.
    @Test func u64ValuesTravelAsDecimalStrings() async throws {
        try await withAPI { client, _ in
            let key = testKey(7)
            let seq = (UInt64(1) << 53) + 1
            let blob = try SignedBlob.sign(
                key: key,
                channel: try ChannelName("big"),
                seq: seq,
                prev: BlobID(unchecked: [UInt8](repeating: 3, count: 32)),
                timestamp: UInt64.max,
                payload: [1]
            )
            let put = try await client.execute(
                uri: "/v1/blobs/signed",
                method: .post,
                headers: authorised,
                body: ByteBuffer(bytes: blob.encoding)
            )
            #expect(put.status == .created)
            #expect(String(buffer: put.body).contains("\"seq\":\"9007199254740993\""))
            let meta = String(buffer: try await client.execute(uri: "/v1/blobs/\(blob.id.hex)", method: .get).body)
            #expect(meta.contains("\"seq\":\"9007199254740993\""))
            #expect(meta.contains("\"timestamp\":\"18446744073709551615\""))
            let page = try await client.execute(uri: "/v1/channels/\(key.publicKey.hex)/big", method: .get)
            #expect(String(buffer: page.body).contains("\"completeThrough\":\"0\""))
            let info =
                try JSONSerialization.jsonObject(
                    with: Data(buffer: try await client.execute(uri: "/v1/node", method: .get).body)
                ) as? [String: Any]
            let counts = info?["counts"] as? [String: Any]
            #expect(counts?["blobs"] as? String == "1")
            #expect(counts?["payloadBytes"] as? String == "1")
            #expect(counts?["evidence"] as? String == "0")
            #expect(counts?["events"] as? String == "0")
        }
    }

    @Test func nodeInfoHealthAndMetricsAnswer() async throws {
        try await withAPI { client, node in
            let info = try await client.execute(uri: "/v1/node", method: .get)
            #expect(info.status == .ok)
            let object = try JSONSerialization.jsonObject(with: Data(buffer: info.body)) as? [String: Any]
            #expect(object?["id"] as? String == node.identity.publicKey.hex)
            #expect(object?["network"] as? String == "cairn")
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
        }
    }

    @Test func manyConcurrentClientsAllGetTheirBlobsStored() async throws {
        let clients = 16
        let putsPerClient = 25
        try await withAPI(.live) { client, node in
            let ids = try await withThrowingTaskGroup(of: [String].self) { group in
                for clientIndex in 0..<clients {
                    group.addTask {
                        var ids: [String] = []
                        for put in 0..<putsPerClient {
                            let answer = try await client.execute(
                                uri: "/v1/blobs?channel=client-\(clientIndex)",
                                method: .post,
                                headers: authorised,
                                body: ByteBuffer(string: "\(clientIndex)-\(put)")
                            )
                            #expect(answer.status == .created)
                            ids.append(try answer.json(PutAnswer.self).id)
                        }
                        return ids
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(Set(ids).count == clients * putsPerClient)
            #expect(try node.store.stats().blobs == clients * putsPerClient)
            for clientIndex in 0..<clients {
                let blobs = try node.store.channel(
                    author: node.identity.publicKey,
                    name: try ChannelName("client-\(clientIndex)"),
                    limit: 1000
                ).map(\.blob)
                #expect(blobs.map(\.seq) == Array(1...UInt64(putsPerClient)))
            }
        }
    }

    @Test func unknownEventTopicIs400() async throws {
        try await withAPI { client, _ in
            let answer = try await client.execute(uri: "/v1/events?topics=blob,bogus", method: .get)
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == "invalid_topics")
        }
    }
}
