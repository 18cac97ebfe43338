// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "TaskFCGI",
    products: [
        .executable(name: "taskfcgi", targets: ["TaskFCGI"]),
    ],
    // The default build links SQLite only; `swift build --traits PostgreSQL` adds libpq.
    traits: [
        .trait(name: "PostgreSQL", description: "Store tasks and jobs in a PostgreSQL server (links libpq)"),
    ],
    targets: [
        // The C libraries, from Debian's packages. CFastCGI takes only libfcgi-dev's `fastcgi.h`
        // (the wire's definitions) and the epoll shims; nothing of libfcgi is linked.
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgreSQL", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // libxcrypt's crypt_r, to check operators' `htpasswd -B` passwords.
        .systemLibrary(name: "CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        // OpenSSL's libcrypto for the webhook signatures (HMAC-SHA256), libcurl to deliver them.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Everything testable: storage, config, log, jobs, HTTP, pages, FastCGI serving.
        .target(name: "TaskFCGIKit", dependencies: [
            "CFastCGI", "CSQLite", "CCrypt", "COpenSSL", "CCurl",
            .target(name: "CPostgreSQL", condition: .when(traits: ["PostgreSQL"])),
        ]),
        .executableTarget(name: "TaskFCGI", dependencies: ["TaskFCGIKit"]),
        // A throw-away PostgreSQL server for the tests (Debian's postgresql package).
        .target(name: "TestPostgres", path: "Tests/TestPostgres"),
        .testTarget(name: "TaskFCGIKitTests", dependencies: ["TaskFCGIKit", "TestPostgres"]),
        // Starts the real `taskfcgi` binary (and nginx) as a user would.
        .testTarget(name: "IntegrationTests", dependencies: ["TaskFCGIKit", "TestPostgres"]),
    ],
    swiftLanguageModes: [.v6]
)
