// swift-tools-version:6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .executable(name: "cairn-sim", targets: ["CairnSim"]),
        .library(name: "CairnCore", targets: ["CairnCore"]),
        .library(name: "CairnStore", targets: ["CairnStore"]),
        .library(name: "CairnProtocol", targets: ["CairnProtocol"]),
        .library(name: "CairnNode", targets: ["CairnNode"]),
        .library(name: "CairnHTTP", targets: ["CairnHTTP"]),
        .library(name: "CairnQuorum", targets: ["CairnQuorum"]),
        .library(name: "CairnRatify", targets: ["CairnRatify"]),
        .library(name: "CairnAPI", targets: ["CairnAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(
            name: "CairnCore",
            dependencies: ["CSodium"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CairnProtocol",
            dependencies: [
                "CairnCore", "CSodium",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CairnQuorum",
            dependencies: [
                "CairnCore", "CairnProtocol",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CairnRatify",
            dependencies: ["CairnCore", "CairnProtocol", "CairnQuorum"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CairnStore",
            dependencies: [
                "CairnCore", "CLMDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CairnNode",
            dependencies: [
                "CairnCore", "CairnStore", "CairnProtocol", "CLibUV",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CairnHTTP",
            dependencies: [
                "CairnCore", "CairnStore", "CairnNode", "CairnProtocol", "CairnQuorum", "CairnRatify", "CSodium",
                "CairnAPI", .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSwift
        ),
        // Types and client generated from Docs/openapi.yaml (linked as Sources/CairnAPI/openapi.yaml) at build time.
        .target(
            name: "CairnAPI",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")
            ],
            swiftSettings: strictSwift,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "CairnCore", "CairnStore", "CairnNode", "CairnHTTP", "CairnProtocol", "CairnQuorum", "CairnRatify",
                "CairnAPI",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "CairnSim",
            dependencies: [
                "CairnCore", "CairnProtocol", "CairnQuorum",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CairnCoreTests",
            dependencies: ["CairnCore"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CairnProtocolTests",
            dependencies: ["CairnCore", "CairnProtocol"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CairnQuorumTests",
            dependencies: ["CairnCore", "CairnProtocol", "CairnQuorum"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CairnRatifyTests",
            dependencies: ["CairnCore", "CairnProtocol", "CairnQuorum", "CairnRatify"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CairnSimTests",
            dependencies: ["CairnSim", "CairnCore", "CairnProtocol", "CairnQuorum"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CairnStoreTests",
            dependencies: ["CairnCore", "CairnStore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CairnNodeTests",
            dependencies: [
                "CairnCore", "CairnStore", "CairnNode", "CairnHTTP", "CairnQuorum",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSwift
        ),
    ] + fuzzTargets
)

// libFuzzer targets (Fuzz/, scripts/fuzz, Docs/TESTING.md). In this build each is an ordinary executable that runs
// its entry point on the files it is given; `scripts/fuzz` builds them instrumented on its own scratch path.
var fuzzTargets: [Target] {
    let targets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzBlobDecoder", ["CairnCore"]),
        ("FuzzEvidenceDecoder", ["CairnCore"]),
        ("FuzzRecord", ["CairnProtocol"]),
        ("FuzzMessage", ["CairnProtocol"]),
        ("FuzzHandshakeResponder", ["CairnProtocol"]),
        ("FuzzHandshakeInitiator", ["CairnProtocol"]),
        ("FuzzReconcile", ["CairnCore", "CairnProtocol"]),
        ("FuzzReplica", ["CairnCore", "CairnProtocol"]),
    ]
    let support = Target.target(
        name: "FuzzSupport",
        dependencies: ["CairnCore", "CairnProtocol"],
        path: "Fuzz/FuzzSupport",
        swiftSettings: strictSwift
    )
    return [support]
        + targets.map { target in
            .executableTarget(
                name: target.name,
                dependencies: target.dependencies + ["FuzzSupport"],
                path: "Fuzz/\(target.name)",
                swiftSettings: strictSwift
            )
        }
}
