// swift-tools-version: 6.1
import PackageDescription

// Layers, top to bottom (see README "Layout"): ublkd -> Engine -> UblkABI / URing -> C shims.
// Each C shim is a system-library module: a header that adds only what Swift cannot import from the system library.
let package = Package(
    name: "ublkd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ublkd", targets: ["ublkd"]),
        .executable(name: "ublkctl", targets: ["ublkctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        // The release number, alone in its target so that ublkctl can share it without depending on the daemon.
        .target(name: "UblkdVersion"),
        // What a device is (DeviceDefinition): the one shape the API, the engine, the store and ublkctl share.
        .target(name: "DeviceModel"),
        // The kernel's ublk UAPI header (vendored) plus accessors for its function-like macros.
        .systemLibrary(name: "CUblk", path: "Sources/CUblk"),
        // Linux system interfaces that Swift's Glibc module leaves out (O_DIRECT, prctl, eventfd, fallocate modes).
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        // liburing from Debian's liburing-dev; the shim reaches the SQE fields Swift imports badly.
        .systemLibrary(
            name: "CURing", path: "Sources/CURing", pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]),
        // libnbd from Debian's libnbd-dev: the NBD client of the nbd target (handshake, replies, TLS, URIs).
        .systemLibrary(
            name: "CNBD", path: "Sources/CNBD", pkgConfig: "libnbd", providers: [.apt(["libnbd-dev"])]),
        // libmicrohttpd from Debian's libmicrohttpd-dev; the shim starts a daemon (MHD_start_daemon is variadic).
        .systemLibrary(
            name: "CMicroHTTPD", path: "Sources/CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),
        .target(
            name: "UblkABI",
            dependencies: ["CUblk"]),
        .target(
            name: "URing",
            dependencies: ["CURing", .product(name: "SystemPackage", package: "swift-system")]),
        .target(
            name: "Engine",
            dependencies: [
                "DeviceModel", "UblkABI", "URing", "CLinux", "CNBD",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // SQLite through GRDB (which links Debian's libsqlite3 itself): device definitions and their history.
        // The schema: its SQL migrations, compiled into the binary (an installed ublkd has no source tree).
        .target(name: "StoreSchema", resources: [.embedInCode("migrations")]),
        .target(
            name: "Store",
            dependencies: [
                "DeviceModel", "StoreSchema", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The REST API: router (pure), DTOs, error mapping, and the libmicrohttpd transport.
        .target(
            name: "HTTPAPI",
            dependencies: ["DeviceModel", "CMicroHTTPD", .product(name: "Logging", package: "swift-log")]),
        // The composition root: the only layer that meets engine, store and API.
        .target(
            name: "Daemon",
            dependencies: [
                "UblkdVersion", "DeviceModel", "CLinux",
                "Engine", "Store", "HTTPAPI", "UblkABI", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .executableTarget(
            name: "ublkd",
            dependencies: [
                "DeviceModel", "Engine", "UblkABI", "Daemon", "HTTPAPI", "UblkdVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // A small CLI over the REST API; knows the API's JSON, nothing of the daemon's insides.
        .executableTarget(
            name: "ublkctl",
            dependencies: [
                "UblkdVersion", "DeviceModel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Not shipped: the daemon's API (router, DeviceManager, metrics, transport, as DaemonRunner wires them) over
        // in-process devices, so that scripts/bench-api can measure it on a host without the ublk driver.
        .executableTarget(
            name: "APIBenchHarness",
            dependencies: [
                "Daemon", "DeviceModel", "Engine", "HTTPAPI", "Store", "UblkABI",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/APIBenchHarness"),
        .target(
            name: "TestSupport",
            dependencies: [
                "Engine", "Store", .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "UblkABITests", dependencies: ["UblkABI", "CUblk"]),
        .testTarget(name: "DeviceModelTests", dependencies: ["DeviceModel"]),
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "Store", "StoreSchema", "DeviceModel", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "UblkctlTests", dependencies: ["ublkctl", "DeviceModel"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "Engine", "Store", "HTTPAPI", "DeviceModel", "UblkABI", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: ["HTTPAPI", "DeviceModel", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "URingTests",
            dependencies: ["URing", "CLinux", "TestSupport", .product(name: "SystemPackage", package: "swift-system")]),
        .testTarget(
            name: "EngineTests",
            dependencies: [
                "DeviceModel", "Engine", "UblkABI", "URing", "CLinux", "TestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
