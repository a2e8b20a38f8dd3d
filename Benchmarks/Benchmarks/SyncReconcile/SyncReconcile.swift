import CairnCore
import CairnProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Negentropy V1 reconciliation of 1,000,000 items against 1,000,000 + d (the responder holds d more, at random
/// positions): round trips, bytes each way and CPU time per round on each side, median over seeds. Messages only;
/// building the sets is not measured. Arguments: `--items N`, `--seeds S` (defaults 1,000,000 and 3).
@main
enum SyncReconcile {
    static let differences = [1, 100, 10_000]
    /// Item timestamps fall in a window of this many seconds (30 days), so some items share a second.
    static let timestampWindowSeconds = 30 * 24 * 3600
    static let firstTimestamp: UInt64 = 1_700_000_000

    struct Configuration {
        var name: String
        var reconciler: NegentropyReconciler
    }

    struct Outcome {
        var roundTrips: Int
        var bytesToResponder: Int
        var bytesToInitiator: Int
        var initiatorCPUSeconds: Double
        var responderCPUSeconds: Double
        /// Ids reported more than once (a frame-limited message can fold settled ranges back in).
        var reportedAgain: Int
    }

    static func main() throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
            return Int(arguments[index + 1]) ?? fallback
        }
        let itemCount = option("--items", 1_000_000)
        let seedCount = option("--seeds", 3)
        let configurations = [
            Configuration(name: "Cairn, 64 KiB frames", reconciler: NegentropyReconciler()),
            Configuration(name: "Cairn, no frame limit", reconciler: NegentropyReconciler(frameSizeLimit: 0)),
            Configuration(
                name: "reference split, no limit",
                reconciler: NegentropyReconciler(frameSizeLimit: 0, strategy: .reference)
            ),
        ]
        var results: [String: [Outcome]] = [:]
        for seed in 1...seedCount {
            var generator = SeededRandom(seed: UInt64(seed))
            let base = SortedSyncItems((0..<itemCount).map { _ in randomItem(&generator) })
            for difference in differences {
                var larger = base
                larger.insert(contentsOf: (0..<difference).map { _ in randomItem(&generator) })
                for configuration in configurations {
                    let outcome = try run(
                        configuration.reconciler,
                        initiator: base,
                        responder: larger,
                        expected: difference
                    )
                    results["\(configuration.name)|\(difference)", default: []].append(outcome)
                }
            }
        }
        var lines = [
            "n = \(itemCount) vs n + d, median of \(seedCount) seeds; bytes are whole messages; CPU per round is the mean.",
            "",
            "| strategy | d | round trips | bytes → responder | bytes → initiator | total | initiator CPU ms/round | responder CPU ms/round | reported again |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for configuration in configurations {
            for difference in differences {
                let outcomes = results["\(configuration.name)|\(difference)"]!
                let rounds = median(outcomes.map { Double($0.roundTrips) })
                let out = median(outcomes.map { Double($0.bytesToResponder) })
                let back = median(outcomes.map { Double($0.bytesToInitiator) })
                let total = median(outcomes.map { Double($0.bytesToResponder + $0.bytesToInitiator) })
                let initiatorCPU = median(outcomes.map { $0.initiatorCPUSeconds * 1000 / Double($0.roundTrips) })
                let responderCPU = median(outcomes.map { $0.responderCPUSeconds * 1000 / Double($0.roundTrips) })
                let again = median(outcomes.map { Double($0.reportedAgain) })
                lines.append(
                    "| \(configuration.name) | \(difference) | \(Int(rounds)) | \(Int(out)) | \(Int(back)) | \(Int(total)) "
                        + "| \(String(format: "%.1f", initiatorCPU)) | \(String(format: "%.1f", responderCPU)) | \(Int(again)) |"
                )
            }
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    static func run(
        _ reconciler: NegentropyReconciler,
        initiator: SortedSyncItems,
        responder: SortedSyncItems,
        expected: Int
    ) throws -> Outcome {
        var outcome = Outcome(
            roundTrips: 0,
            bytesToResponder: 0,
            bytesToInitiator: 0,
            initiatorCPUSeconds: 0,
            responderCPUSeconds: 0,
            reportedAgain: 0
        )
        var need = Set<BlobID>()
        var have = 0
        var start = cpuSeconds()
        var message: [UInt8]? = try reconciler.initiate(initiator)
        outcome.initiatorCPUSeconds += cpuSeconds() - start
        while let query = message {
            outcome.roundTrips += 1
            outcome.bytesToResponder += query.count
            start = cpuSeconds()
            let response = try reconciler.respond(to: query, storage: responder)
            outcome.responderCPUSeconds += cpuSeconds() - start
            outcome.bytesToInitiator += response.count
            start = cpuSeconds()
            let progress = try reconciler.reconcile(response, storage: initiator)
            outcome.initiatorCPUSeconds += cpuSeconds() - start
            for id in progress.need where !need.insert(id).inserted { outcome.reportedAgain += 1 }
            have += progress.have.count
            message = progress.nextMessage
        }
        precondition(need.count == expected && have == 0, "reconciliation found \(need.count) needed, \(have) extra")
        return outcome
    }

    static func randomItem(_ generator: inout SeededRandom) -> SyncItem {
        var id: [UInt8] = []
        id.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next()) { id.append(contentsOf: $0) } }
        let offset = generator.next() % UInt64(timestampWindowSeconds)
        return SyncItem(timestamp: firstTimestamp + offset, id: BlobID(unchecked: id))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    /// CPU time of this thread.
    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
