import Foundation

/// Where the FastCGI responder listens.
public enum ListenAddress: Equatable, Sendable, CustomStringConvertible {
    /// A unix socket at this absolute path, created by the worker with mode 0660.
    case unix(path: String)
    /// A TCP port on an IPv4 address (loopback unless configured otherwise).
    case tcp(host: String, port: UInt16)
    /// A socket handed over by spawn-fcgi (fd 0) or systemd (`LISTEN_FDS`, fd 3).
    case inherited

    public var description: String {
        switch self {
        case .unix(let path): return "unix:\(path)"
        case .tcp(let host, let port): return "\(host):\(port)"
        case .inherited: return "inherited socket"
        }
    }
}

/// When a job runs and whether at all.
public struct JobSettings: Equatable, Sendable {
    public var enabled: Bool
    /// Its slots: `interval` or `cron` in the config.
    public var trigger: JobTrigger
    /// What happens to slots that passed while no worker held the lease.
    public var misfire: MisfirePolicy = .once
    /// `timeout`: its run's time limit; nil: the job's default.
    public var timeout: Interval? = nil
    /// The whole `jobs.NAME` section as written, for the job's own keys (`JobOptions`).
    var options: JSONValue? = nil
}

/// The whole configuration: one file read by both halves of the worker.
public struct Config: Sendable {
    /// The config file itself (absolute), named in every error.
    public var file: String
    /// The SQLite location handed to `sqlite3_open_v2` (relative paths made absolute; a file, never
    /// `:memory:`, which each connection would see empty), or a PostgreSQL connection string as given.
    public var connectionString: String
    /// Which backend `connectionString` names.
    public var database: DatabaseLocation
    /// The PostgreSQL password read from `passwordFile`, if any; never logged or shown.
    public var password: String?
    /// The shared log's absolute path, or `-` for stderr.
    public var logPath: String
    public var listen: ListenAddress
    /// Request threads.
    public var threads: Int
    /// The zone due dates are entered and shown in.
    public var zone: Zone
    public var logLevel: LogLevel
    /// `text` lines for people, or one JSON object a line for log shippers.
    public var logFormat: LogFormat = .text
    /// Whether requests and job runs are counted for `/metrics` (off only to measure what counting costs).
    public var metrics = true
    /// Largest request body accepted; larger ones get 413 unread.
    public var maxBodyBytes: Int
    /// How long a statement waits for another writer before giving up (then 503).
    public var busyTimeout: Interval
    /// Each known job's settings, by name (`JobRegistry.known`).
    public var jobs: [String: JobSettings]
    /// How long the job lease lasts without renewal: a stand-by takes over this soon after the
    /// holder dies.
    public var leaseTTL: Interval
    /// How many runs each job's history keeps (`jobs.history`), trimmed after each of its runs.
    public var jobHistory = JobRunner.defaultHistory
    /// The whole stop, from SIGTERM to exit: drain, requests in flight, the job thread, checkpoint.
    public var stopTimeout: Interval
    /// Addresses or CIDR ranges (IPv4 or IPv6) allowed to connect to a TCP `listen` (nginx hosts);
    /// nil: any, which only a loopback `listen` may have.
    public var trustedProxies: [String]?
    /// The connections' deadlines and how many may be open (`EdgeSettings.swift`).
    public var connections = ConnectionSettings()
    /// The htpasswd file (`htpasswd -B` lines) whose users may use the operator routes from any
    /// address; nil: operator routes answer loopback clients only.
    public var operators: String?
    /// A file holding the bearer token that lets a scraper read `/metrics` (and nothing else).
    public var metricsToken: String?
    /// The queue threads (`queue.concurrency`) and how long finished jobs are kept (`queue.retain`).
    public var queue = JobQueue.Settings()
    /// The sections queued job kinds own (`webhooks`), as written: each kind decodes its own
    /// (`QueueRegistry`), and the load checks them all.
    var sections: [String: JSONValue] = [:]

    /// Keys accepted at the top level (anything else is refused by name).
    static let keys = ["connectionString", "passwordFile", "logPath", "listen", "threads", "timeZone", "logLevel", "logFormat",
                       "metrics", "maxBodyBytes", "busyTimeout", "jobs", "stopTimeout", "trustedProxies",
                       "operators", "metricsToken", "queue"] + ConnectionSettings.keys + QueueRegistry.sections

    /// The folder relative paths in the file are resolved against.
    public var folder: String { (file as NSString).deletingLastPathComponent }
}

extension Config {
    /// Reads and validates the config file at `path` (relative paths resolve against the working folder).
    /// Does not touch the database or the log; `Startup` opens those and reports their errors the same way.
    public static func load(path: String, cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Config {
        let file = absolute(path, from: FileManager.default.currentDirectoryPath)
        guard let data = FileManager.default.contents(atPath: file) else {
            let reason = FileManager.default.fileExists(atPath: file) ? "cannot be read (permissions?)" : "does not exist"
            throw ConfigError(file: file, key: nil, problem: "the config file \(reason)")
        }
        let document: JSONValue
        do { document = try JSONValue.parse([UInt8](data)) } catch {
            throw ConfigError(file: file, key: nil, problem: "is not valid JSON5: \(error)")
        }
        return try parse(document, file: file, cores: cores)
    }

    static func parse(_ document: JSONValue, file: String, cores: Int) throws -> Config {
        let root = try ConfigReader(document, file: file, path: "", allowed: keys)
        let folder = (file as NSString).deletingLastPathComponent

        let connection = try root.requiredString("connectionString")
        let database = try databaseLocation(connection, folder: folder, root: root)
        let password = try root.string("passwordFile").map { try readPassword($0, folder: folder, root: root) }
        if password != nil, case .sqlite = database {
            throw root.error("passwordFile", "is only for a PostgreSQL connectionString; a SQLite file has no password")
        }
        let logPath = try root.requiredString("logPath")
        let zone = try root.string("timeZone").map { name in
            guard let zone = Zone(identifier: name) else {
                throw root.error("timeZone", "\"\(name)\" is not a known IANA time zone (e.g. Europe/Berlin, UTC)")
            }
            return zone
        } ?? Zone.current
        let level = try root.string("logLevel").map { name in
            guard let level = LogLevel(name: name) else {
                throw root.error("logLevel", "\"\(name)\" is not one of debug, info, warning, error")
            }
            return level
        } ?? .info
        let format = try root.string("logFormat").map { name in
            guard let format = LogFormat(rawValue: name) else { throw root.error("logFormat", "\"\(name)\" is not one of text, json") }
            return format
        } ?? .text

        let jobs = try root.object("jobs", allowed: JobRegistry.known.map(\.name) + ["leaseTTL", "history"])
        var settings: [String: JobSettings] = [:]
        for job in JobRegistry.known {
            settings[job.name] = try jobSettings(jobs, job.name, default: job.defaultTrigger, extra: job.extraKeys)
        }
        let listen = try root.string("listen").map { try listenAddress($0, folder: folder, root: root) } ?? .inherited
        let trusted = try trustedProxies(root, listen: listen)
        var config = Config(
            file: file,
            connectionString: database.connectionString,
            database: database,
            password: password,
            logPath: logPath == "-" ? "-" : absolute(logPath, from: folder),
            listen: listen,
            threads: try root.integer("threads", in: 1...512) ?? max(2, 2 * cores),
            zone: zone,
            logLevel: level,
            logFormat: format,
            metrics: try root.bool("metrics") ?? true,
            maxBodyBytes: try root.integer("maxBodyBytes", in: 1024...(1 << 30)) ?? (1 << 20),
            busyTimeout: try root.interval("busyTimeout") ?? .seconds(5),
            jobs: settings,
            leaseTTL: try jobs?.interval("leaseTTL") ?? .seconds(15),
            jobHistory: try jobs?.integer("history", in: 1...Int(Int32.max)) ?? JobRunner.defaultHistory,
            stopTimeout: try stopTimeout(root),
            trustedProxies: trusted,
            operators: try operatorFile("operators", root: root, folder: folder),
            metricsToken: try operatorFile("metricsToken", root: root, folder: folder))
        config.connections = try ConnectionSettings(root)
        config.queue = try queueSettings(root)
        for section in QueueRegistry.sections { config.sections[section] = root.fields[section] }
        try QueueRegistry.validate(config)
        // Each job decodes its own keys: a bad one stops the load here, named.
        for definition in JobRegistry.known { _ = try definition.job(for: config) }
        return config
    }

    private static func queueSettings(_ root: ConfigReader) throws -> JobQueue.Settings {
        var settings = JobQueue.Settings()
        guard let queue = try root.object("queue", allowed: ["concurrency", "retain"]) else { return settings }
        settings.concurrency = try queue.integer("concurrency", in: 1...64) ?? settings.concurrency
        if let retain = try queue.interval("retain") {
            guard retain >= .minutes(1) else { throw queue.error("retain", "\(retain) is too short; at least 1m") }
            settings.retain = retain
        }
        return settings
    }

    static let jobKeys = ["interval", "cron", "misfire", "enabled", "timeout"]

    private static func jobSettings(_ jobs: ConfigReader?, _ name: String, default trigger: JobTrigger,
                                    extra: [String] = []) throws -> JobSettings {
        guard let job = try jobs?.object(name, allowed: jobKeys + extra) else {
            return JobSettings(enabled: true, trigger: trigger)
        }
        let options = jobs?.fields[name]
        let interval = try job.interval("interval")
        let cron = try job.string("cron").map { text in
            do { return try CronExpression(parsing: text) } catch { throw job.error("cron", "\(error)") }
        }
        if interval != nil, cron != nil {
            throw job.error("cron", "give either \"interval\" or \"cron\", not both")
        }
        let misfire = try job.string("misfire").map { text in
            guard let policy = MisfirePolicy(rawValue: text) else {
                throw job.error("misfire", "\"\(text)\" is not one of once, skip")
            }
            return policy
        } ?? .once
        let timeout = try job.interval("timeout")
        if let timeout, timeout < ScheduledJob.minimumTimeout {
            throw job.error("timeout", "\(timeout) is too short; a run's time limit is at least \(ScheduledJob.minimumTimeout)")
        }
        return JobSettings(enabled: try job.bool("enabled") ?? true,
                           trigger: interval.map(JobTrigger.every) ?? cron.map(JobTrigger.cron) ?? trigger, misfire: misfire,
                           timeout: timeout, options: options)
    }

    private static func listenAddress(_ text: String, folder: String, root: ConfigReader) throws -> ListenAddress {
        if let colon = text.lastIndex(of: ":"), !text.contains("/") {
            let host = String(text[..<colon]), portText = text[text.index(after: colon)...]
            var address = in_addr()
            guard inet_pton(AF_INET, host, &address) == 1 else {
                throw root.error("listen", "\"\(host)\" is not an IPv4 address; use 127.0.0.1:PORT or a unix socket path")
            }
            guard let port = UInt16(portText), port > 0 else {
                throw root.error("listen", "\"\(portText)\" is not a port number (1…65535)")
            }
            return .tcp(host: host, port: port)
        }
        let path = absolute(text, from: folder)
        guard !text.isEmpty, !text.hasSuffix("/"), path != folder else {
            throw root.error("listen", "\"\(text)\" names a folder; give a socket file path such as taskfcgi.sock")
        }
        // sockaddr_un holds 108 bytes including the terminating NUL.
        guard path.utf8.count < 108 else {
            throw root.error("listen", "the socket path is \(path.utf8.count) bytes long; unix sockets allow at most 107")
        }
        return .unix(path: path)
    }

    /// A PostgreSQL connection string as given, or a SQLite file (never one private to each connection).
    private static func databaseLocation(_ text: String, folder: String, root: ConfigReader) throws -> DatabaseLocation {
        if DatabaseLocation.isPostgres(text) { return .postgres(text) }
        // SQLite gives each connection its own private database for these: the job thread and the
        // request threads would never see each other's tasks.
        let uriPath = text.hasPrefix("file:") ? text.dropFirst(5).prefix { $0 != "?" && $0 != "#" } : nil
        if text == ":memory:" || text.contains("mode=memory") || uriPath == ":memory:" || uriPath?.isEmpty == true {
            throw root.error("connectionString", "an in-memory or temporary database is private to each connection, so the job thread and the request threads would not share tasks; use a file")
        }
        return .sqlite(resolveDatabase(text, from: folder))
    }

    /// An operators or token file, made absolute and checked now, so a typo stops the start
    /// instead of locking every operator out.
    private static func operatorFile(_ key: String, root: ConfigReader, folder: String) throws -> String? {
        guard let path = try root.string(key) else { return nil }
        let file = absolute(path, from: folder)
        do { _ = try OperatorGate.load(operatorsFile: key == "operators" ? file : nil, metricsTokenFile: key == "operators" ? nil : file) } catch {
            throw root.error(key, "\(error)")
        }
        return file
    }

    /// The first line of the password file (relative to the config's folder).
    private static func readPassword(_ path: String, folder: String, root: ConfigReader) throws -> String {
        let file = absolute(path, from: folder)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw root.error("passwordFile", "\(file) cannot be read (missing, or no permission)")
        }
        let password = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) } ?? ""
        guard !password.isEmpty else { throw root.error("passwordFile", "\(file) is empty") }
        return password
    }

    /// A plain relative path is made absolute against the config's folder; `file:` URIs pass as-is.
    static func resolveDatabase(_ text: String, from folder: String) -> String {
        if text.hasPrefix("file:") { return text }
        return absolute(text, from: folder)
    }

    /// Lexical only (`..` and `.` removed): symlinks are followed when the file is opened, so a
    /// link swapped during a deploy is honoured.
    static func absolute(_ path: String, from folder: String) -> String {
        let joined = path.hasPrefix("/") ? path : folder + "/" + path
        return URL(fileURLWithPath: joined).standardized.path
    }
}
