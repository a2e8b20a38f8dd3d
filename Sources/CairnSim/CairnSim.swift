import ArgumentParser
import Foundation

/// The `cairn-sim` command line: runs a scenario on virtual time and prints its summary.
@main
struct CairnSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn-sim",
        abstract: "A deterministic network simulator driving Cairn replicas on virtual time.",
        subcommands: [Run.self]
    )
}

extension CairnSim {
    /// `cairn-sim run SCENARIO --seed N [--quiet]`.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a scenario; the same seed gives the same summary and trace hash."
        )

        /// How often a progress line is written, in wall-clock seconds.
        static let progressSeconds = 2

        @Argument(help: "The scenario file (TOML), e.g. Config/sim/steady.toml.")
        var scenario: String

        @Option(help: "The seed of the run.")
        var seed: UInt64 = 1

        @Flag(help: "Write no progress lines to stderr.")
        var quiet = false

        func run() throws {
            let scenario = try Scenario(contentsOfFile: self.scenario)
            let clock = ContinuousClock()
            let started = clock.now
            let simulation = Simulation(scenario: scenario, seed: seed)
            var lastReport = started
            let quiet = quiet
            let summary = simulation.run { progress in
                guard !quiet else { return }
                let now = clock.now
                guard now - lastReport >= .seconds(Self.progressSeconds) else { return }
                lastReport = now
                Self.standardError(
                    "[cairn-sim] virtual \(Summary.milliseconds(progress.virtualMicros)), "
                        + "\(progress.events) events, \(progress.published) blobs published, "
                        + "\(progress.deliveredPairs) deliveries, \(progress.pendingPairs) pending, "
                        + "\(progress.missingPairs) missing on nodes up"
                )
            }
            FileHandle.standardOutput.write(Data((summary.text + "\n").utf8))
            if !quiet {
                let elapsed = (clock.now - started).components
                let milliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
                Self.standardError("[cairn-sim] wall \(Summary.ratio(Int(milliseconds), 1000, decimals: 3)) s")
            }
            if let quorum = summary.quorum, !quorum.passed {
                Self.standardError("[cairn-sim] the nodes do not agree on the quorum (see `quorum agreement:`)")
                throw ExitCode.failure
            }
        }

        private static func standardError(_ line: String) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
