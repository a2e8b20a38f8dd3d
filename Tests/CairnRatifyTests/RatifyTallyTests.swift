import CairnCore
import CairnProtocol
import CairnQuorum
import Foundation
import Testing

@testable import CairnRatify

/// The ratification tally: a pure function of the stored set, whatever the order, with duplicates; the highest seq
/// per holder and root counts; forked vote channels, keys without stake and holders below the minimum count nothing.
@Suite struct RatifyTallyTests {
    static func key(_ byte: UInt8) -> SigningKey { try! SigningKey(seed: [UInt8](repeating: byte, count: 32)) }

    /// Holders 1…5 with 30, 25, 20, 20 and 5 coins (100 in all, so ratified means more than 50); min vote stake 10.
    static let genesis = try! Genesis(
        network: "ratify-test",
        stake: zip([1, 2, 3, 4, 5], [30, 25, 20, 20, 5] as [UInt64]).map { (key: key(UInt8($0)).publicKey, coins: $1) },
        quorumSize: 1,
        minVoteStake: 10,
        initialQuorum: [key(1).publicKey]
    )
    static let rootA = TreeRoot(unchecked: Blake2b.hash256(Array("tree a".utf8)))
    static let rootB = TreeRoot(unchecked: Blake2b.hash256(Array("tree b".utf8)))

    /// Each holder's `ratify/vote` channel, chained by seq.
    struct Votes {
        private(set) var blobs: [SignedBlob] = []
        private var heads: [PublicKey: (seq: UInt64, id: BlobID)] = [:]

        @discardableResult
        mutating func vote(_ holder: SigningKey, _ root: TreeRoot, yes: Bool, atSeq seq: UInt64? = nil) -> SignedBlob {
            let head = heads[holder.publicKey]
            let seq = seq ?? (head?.seq ?? 0) + 1
            let blob = try! SignedBlob.sign(
                key: holder,
                channel: RatifyChannel.vote,
                seq: seq,
                prev: seq == 1 ? .zero : (head?.id ?? BlobID(unchecked: Blake2b.hash256([UInt8(seq)]))),
                timestamp: UInt64(blobs.count),
                payload: RatifyVote(genesis: RatifyTallyTests.genesis.hash, root: root, yes: yes).encoding
            )
            if seq > (head?.seq ?? 0) { heads[holder.publicKey] = (seq, blob.id) }
            blobs.append(blob)
            return blob
        }
    }

    static func state(_ blobs: some Sequence<SignedBlob>) -> RatifyState {
        var state = RatifyState(genesis: genesis)
        for blob in blobs { state.apply(blob) }
        return state
    }

    @Test func moreThanHalfOfAllStakeRatifiesAndExactlyHalfDoesNot() {
        var votes = Votes()
        votes.vote(Self.key(1), Self.rootA, yes: true)
        votes.vote(Self.key(4), Self.rootA, yes: true)
        #expect(Self.state(votes.blobs).tally(Self.rootA).yesStake == 50)
        #expect(Self.state(votes.blobs).ratified.isEmpty)
        votes.vote(Self.key(3), Self.rootA, yes: true)
        #expect(Self.state(votes.blobs).ratified == [Self.rootA])
        // The holder's later vote on the root counts: it changes its mind.
        votes.vote(Self.key(3), Self.rootA, yes: false)
        let tally = Self.state(votes.blobs).tally(Self.rootA)
        #expect(!tally.ratified && tally.yesStake == 50 && tally.noStake == 20)
    }

    @Test func votesOnAnotherRootDoNotReplaceAVote() {
        var votes = Votes()
        votes.vote(Self.key(1), Self.rootA, yes: true)
        votes.vote(Self.key(2), Self.rootA, yes: true)
        votes.vote(Self.key(1), Self.rootB, yes: true)
        let state = Self.state(votes.blobs)
        #expect(state.tally(Self.rootA).yesStake == 55)
        #expect(state.tally(Self.rootB).yesStake == 30)
        #expect(state.ratified == [Self.rootA])
    }

    @Test func aForkedVoteChannelKeysWithoutStakeAndSmallHoldersCountNothing() {
        var votes = Votes()
        votes.vote(Self.key(1), Self.rootA, yes: true)
        votes.vote(Self.key(2), Self.rootA, yes: true)
        // Holder 2 signs a second vote at seq 1: its channel forks, and none of its votes count.
        votes.vote(Self.key(2), Self.rootB, yes: true, atSeq: 1)
        // Holder 5 (5 coins) is below the minimum; key 9 holds no stake at all.
        votes.vote(Self.key(5), Self.rootA, yes: true)
        votes.vote(Self.key(9), Self.rootA, yes: true)
        let tally = Self.state(votes.blobs).tally(Self.rootA)
        #expect(tally.yesStake == 30 && tally.yesVoters == [Self.key(1).publicKey])
        #expect(!tally.ratified)
    }

    @Test(arguments: 0..<100) func anyOrderWithDuplicatesAndSplitsGivesTheSameTally(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        var votes = Votes()
        for _ in 0..<20 {
            let holder = Self.key(UInt8.random(in: 1...6, using: &random))
            votes.vote(holder, Bool.random(using: &random) ? Self.rootA : Self.rootB, yes: Bool.random(using: &random))
        }
        let reference = Self.state(votes.blobs)
        var shuffled = votes.blobs + votes.blobs.prefix(5)
        shuffled.shuffle(using: &random)
        // Split in two halves folded by two states, then the second state takes the first's half too.
        let cut = Int.random(in: 0...shuffled.count, using: &random)
        var split = Self.state(shuffled[cut...])
        for blob in shuffled[..<cut] { split.apply(blob) }
        for state in [Self.state(shuffled), split] {
            #expect(state.ratified == reference.ratified)
            for root in [Self.rootA, Self.rootB] { #expect(state.tally(root) == reference.tally(root)) }
        }
    }

    @Test func payloadsRoundTripAndGarbageIsRefusedWithItsReason() throws {
        let genesis = Self.genesis.hash
        let vote = RatifyVote(genesis: genesis, root: Self.rootA, yes: true)
        #expect(try RatifyVote(decoding: vote.encoding) == vote)
        #expect(vote.encoding.count == 66)
        let part = try RatifyManifestPart(genesis: genesis, chunk: [1, 2, 3])
        #expect(try RatifyManifestPart(decoding: part.encoding) == part)
        let proposal = try RatifyProposal(
            genesis: genesis,
            root: Self.rootA,
            title: "release 1.0",
            parts: [BlobID(unchecked: Blake2b.hash256([1])), BlobID(unchecked: Blake2b.hash256([2]))]
        )
        #expect(try RatifyProposal(decoding: proposal.encoding) == proposal)
        // Every truncation of every payload is refused.
        for (channel, encoding) in [(RatifyChannel.vote, vote.encoding), (RatifyChannel.proposal, proposal.encoding)] {
            for length in 0..<encoding.count {
                #expect(throws: RatifyPayloadError.self) {
                    try RatifyPayload(channel: channel, payload: Array(encoding.prefix(length)))
                }
            }
        }
        #expect(throws: RatifyPayloadError.trailingBytes(count: 1)) { try RatifyVote(decoding: vote.encoding + [0]) }
        var badChoice = vote.encoding
        badChoice[65] = 2
        #expect(throws: RatifyPayloadError.invalidChoice(2)) { try RatifyVote(decoding: badChoice) }
        #expect(throws: RatifyPayloadError.duplicatePart(index: 1)) {
            try RatifyProposal(genesis: genesis, root: Self.rootA, title: "t", parts: [.zero, .zero])
        }
        #expect(throws: RatifyPayloadError.self) {
            try RatifyProposal(genesis: genesis, root: Self.rootA, title: "", parts: [.zero])
        }
        #expect(throws: RatifyPayloadError.self) { try RatifyManifestPart(genesis: genesis, chunk: []) }
    }

    @Test func thePluginOwnsItsChannelsAndRaisesRatifiedOnlyWhenLive() {
        var host = PluginHost(plugins: [RatifyPlugin(genesis: Self.genesis)])
        #expect(host.registry.topics.contains("ratified"))
        var votes = Votes()
        let early = votes.vote(Self.key(1), Self.rootA, yes: true)
        #expect(host.registry.channelRules.refusal(of: early) == nil)
        let garbage = try! SignedBlob.sign(
            key: Self.key(1),
            channel: RatifyChannel.vote,
            seq: 1,
            prev: .zero,
            timestamp: 0,
            payload: [1, 2, 3]
        )
        #expect(host.registry.channelRules.refusal(of: garbage)?.owner == "ratify")
        #expect(host.committed(early, now: 0).isEmpty)
        #expect(host.replayed(now: 0).isEmpty)
        let requests = host.committed(votes.vote(Self.key(2), Self.rootA, yes: true), now: 1)
        guard case .emit("ratified", let json)? = requests.first?.action,
            let fields = try? JSONDecoder().decode([String: String].self, from: Data(json))
        else {
            Issue.record("no ratified event: \(requests)")
            return
        }
        #expect(fields["root"] == Self.rootA.hex && fields["ratified"] == "true" && fields["yesStake"] == "55")
        // Voting yes again changes nothing, so no event.
        #expect(host.committed(votes.vote(Self.key(3), Self.rootA, yes: true), now: 2).isEmpty)
    }
}

/// A proposal's manifest split across parts: valid only once every part is stored, in the listed order, and only when
/// the concatenation hashes to the proposed root.
@Suite struct RatifyManifestTests {
    static let genesis = RatifyTallyTests.genesis

    static func manifest() throws -> TreeManifest {
        let entries = try (0..<20).map { index in
            TreeEntry(
                path: try TreePath("src/file\(index).swift"),
                mode: .file,
                content: ContentHash(unchecked: Blake2b.hash256(Array("contents \(index)".utf8)))
            )
        }
        return try TreeManifest(entries: entries)
    }

    static func part(_ chunk: ArraySlice<UInt8>, seq: UInt64) throws -> SignedBlob {
        try SignedBlob.sign(
            key: RatifyTallyTests.key(7),
            channel: RatifyChannel.manifest,
            seq: seq,
            // Only the payload matters here; a chain position of its own for each part.
            prev: seq == 1 ? .zero : BlobID(unchecked: Blake2b.hash256([UInt8(seq)])),
            timestamp: seq,
            payload: try RatifyManifestPart(genesis: genesis.hash, chunk: Array(chunk)).encoding
        )
    }

    @Test func aManifestSplitAcrossPartsIsValidOnceAllArriveInTheListedOrder() throws {
        let manifest = try Self.manifest()
        let bytes = manifest.encoding
        let third = bytes.count / 3
        let parts = try [
            Self.part(bytes[..<third], seq: 1), Self.part(bytes[third..<(2 * third)], seq: 2),
            Self.part(bytes[(2 * third)...], seq: 3),
        ]
        let proposal = try RatifyProposal(
            genesis: Self.genesis.hash,
            root: manifest.root,
            title: "split",
            parts: parts.map(\.id)
        )
        var state = RatifyState(genesis: Self.genesis)
        state.apply(parts[0])
        state.apply(parts[2])
        #expect(!state.manifestIsValid(proposal), "valid with a part missing")
        state.apply(parts[1])
        #expect(state.manifestIsValid(proposal))

        // The same parts in another order are not the manifest; a proposal of another root with them is not valid.
        let shuffled = try RatifyProposal(
            genesis: Self.genesis.hash,
            root: manifest.root,
            title: "shuffled",
            parts: [parts[1].id, parts[0].id, parts[2].id]
        )
        #expect(!state.manifestIsValid(shuffled))
        let otherRoot = try RatifyProposal(
            genesis: Self.genesis.hash,
            root: RatifyTallyTests.rootA,
            title: "other",
            parts: parts.map(\.id)
        )
        #expect(!state.manifestIsValid(otherRoot))
    }
}
