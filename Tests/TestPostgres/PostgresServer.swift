import Foundation
import Glibc

/// A throw-away PostgreSQL server for tests: `initdb` in a temporary folder (as the `postgres` user
/// when running as root, since the server refuses to run as root), listening on 127.0.0.1 and a free
/// port, with fsync off; stopped and removed by `stop()`. The binaries come from Debian's
/// `postgresql` package.
public final class PostgresServer: @unchecked Sendable {
    public let folder: String
    public let port: Int
    private let asRoot: Bool
    /// The `-c` settings given at creation, reused by every `start()`.
    private let extraSettings: [String]
    private var databases = 0
    private let lock = NSLock()

    /// The folder with `initdb` and `pg_ctl`, or nil when PostgreSQL is not installed.
    public static var binaries: String? {
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base))?.sorted { $0.count == $1.count ? $0 > $1 : $0.count > $1.count } ?? []
        return versions.map { "\(base)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl") }
    }

    /// One server for the whole test process, started on first use and stopped at exit.
    public static let shared: PostgresServer? = {
        guard binaries != nil, let server = try? PostgresServer() else { return nil }
        sharedForExit = server
        atexit { PostgresServer.sharedForExit?.kill() }
        return server
    }()
    nonisolated(unsafe) private static var sharedForExit: PostgresServer?

    /// Initializes and starts a new server; `extraSettings` go to the server's command line
    /// (`-c name=value`), e.g. for replication.
    public convenience init(extraSettings: [String] = []) throws {
        try self.init(extraSettings: extraSettings) { server, bin in
            try server.runAsOwner(bin + "/initdb", ["-D", server.folder + "/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        }
    }

    /// A streaming replica of `primary` (a hot standby until `promote()`): its data folder is a
    /// `pg_basebackup -R` of the primary, which needs a replication connection (initdb's trust
    /// pg_hba allows one from 127.0.0.1, and `wal_level` is `replica` by default). The checkpoint it
    /// starts from is taken at once: the default spread one takes minutes on an idle server.
    public convenience init(replicaOf primary: PostgresServer) throws {
        try self.init(extraSettings: []) { server, bin in
            try server.runAsOwner(bin + "/pg_basebackup", ["-D", server.folder + "/data", "-R", "-X", "stream", "--no-sync", "--checkpoint=fast",
                                                           "-h", "127.0.0.1", "-p", "\(primary.port)", "-U", "postgres"])
        }
    }

    private init(extraSettings: [String], makeData: (PostgresServer, String) throws -> Void) throws {
        guard let bin = Self.binaries else { throw ServerError("PostgreSQL is not installed (Debian: postgresql)") }
        asRoot = getuid() == 0
        self.extraSettings = extraSettings
        folder = FileManager.default.temporaryDirectory.path + "/tfcgi-pg-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if asRoot { try Self.run("/bin/chown", ["postgres:postgres", folder]) }
        port = try Self.freePort()
        try makeData(self, bin)
        try start()
    }

    /// Starts (or restarts) the server on its port, with the settings it was created with, and
    /// waits until it accepts connections.
    public func start() throws {
        let settings = ["listen_addresses=127.0.0.1", "port=\(port)", "fsync=off", "unix_socket_directories=\(folder)",
                        "max_connections=200"] + extraSettings
        try runAsOwner(Self.binaries! + "/pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "30",
                                                    "-o", settings.map { "-c \($0)" }.joined(separator: " "), "start"])
    }

    /// Stops the server (fast: disconnects clients, no waiting for them).
    public func stopServer(mode: String = "fast") {
        try? runAsOwner(Self.binaries! + "/pg_ctl", ["-D", folder + "/data", "-m", mode, "-w", "-t", "30", "stop"])
    }

    /// Turns a replica into a primary and waits until it accepts writes.
    public func promote() throws {
        try runAsOwner(Self.binaries! + "/pg_ctl", ["-D", folder + "/data", "-w", "-t", "30", "promote"])
    }

    /// Puts `line` first in pg_hba.conf (the first matching line decides) and reloads the server.
    public func prependHBA(_ line: String) throws {
        let path = folder + "/data/pg_hba.conf"
        let current = try String(contentsOfFile: path, encoding: .utf8)
        // Written in place (not replaced), so the file keeps its owner, the postgres user.
        try (line + "\n" + current).write(toFile: path, atomically: false, encoding: .utf8)
        try psql("SELECT pg_reload_conf()")
    }

    /// Stops the server with signals only (at process exit, where Foundation's Process cannot wait)
    /// and removes its folder: SIGQUIT is PostgreSQL's immediate shutdown.
    public func kill() {
        let pidFile = (try? String(contentsOfFile: folder + "/data/postmaster.pid", encoding: .utf8)) ?? ""
        if let pid = pidFile.split(separator: "\n").first.flatMap({ Int32($0) }) {
            Glibc.kill(pid, SIGQUIT)
            for _ in 0..<250 where Glibc.kill(pid, 0) == 0 { usleep(20_000) }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Stops the server and removes its folder.
    public func stop() {
        stopServer(mode: "immediate")
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A connection string for the superuser on `database`.
    public func conninfo(_ database: String = "postgres") -> String {
        "host=127.0.0.1 port=\(port) user=postgres dbname=\(database)"
    }

    /// Creates a new empty database; returns its connection string.
    public func createDatabase() throws -> String { conninfo(try createDatabaseNamed()) }

    /// Creates a new empty database; returns its name.
    public func createDatabaseNamed() throws -> String {
        let name = lock.withLock { databases += 1; return "t\(databases)_\(getpid())" }
        try psql("CREATE DATABASE \(name)")
        return name
    }

    /// Runs SQL with psql against `database`; returns its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Self.run(Self.binaries!.replacingOccurrences(of: "/bin", with: "") + "/bin/psql",
                     ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres",
                      "-d", database, "-c", sql])
    }

    private func runAsOwner(_ executable: String, _ arguments: [String]) throws {
        if asRoot { try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments) } else {
            try Self.run(executable, arguments)
        }
    }

    /// Runs a program to its end and returns its output; throws with its errors when it fails.
    /// posix_spawn and waitpid rather than Foundation's Process, whose reaping of children stalls in
    /// test processes here (the child stays a zombie and `isRunning` stays true).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let base = FileManager.default.temporaryDirectory.path + "/tfcgi-pg-run-" + UUID().uuidString
        defer { unlink(base + ".out"); unlink(base + ".err") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Files, not pipes: pg_ctl's server inherits them and would keep a pipe open forever.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ServerError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let out = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let err = FileManager.default.contents(atPath: base + ".err") ?? Data()
        guard status == 0 else {
            throw ServerError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) == 0 && getsockname(fd, $0, &size) == 0 }
        }
        guard bound else { throw ServerError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Why the test server could not do what was asked.
    public struct ServerError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
