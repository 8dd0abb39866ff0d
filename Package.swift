// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets (Fuzz/), added only for `LETHE_FUZZ=1 swift build -Xswiftc -sanitize=fuzzer,address`
/// as `scripts/fuzz` does, so the normal build and test never see them.
let fuzzTargets: [Target] = Context.environment["LETHE_FUZZ"] == "1" ? [
    // Each executable's `<module>_main` hands over to libFuzzer's driver (see the C file).
    .target(name: "LetheFuzzDriver", path: "Fuzz/driver"),
    .executableTarget(name: "fuzz-ohttp-header", dependencies: ["LetheFuzzDriver", "LetheEnvelope", "LetheMemory"], path: "Fuzz/ohttp-header"),
    .executableTarget(name: "fuzz-key-config", dependencies: ["LetheFuzzDriver", "LetheEnvelope"], path: "Fuzz/key-config"),
    .executableTarget(name: "fuzz-bhttp", dependencies: ["LetheFuzzDriver", "LetheEnvelope"], path: "Fuzz/bhttp"),
    // The multipart parser is compiled from LetheServer's own source files (symlinks: the parser
    // and the server's error codes), so fuzzing it does not build Hummingbird and NIO with the sanitizer.
    .executableTarget(name: "fuzz-multipart", dependencies: ["LetheFuzzDriver", "LetheAnalysis", "LetheImaging", "LetheMemory"], path: "Fuzz/multipart"),
    .executableTarget(name: "fuzz-sniff", dependencies: ["LetheFuzzDriver", "LetheImaging"], path: "Fuzz/sniff"),
    .executableTarget(
        name: "fuzz-decode-analyse", dependencies: ["LetheFuzzDriver", "LetheImaging", "LetheAnalysis", "LetheMemory"],
        path: "Fuzz/decode-analyse"),
    .executableTarget(name: "fuzz-public-routes", dependencies: ["LetheFuzzDriver", "LetheLedger", "LetheTransparency", "LetheMemory"], path: "Fuzz/public-routes"),
] : []

let package = Package(
    name: "lethe",
    // LetheClient's Apple platforms, next to Linux: the 26 releases, whose CryptoKit (which
    // swift-crypto re-exports there) has X-Wing (`XWingMLKEM768X25519`, HPKE KEM 0x647a) besides
    // Synchronization.Mutex and async URLSession. The worker itself runs on Linux (and builds on
    // macOS for development).
    platforms: [.macOS("26.0"), .iOS("26.0"), .tvOS("26.0"), .watchOS("26.0"), .visionOS("26.0")],
    products: [
        .executable(name: "lethe", targets: ["lethe"]),
        .library(name: "LetheClient", targets: ["LetheClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        // C boundary: libvips/glib (variadic calls wrapped in fixed-argument shims).
        .systemLibrary(
            name: "CVips",
            pkgConfig: "vips",
            providers: [.apt(["libvips-dev"])]
        ),
        // C boundary: prctl/rlimit/mlock/madvise/explicit_bzero, which Swift cannot call directly.
        .target(name: "CLetheSystem"),
        // C boundary: a request's deadline inside libvips (eval signal, kill flag) and libjpeg (an
        // interposed jpeg_start_decompress that adds a progress monitor).
        // Its jpeg_start_decompress must be in the dynamic symbol table of every executable that
        // links it, or libvips keeps calling libjpeg's: the linker does not export it on its own
        // (libjpeg is not on the link line).
        .target(
            name: "CLetheDeadline", dependencies: ["CVips"],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=jpeg_start_decompress"])]),
        // C boundary, executable only: re-executes `lethe` once with G_SLICE=always-malloc, which
        // glib reads in its own library constructor, before any code of ours could set it.
        .target(name: "CLetheLaunch"),

        .target(name: "LetheMemory", dependencies: ["CLetheSystem"]),
        // Wire types shared by the worker and the device client (no dependencies: devices link it).
        .target(name: "LetheAPI"),
        .target(name: "LetheImaging", dependencies: ["CVips", "CLetheDeadline", "LetheAPI", "LetheMemory"]),
        // The pixel loops run ~20× slower unoptimised: `swift test` would then measure (and the
        // hostile-corpus test bound) a worker far slower than the one that ships. Optimised in
        // every configuration; overflow checks stay (-O, not -Ounchecked). Devices never link it.
        .target(
            name: "LetheAnalysis", dependencies: ["LetheAPI", "LetheImaging", "LetheMemory"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The request's use case below the server: photos in, results out, pixels released.
        .target(name: "LetheEngine", dependencies: ["LetheAPI", "LetheAnalysis", "LetheImaging", "LetheMemory"]),
        .target(name: "LetheEnvelope", dependencies: [
            "LetheMemory",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // What a device (or an auditor) needs to check a receipt and a logged key: Merkle hashes and
        // proofs, signed notes and checkpoints, receipts, cosigner keys and witness policies, the
        // public log's entries and the `/ledger/` proof documents. No storage, no server: devices link it.
        .target(name: "LetheTransparency", dependencies: [
            "LetheMemory",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The worker's ledger: storage, segment files, retention, publication, witnesses, audit.
        .target(name: "LetheLedger", dependencies: [
            "LetheMemory", "LetheTransparency",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(
            name: "LetheServer",
            dependencies: [
                "LetheAPI", "LetheAnalysis", "LetheEngine", "LetheEnvelope", "LetheLedger", "LetheTransparency", "LetheImaging",
                "LetheMemory",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The dashboard's HTML, stylesheet and script (Bundle.module; installed next to the
            // executable as lethe_LetheServer.resources, see Config/deploy/Dockerfile).
            resources: [.copy("Operations/Dashboard")]),
        // The device SDK: nothing server-side (ClientDependencyTests keeps it so).
        .target(name: "LetheClient", dependencies: ["LetheAPI", "LetheEnvelope", "LetheTransparency", "LetheMemory"]),
        // LetheClient over plain HTTP/1.1 on SwiftNIO, for load from `lethe bench` (devices keep URLSession).
        .target(name: "LetheClientNIO", dependencies: [
            "LetheClient",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The README's app-side example, built as an app builds it: on the LetheClient library alone.
        .target(name: "LetheClientExample", dependencies: ["LetheClient"], path: "Examples/LetheClientExample"),
        .executableTarget(name: "lethe", dependencies: [
            "CLetheLaunch", "LetheServer", "LetheClient", "LetheClientNIO", "LetheLedger", "LetheTransparency", "LetheMemory", "LetheAnalysis", "LetheImaging",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // One test kit for every test target: fixtures, seeded randomness, running programs, the
        // real `lethe serve` as a child process (`ServerProcess`), the memory scanner, reading /proc
        // and Prometheus text.
        .target(name: "LetheTestSupport", dependencies: ["LetheMemory"], path: "Tests/LetheTestSupport"),
        .testTarget(name: "LetheMemoryTests", dependencies: ["CLetheSystem", "LetheMemory", "LetheTestSupport"]),
        // CVips: the orientation tests' reference is libvips' own autorot.
        .testTarget(name: "LetheImagingTests", dependencies: ["CVips", "LetheImaging", "LetheTestSupport"]),
        // reference_face_landmark.py runs MediaPipe's own TFLite interpreter for FaceLandmarkerTests.
        .testTarget(
            name: "LetheAnalysisTests", dependencies: ["LetheAPI", "LetheAnalysis", "LetheImaging", "LetheTestSupport"],
            exclude: ["reference_face_landmark.py"]),
        .testTarget(name: "LetheEngineTests", dependencies: ["LetheAPI", "LetheAnalysis", "LetheEngine", "LetheImaging", "LetheMemory", "LetheTestSupport"]),
        .testTarget(name: "LetheEnvelopeTests", dependencies: ["LetheEnvelope", "LetheTestSupport"], resources: [.copy("Vectors")]),
        // The server's own parsing and mapping, without a socket.
        .testTarget(name: "LetheServerTests", dependencies: [
            "CLetheSystem", "LetheServer", "LetheAnalysis", "LetheMemory", "LetheTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "LetheLedgerTests", dependencies: [
            "LetheLedger", "LetheTransparency", "CLetheSystem", "LetheTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Looks at the real `lethe serve` process from outside: memory scans, no-disk tracing.
        // Contract/ holds the schemathesis hooks ContractTests hands to `st`.
        .testTarget(name: "LetheResidueTests", dependencies: [
            "CLetheSystem", "LetheClient", "LetheClientNIO", "LetheEnvelope", "LetheLedger", "LetheTransparency", "LetheImaging", "LetheAnalysis", "LetheAPI",
            "LetheMemory", "LetheTestSupport",
        ], exclude: ["Contract"]),
        // Config/deploy checked by promtool, the Kubernetes schemas and systemd-analyze.
        .testTarget(name: "LetheDeploymentTests", dependencies: ["LetheTestSupport"]),
        .testTarget(name: "LetheEndToEndTests", dependencies: [
            "LetheServer", "LetheClient", "LetheClientExample", "LetheLedger", "LetheTransparency", "LetheImaging", "LetheTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ] + fuzzTargets
)
