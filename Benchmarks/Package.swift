// swift-tools-version:6.1
import PackageDescription

// The benchmark suite is its own package so that the main package does not depend on package-benchmark.
// The main package is referred to by an explicit name: a path dependency's identity is otherwise the name of the
// checkout's directory, which differs between machines.
let benchmarkSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Cairn", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "CairnCore", package: "Cairn"),
                .product(name: "CairnStore", package: "Cairn"),
            ],
            path: "Benchmarks/BenchmarkSupport",
            swiftSettings: benchmarkSettings
        ),
        .executableTarget(
            name: "StoreIngest",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "CairnCore", package: "Cairn"),
                .product(name: "CairnStore", package: "Cairn"),
            ],
            path: "Benchmarks/StoreIngest",
            swiftSettings: benchmarkSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "ReconciliationIndexBench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "CairnCore", package: "Cairn"),
                .product(name: "CairnStore", package: "Cairn"),
            ],
            path: "Benchmarks/ReconciliationIndexBench",
            swiftSettings: benchmarkSettings
        ),
        .executableTarget(
            name: "StoreFootprint",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "CairnCore", package: "Cairn"),
                .product(name: "CairnStore", package: "Cairn"),
            ],
            path: "Benchmarks/StoreFootprint",
            swiftSettings: benchmarkSettings
        ),
        .executableTarget(
            name: "HTTPIngest",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "CairnCore", package: "Cairn"),
                .product(name: "CairnStore", package: "Cairn"),
                .product(name: "CairnNode", package: "Cairn"),
                .product(name: "CairnHTTP", package: "Cairn"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Benchmarks/HTTPIngest",
            swiftSettings: benchmarkSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "SyncReconcile",
            dependencies: [
                .product(name: "CairnCore", package: "Cairn"),
                .product(name: "CairnProtocol", package: "Cairn"),
            ],
            path: "Benchmarks/SyncReconcile",
            swiftSettings: benchmarkSettings
        ),
    ]
)
