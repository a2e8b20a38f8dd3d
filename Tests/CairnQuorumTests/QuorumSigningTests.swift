import CairnCore
import CairnProtocol
import Foundation
import Testing

@testable import CairnQuorum

/// A member signing through its plug-in: the checks before a signature is made, slashing protection, and proposer
/// mode deciding heights among three members with nothing but the blobs they publish.
@Suite struct QuorumSigningTests {
    /// A live plug-in of the demo genesis signing as `key`, fed `blobs`.
    private static func member(
        _ key: SigningKey,
        blobs: [SignedBlob] = [],
        allowsDoubleSign: Bool = false
    ) -> QuorumPlugin {
        var plugin = QuorumPlugin(
            genesis: demoGenesis(),
            signer: QuorumSigner(key: key.publicKey, allowsDoubleSign: allowsDoubleSign)
        )
        for blob in blobs { _ = plugin.committed(blob, now: 0) }
        _ = plugin.replayed(now: 0)
        return plugin
    }

    @Test func aMemberSignsTheNextHeightOnceAndRefusesASecondBlockForIt() throws {
        var world = QuorumWorld(genesis: demoGenesis())
        world.decide([testKey(1), testKey(2), testKey(3)], epoch: 0, height: 1)
        var plugin = Self.member(testKey(1), blobs: world.blobs)

        let signature = try plugin.prepareSignature(height: 2, block: block(2))
        #expect(signature.epoch == 0 && signature.height == 2 && signature.voteSet == .zero)
        // The same value again is allowed (a retry); another block for the height is not.
        _ = try plugin.prepareSignature(height: 2, block: block(2))
        #expect(throws: QuorumSigningError.doubleSign(epoch: 0, height: 2, signed: [signature.value])) {
            try plugin.prepareSignature(height: 2, block: block(2, "b"))
        }
        #expect(plugin.signer?.protection.records.count == 1)
    }

    @Test func theUnsafeFlagSignsTheSecondBlock() throws {
        var world = QuorumWorld(genesis: demoGenesis())
        world.decide([testKey(1), testKey(2), testKey(3)], epoch: 0, height: 1)
        var plugin = Self.member(testKey(2), blobs: world.blobs, allowsDoubleSign: true)
        _ = try plugin.prepareSignature(height: 2, block: block(2))
        let second = try plugin.prepareSignature(height: 2, block: block(2, "b"))
        #expect(second.block == block(2, "b"))
        #expect(plugin.signer?.protection.signedValues(epoch: 0, height: 2).count == 2)
    }

    @Test func requestsThatConflictWithTheQuorumAreRefusedWithTheirReason() throws {
        var world = QuorumWorld(genesis: demoGenesis())
        world.decide([testKey(1), testKey(2), testKey(3)], epoch: 0, height: 1)

        var replaying = QuorumPlugin(genesis: demoGenesis(), signer: QuorumSigner(key: testKey(1).publicKey))
        #expect(throws: QuorumSigningError.notLive) { try replaying.prepareSignature(height: 1, block: block(1)) }

        var outsider = Self.member(testKey(4), blobs: world.blobs)
        #expect(throws: QuorumSigningError.notMember(key: testKey(4).publicKey, epoch: 0)) {
            try outsider.prepareSignature(height: 2, block: block(2))
        }
        var watcher = QuorumPlugin(genesis: demoGenesis())
        _ = watcher.replayed(now: 0)
        #expect(throws: QuorumSigningError.noSigner) { try watcher.prepareSignature(height: 1, block: block(1)) }

        var member = Self.member(testKey(1), blobs: world.blobs)
        #expect(throws: QuorumSigningError.notNextHeight(height: 1, next: 2)) {
            try member.prepareSignature(height: 1, block: block(1))
        }
        #expect(throws: QuorumSigningError.notNextHeight(height: 3, next: 2)) {
            try member.prepareSignature(height: 3, block: block(3))
        }
        let unknown = BlobID(unchecked: digest("no such vote set"))
        #expect(throws: QuorumSigningError.voteSetNotHeld(unknown)) {
            try member.prepareSignature(height: 2, block: block(2), voteSet: unknown)
        }
        #expect(member.signer?.protection.records.isEmpty == true)
    }

    @Test func proposerModeDecidesHeightsInTurnAndCarriesAVoteSet() throws {
        let keys = [testKey(1), testKey(2), testKey(3)]
        var hosts = keys.map { key in
            PluginHost(plugins: [
                QuorumPlugin(
                    genesis: demoGenesis(),
                    signer: QuorumSigner(key: key.publicKey, proposes: true, proposeIntervalMilliseconds: 100)
                )
            ])
        }
        var world = QuorumWorld(genesis: demoGenesis())
        var now: UInt64 = 0
        var pending: [(node: Int, requests: [PluginHost.Request])] = []
        for index in hosts.indices { pending.append((index, hosts[index].replayed(now: now))) }
        // A candidate and a slip for it, to be carried in a vote set.
        let candidacy = world.candidacy(testKey(4))
        let slip = world.vote(testKey(5), for: [testKey(4)])
        for index in hosts.indices {
            pending.append((index, hosts[index].committed(candidacy, now: now)))
            pending.append((index, hosts[index].committed(slip, now: now)))
        }
        for _ in 0..<200 {
            now += 50
            for index in hosts.indices { pending.append((index, hosts[index].tick(now: now))) }
            // Every blob a node asks to publish is signed with its key and reaches every node.
            while !pending.isEmpty {
                let (node, requests) = pending.removeFirst()
                for request in requests {
                    guard case .publish(let channel, let payload) = request.action else { continue }
                    let blob = world.publish(keys[node], channel, payload)
                    for index in hosts.indices { pending.append((index, hosts[index].committed(blob, now: now))) }
                }
            }
        }
        let states = hosts.indices.map { index in
            hosts[index].with(QuorumPlugin.self) { plugin in (plugin.state, []) }!.result
        }
        #expect(states[0].lastDecidedHeight >= 5)
        for state in states.dropFirst() {
            #expect(state.decisions.prefix(5) == states[0].decisions.prefix(5))
        }
        // Every member proposed in turn: the three proposers of heights 1…3 differ.
        let proposers = Set(
            (1...3).compactMap { height in
                world.blobs.first { $0.channel == QuorumChannel.block && decodedHeight($0) == height }?.author
            }
        )
        #expect(proposers.count == 3)
        // The vote set a proposer published lists the slip and the candidacy, and a decision committed it.
        let committed = try #require(states[0].decisions.first { $0.value.voteSet != .zero })
        let voteSet = try #require(states[0].voteSet(committed.value.voteSet))
        #expect(voteSet.slips == [slip.id] && voteSet.candidacies == [candidacy.id])
    }

    private func decodedHeight(_ blob: SignedBlob) -> UInt64? {
        (try? QuorumBlock(decoding: Array(blob.payload)))?.height
    }
}
