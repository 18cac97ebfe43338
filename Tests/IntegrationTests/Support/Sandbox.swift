import Foundation

/// One test's world: a unique temp folder holding the config, database, log, socket and the
/// output of every process the test started. `close()` (also run by `deinit`) stops every process
/// — SIGTERM, then SIGKILL — and removes the folder, whether or not the test passed.
/// Set `TASKFCGI_KEEP_TEMP=1` to keep the folders for a post-mortem. With `postgres`, the workers
/// use that database instead of the file, and `sql` goes through psql.
final class Sandbox: @unchecked Sendable {
    let folder: String
    /// The PostgreSQL database the workers share, or nil for this folder's SQLite file.
    let postgres: PostgresDatabase?
    var databasePath: String { folder + "/tasks.db" }
    var logPath: String { folder + "/taskfcgi.log" }
    var socketPath: String { folder + "/taskfcgi.sock" }
    var configPath: String { folder + "/taskfcgi.json" }

    private var children: [ChildProcess] = []
    private var nginxes: [Nginx] = []
    private var closed = false

    init(postgres: PostgresDatabase? = nil) throws {
        self.postgres = postgres
        // Short and canonical: a unix socket path must stay under 108 bytes.
        var base = FileManager.default.temporaryDirectory.resolvingSymlinksInPath().path
        if base.utf8.count > 40 { base = "/tmp" }
        let path = base + "/tfcgi-it-" + UUID().uuidString.prefix(13).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // The worker (and nginx's worker process) must be able to reach into the folder.
        chmod(path, 0o755)
        folder = path
    }

    deinit { close() }

    /// Stops everything this sandbox started (newest first) and removes the folder.
    func close() {
        guard !closed else { return }
        closed = true
        for nginx in nginxes.reversed() { nginx.stop() }
        for child in children.reversed() { child.stop() }
        if ProcessInfo.processInfo.environment["TASKFCGI_KEEP_TEMP"] == nil {
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    // MARK: Config

    /// The base config: this folder's database (or the PostgreSQL one), log and socket, UTC, 4 threads.
    var baseConfig: [String: Any] {
        ["connectionString": postgres?.connectionString ?? databasePath, "logPath": logPath, "listen": socketPath, "timeZone": "UTC", "threads": 4]
    }

    /// Writes the base config merged with `overrides` (nested objects merge; `NSNull()` removes a key).
    @discardableResult
    func writeConfig(_ overrides: [String: Any] = [:], to path: String? = nil) throws -> String {
        let path = path ?? configPath
        let document = Sandbox.merge(baseConfig, overrides)
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func merge(_ base: [String: Any], _ overrides: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in overrides {
            if value is NSNull {
                result[key] = nil
            } else if let nested = value as? [String: Any] {
                result[key] = merge(result[key] as? [String: Any] ?? [:], nested)
            } else {
                result[key] = value
            }
        }
        return result
    }

    // MARK: Processes

    /// Starts a process and registers it for cleanup.
    func start(_ name: String, _ executable: String, _ arguments: [String], stdin: FileHandle? = nil,
               environment: [String: String]? = nil) throws -> ChildProcess {
        let child = try ChildProcess(name: name, executable: executable, arguments: arguments, folder: folder,
                                     environment: environment, stdin: stdin)
        children.append(child)
        return child
    }

    /// Runs `taskfcgi ARGUMENTS` to completion (for --version, --check-config, refused starts).
    func runTaskfcgi(_ arguments: [String], timeout: Double = 10) throws -> ChildProcess {
        let child = try start("taskfcgi-run", try Tools.taskfcgi(), arguments)
        if child.waitForExit(timeout) == nil {
            child.stop(grace: 1)
            throw HarnessError("taskfcgi \(arguments.joined(separator: " ")) did not exit within \(timeout) s")
        }
        return child
    }

    /// Starts the worker on `config` and waits until its socket exists (it listens from then on).
    /// With `umask`, the worker is started through `sh -c 'umask …; exec …'` (same pid).
    func startWorker(config: String? = nil, socket: String? = nil, umask: String? = nil) throws -> ChildProcess {
        let binary = try Tools.taskfcgi()
        let config = config ?? configPath
        let worker: ChildProcess
        if let umask {
            worker = try start("worker", "/bin/sh", ["-c", "umask \(umask) && exec \"$0\" --config \"$1\"", binary, config])
        } else {
            worker = try start("worker", binary, ["--config", config])
        }
        let socket = socket ?? socketPath
        let ready = waitUntil(10) { Sandbox.isSocket(socket) || !worker.isRunning }
        guard ready, worker.isRunning else {
            worker.stop(grace: 1)
            throw HarnessError("the worker did not create \(socket) within 10 s (\(worker.ending.map { "\($0)" } ?? "still running")); stderr:\n\(worker.stderr)\nlog:\n\(log)")
        }
        return worker
    }

    /// Starts nginx in front of `socket` (see `Nginx`) and waits until its port answers.
    /// `upstream` replaces the unix socket with any `fastcgi_pass` target (a TCP `HOST:PORT`).
    func startNginx(socket: String? = nil, upstream: String? = nil, clientMaxBodySize: String = "1m",
                    keepConnections: Bool = true) throws -> Nginx {
        let nginx = try Nginx.start(folder: folder, upstream: upstream ?? "unix:" + (socket ?? socketPath),
                                    clientMaxBodySize: clientMaxBodySize, keepConnections: keepConnections)
        nginxes.append(nginx)
        return nginx
    }

    // MARK: Files

    static func isSocket(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & 0o170000) == 0o140000
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The shared log as text (empty if it does not exist yet).
    var log: String { Sandbox.read(logPath) }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// The log's lines.
    var logLines: [String] { log.split(separator: "\n").map(String.init) }

    /// The last `count` log lines, for failure messages.
    func logTail(_ count: Int = 30) -> String {
        logLines.suffix(count).joined(separator: "\n")
    }

    /// Sum of N over `[job:completeDueTasks] completed N task(s)` lines in `text`.
    static func completedByJob(_ text: String) -> Int {
        var total = 0
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: "[job:completeDueTasks] completed ") else { continue }
            let rest = line[range.upperBound...]
            if let number = Int(rest.prefix { $0.isNumber }) { total += number }
        }
        return total
    }

    // MARK: Database

    /// Runs SQL with the sqlite3 CLI (waiting up to 5 s for locks), or psql on PostgreSQL, and
    /// returns the rows, columns split on `|`.
    @discardableResult
    func sql(_ statement: String) throws -> [[String]] {
        if let postgres { return try postgres.sql(statement) }
        let child = try ChildProcess.run("sqlite3", try Tools.sqlite3(),
                                         ["-batch", "-bail", "-cmd", ".timeout 5000", databasePath, statement],
                                         folder: folder)
        guard child.ending == .exited(0) else {
            throw HarnessError("sqlite3 \"\(statement)\" failed (\(child.ending!)): \(child.stderr)")
        }
        return child.stdout.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The single integer a query returns.
    func sqlInt(_ statement: String) throws -> Int {
        let rows = try sql(statement)
        guard let text = rows.first?.first, let value = Int(text) else {
            throw HarnessError("\"\(statement)\" returned \(rows), not one integer")
        }
        return value
    }

    /// How many rows the tasks table holds.
    func taskCount() throws -> Int { try sqlInt("SELECT count(*) FROM tasks") }

    /// SQL string literal for `text`.
    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
