import Foundation

/// Blobs per second over one measured region, for package-benchmark's custom metric.
public struct IngestRate: Sendable {
    /// The metric's name as the benchmark output shows it.
    public static let metricName = "blobs/s"

    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    /// Starts the timer.
    public init() {
        start = clock.now
    }

    /// Blobs per second for `blobs` handled since `init`, rounded to a whole blob.
    public func blobsPerSecond(_ blobs: Int) -> Int {
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Int((Double(blobs) / seconds).rounded())
    }
}
