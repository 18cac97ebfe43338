// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "TaskFCGI",
    products: [
        .executable(name: "taskfcgi", targets: ["TaskFCGI"]),
    ],
    targets: [
        // The two C libraries, from Debian's packages; nothing else is linked.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Everything testable: storage, config, log, jobs, HTTP, pages, FastCGI serving.
        .target(name: "TaskFCGIKit", dependencies: ["CFastCGI", "CSQLite"]),
        .executableTarget(name: "TaskFCGI", dependencies: ["TaskFCGIKit"]),
        .testTarget(name: "TaskFCGIKitTests", dependencies: ["TaskFCGIKit"]),
        // Starts the real `taskfcgi` binary (and nginx) as a user would.
        .testTarget(name: "IntegrationTests", dependencies: ["TaskFCGIKit"]),
    ],
    swiftLanguageModes: [.v6]
)
