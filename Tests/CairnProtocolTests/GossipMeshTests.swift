import CairnCore
import Testing

@testable import CairnProtocol

/// Whole-mesh runs of 50 routers over the in-memory transport.
@Suite("Gossip mesh")
struct GossipMeshTests {
    static let nodeCount = 50
    static let linksPerNode = 8
    static let smallPayloadBytes = 300
    static let mediumPayloadBytes = 4 * 1024
    static let largePayloadBytes = 64 * 1024

    /// The blobs of one scenario and who publishes them when.
    struct Workload {
        var small: [SignedBlob] = []
        var medium: [SignedBlob] = []
        var large: [SignedBlob] = []
        var all: [SignedBlob] { small + medium + large }
    }

    /// Publishes small, medium and large blobs from several nodes, spread over two seconds.
    static func workload(into mesh: inout InMemoryMesh, start: UInt64 = 100) -> Workload {
        var workload = Workload()
        for round in 0..<6 {
            let publisher = (round * 17 + 3) % nodeCount
            let key = try! SigningKey(seed: sequentialBytes(from: UInt8(0x10 + round)))
            let time = start + UInt64(round) * 300
            let small = GossipFixture.blob(tag: UInt64(round), payloadBytes: smallPayloadBytes, key: key)
            mesh.publish(small, from: publisher, at: time)
            workload.small.append(small)
            if round % 2 == 0 {
                let medium = GossipFixture.blob(tag: 100 + UInt64(round), payloadBytes: mediumPayloadBytes, key: key)
                mesh.publish(medium, from: (publisher + 5) % nodeCount, at: time + 40)
                workload.medium.append(medium)
            }
            if round < 4 {
                let large = GossipFixture.blob(tag: 200 + UInt64(round), payloadBytes: largePayloadBytes, key: key)
                mesh.publish(large, from: (publisher + 11) % nodeCount, at: time + 70)
                workload.large.append(large)
            }
        }
        return workload
    }

    static func run(seed: UInt64) -> (InMemoryMesh, Workload) {
        var mesh = InMemoryMesh(nodeCount: nodeCount, linksPerNode: linksPerNode, seed: seed)
        let workload = workload(into: &mesh)
        mesh.run(until: 15_000)
        return (mesh, workload)
    }

    @Test func everyNodeReceivesEveryBlobAndLargeBlobsCrossEachLinkAboutOnce() {
        let (mesh, workload) = Self.run(seed: 42)
        #expect(mesh.isConnected)
        #expect(mesh.linkCount >= Self.nodeCount * Self.linksPerNode / 2)
        for blob in workload.all {
            #expect(mesh.missing(blob.id) == [], "blob \(blob.id.hex.prefix(8)) missing")
        }
        let minimum = Self.nodeCount - 1
        for blob in workload.large {
            let transfers = mesh.blobDeliveries[blob.id] ?? 0
            #expect(transfers >= minimum)
            #expect(Double(transfers) < 1.5 * Double(minimum), "large blob amplification \(transfers)/\(minimum)")
        }
        let largeIDs = Set(workload.large.map(\.id))
        let worstLargeCrossing = mesh.crossings.filter { largeIDs.contains($0.key.id) }.values.max() ?? 0
        #expect(worstLargeCrossing <= 1)
        // Small blobs are pushed to the mesh, so each node gets a few copies, bounded by the mesh's upper bound
        // (peers that push to a node join its mesh, up to D_high).
        for blob in workload.small {
            let transfers = mesh.blobDeliveries[blob.id] ?? 0
            #expect(transfers <= (GossipConfiguration().meshDegreeHigh + 1) * minimum)
        }
        #expect(mesh.penalties == [])
        for node in mesh.nodes {
            let statistics = node.statistics
            #expect(statistics.pendingWants == 0)
            #expect(statistics.pendingVerifications == 0)
            #expect(statistics.blobsRejected == 0)
        }
    }

    @Test func idontwantCutsMediumBlobDuplicates() {
        func mediumDeliveries(idontwantMinBytes: Int) -> (deliveries: Int, idontwantsSent: Int) {
            var configuration = GossipConfiguration()
            configuration.idontwantMinBytes = idontwantMinBytes
            var mesh = InMemoryMesh(
                nodeCount: Self.nodeCount,
                linksPerNode: Self.linksPerNode,
                seed: 42,
                configuration: configuration
            )
            let workload = Self.workload(into: &mesh)
            mesh.run(until: 15_000)
            for blob in workload.all { #expect(mesh.missing(blob.id) == []) }
            return (
                workload.medium.map { mesh.blobDeliveries[$0.id] ?? 0 }.reduce(0, +),
                mesh.nodes.map(\.statistics.idontwantsSent).reduce(0, +)
            )
        }
        let with = mediumDeliveries(idontwantMinBytes: 1024)
        let without = mediumDeliveries(idontwantMinBytes: .max)
        #expect(with.idontwantsSent > 0)
        #expect(without.idontwantsSent == 0)
        #expect(with.deliveries < without.deliveries)
    }

    @Test func sameSeedGivesTheSameRun() {
        let (first, _) = Self.run(seed: 7)
        let (second, _) = Self.run(seed: 7)
        let (other, _) = Self.run(seed: 8)
        #expect(first.traceDigest == second.traceDigest)
        #expect(first.wireBytes == second.wireBytes)
        #expect(first.blobDeliveries == second.blobDeliveries)
        #expect(first.storedAt == second.storedAt)
        #expect(first.nodes.map(\.statistics) == second.nodes.map(\.statistics))
        #expect(first.nodes.map(\.meshPeers) == second.nodes.map(\.meshPeers))
        #expect(first.traceDigest != other.traceDigest)
    }

    @Test func evidenceReachesEveryNodeAndCrossesEachLinkAtMostOnceEachWay() {
        var mesh = InMemoryMesh(nodeCount: Self.nodeCount, linksPerNode: Self.linksPerNode, seed: 3)
        mesh.publishEvidence(Array("a forked channel".utf8), from: 9, at: 100)
        mesh.run(until: 5_000)
        #expect((0..<Self.nodeCount).filter { $0 != 9 && mesh.evidenceReceived[$0] == nil } == [])
        #expect(mesh.deliveries[.evidence, default: 0] <= 2 * mesh.linkCount)
        #expect(mesh.nodes.map(\.statistics.evidenceForwarded).reduce(0, +) == Self.nodeCount)
    }

    @Test func meshRepairsAfterChurnAndStillDeliversEverything() {
        var mesh = InMemoryMesh(nodeCount: Self.nodeCount, linksPerNode: Self.linksPerNode, seed: 11)
        mesh.run(until: 1_500)
        // Cut every link of three nodes' meshes, then let the heartbeat graft replacements.
        for node in [0, 1, 2] {
            for peer in mesh.nodes[node].meshPeers.sorted() {
                mesh.disconnect(node, mesh.index[peer]!)
            }
        }
        #expect(mesh.isConnected)
        mesh.run(until: 3_000)
        for node in [0, 1, 2] {
            #expect(mesh.nodes[node].meshPeers.count >= GossipConfiguration().meshDegreeLow)
            #expect(mesh.nodes[node].meshPeers.isSubset(of: mesh.nodes[node].connectedPeers))
        }
        let workload = Self.workload(into: &mesh, start: 3_100)
        mesh.run(until: 20_000)
        for blob in workload.all { #expect(mesh.missing(blob.id) == []) }
        #expect(mesh.penalties == [])
    }
}
