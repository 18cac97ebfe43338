import Foundation
import Testing
@testable import TaskFCGIKit

/// Writes `text` as `taskfcgi.json` in a fresh folder, loads it, and removes the folder afterwards.
private func load(_ text: String, cores: Int = 4, label: String = #function) throws -> Config {
    let folder = try makeTempFolder(label)
    defer { removeFolder(folder) }
    let file = folder + "/taskfcgi.json"
    try text.write(toFile: file, atomically: true, encoding: .utf8)
    return try Config.load(path: file, cores: cores)
}

/// The `ConfigError` that loading `text` throws, checked to name the config file.
private func configError(_ text: String, label: String = #function) throws -> ConfigError {
    let folder = try makeTempFolder(label)
    defer { removeFolder(folder) }
    let file = folder + "/taskfcgi.json"
    try text.write(toFile: file, atomically: true, encoding: .utf8)
    let error = try #require(throws: ConfigError.self) { try Config.load(path: file) }
    #expect(error.file == file)
    #expect(error.description.hasPrefix(file + ": "))
    return error
}

/// The purge job's `retain`, as the job decoded it from its own section.
private func purgeRetain(_ config: Config) -> Interval? {
    (JobRegistry.jobs(for: config).first { $0.job.name == "purgeCompletedTasks" }?.job as? PurgeCompletedTasks)?.retain
}

/// A minimal valid config with `extra` members added to the top-level object.
private func config(_ extra: String = "") -> String {
    """
    {
        "connectionString": "tasks.db",
        "logPath": "taskfcgi.log"\(extra.isEmpty ? "" : ",\n    " + extra)
    }
    """
}

@Suite struct ConfigErrorTests {
    @Test func unknownTopLevelKeyIsNamedWithHint() throws {
        let error = try configError(config(#""thraeds": 4"#))
        #expect(error.key == "thraeds")
        #expect(error.problem.contains("unknown key"))
        #expect(error.problem.contains(#"did you mean "threads"?"#))
        #expect(error.description.contains(": thraeds: "))
    }

    @Test func unknownKeyFarFromAnyGivesNoHint() throws {
        let error = try configError(config(#""colour": "blue""#))
        #expect(error.key == "colour")
        #expect(!error.problem.contains("did you mean"))
    }

    /// Found by the config fuzz target: a key starting with a combining mark merged with the
    /// space before it, and a tab in a key reached the message raw.
    @Test func unknownKeyWithCombiningMarksAndControlsIsQuotedAndEscaped() throws {
        let error = try configError(config("\"\u{308}\u{308}\\t.on\": 1"))
        #expect(error.key == #""\u{308}\u{308}\u{9}.on""#)
        #expect(error.problem.contains("unknown key"))
    }

    @Test func unknownNestedKeyIsNamedByDottedPath() throws {
        let error = try configError(config(#""jobs": { "completeDueTasks": { "intervl": "1m" } }"#))
        #expect(error.key == "jobs.completeDueTasks.intervl")
        #expect(error.problem.contains(#"did you mean "interval"?"#))
    }

    @Test func unknownJobIsNamed() throws {
        let error = try configError(config(#""jobs": { "sendMail": {} }"#))
        #expect(error.key == "jobs.sendMail")
    }

    @Test func threadsAsStringIsRefused() throws {
        let error = try configError(config(#""threads": "4""#))
        #expect(error.key == "threads")
        #expect(error.problem.contains("expected a whole number, found a string"))
    }

    @Test func threadsOutOfRangeIsRefused() throws {
        let error = try configError(config(#""threads": 0"#))
        #expect(error.key == "threads")
        #expect(error.problem.contains("out of range"))
    }

    @Test func logLevelAsNumberIsRefused() throws {
        let error = try configError(config(#""logLevel": 3"#))
        #expect(error.key == "logLevel")
        #expect(error.problem.contains("expected a string, found a number"))
    }

    @Test func unknownLogLevelIsRefused() throws {
        let error = try configError(config(#""logLevel": "verbose""#))
        #expect(error.key == "logLevel")
        #expect(error.problem.contains("\"verbose\""))
    }

    @Test func jobsAsArrayIsRefused() throws {
        let error = try configError(config(#""jobs": []"#))
        #expect(error.key == "jobs")
        #expect(error.problem.contains("expected an object, found an array"))
    }

    @Test(arguments: ["5x", "0s", "-1m", "", "1.5h", "5 m", "m"])
    func badDurationIsRefused(_ text: String) throws {
        let error = try configError(config(#""jobs": { "completeDueTasks": { "interval": "\#(text)" } }"#))
        #expect(error.key == "jobs.completeDueTasks.interval")
        #expect(error.problem.contains("\"\(text)\" is not a duration"))
    }

    @Test func badRetainIsNamed() throws {
        let error = try configError(config(#""jobs": { "purgeCompletedTasks": { "retain": "forever" } }"#))
        #expect(error.key == "jobs.purgeCompletedTasks.retain")
    }

    @Test func badBusyTimeoutIsNamed() throws {
        let error = try configError(config(#""busyTimeout": "5""#))
        #expect(error.key == "busyTimeout")
    }

    @Test func enabledMustBeABool() throws {
        let error = try configError(config(#""jobs": { "purgeCompletedTasks": { "enabled": "no" } }"#))
        #expect(error.key == "jobs.purgeCompletedTasks.enabled")
        #expect(error.problem.contains("expected true or false"))
    }

    @Test func unknownTimeZoneIsRefused() throws {
        let error = try configError(config(#""timeZone": "Europe/Atlantis""#))
        #expect(error.key == "timeZone")
        #expect(error.problem.contains("Europe/Atlantis"))
    }

    @Test func missingConnectionStringIsNamed() throws {
        let error = try configError(#"{ "logPath": "taskfcgi.log" }"#)
        #expect(error.key == "connectionString")
        #expect(error.problem.contains("required"))
    }

    @Test func emptyConnectionStringIsNamed() throws {
        let error = try configError(#"{ "connectionString": "", "logPath": "taskfcgi.log" }"#)
        #expect(error.key == "connectionString")
        #expect(error.problem.contains("must not be empty"))
    }

    @Test func missingLogPathIsNamed() throws {
        let error = try configError(#"{ "connectionString": "tasks.db" }"#)
        #expect(error.key == "logPath")
        #expect(error.problem.contains("required"))
    }

    @Test func invalidJSONNamesTheFile() throws {
        let error = try configError(#"{ "connectionString": "tasks.db", "#)
        #expect(error.key == nil)
        #expect(error.problem.contains("is not valid JSON"))
    }

    @Test func topLevelArrayIsRefused() throws {
        let error = try configError("[]")
        #expect(error.key == nil)
        #expect(error.problem.contains("expected an object"))
    }

    @Test func missingFileNamesTheFile() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = folder + "/nowhere.json"
        let error = try #require(throws: ConfigError.self) { try Config.load(path: file) }
        #expect(error.file == file)
        #expect(error.key == nil)
        #expect(error.problem.contains("does not exist"))
    }

    @Test func badIPv4HostIsRefused() throws {
        for listen in ["localhost:9000", "256.1.2.3:9000", "127.0.0:9000"] {
            let error = try configError(config(#""listen": "\#(listen)""#))
            #expect(error.key == "listen", "\(listen)")
            #expect(error.problem.contains("is not an IPv4 address"), "\(listen)")
        }
    }

    @Test func badPortIsRefused() throws {
        for listen in ["127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:"] {
            let error = try configError(config(#""listen": "\#(listen)""#))
            #expect(error.key == "listen", "\(listen)")
            #expect(error.problem.contains("is not a port number"), "\(listen)")
        }
    }

    @Test func overlongSocketPathIsRefused() throws {
        let error = try configError(config(#""listen": "/\#(String(repeating: "s", count: 120))""#))
        #expect(error.key == "listen")
    }

    @Test func cronAndIntervalTogetherAreRefused() throws {
        let error = try configError(config(#""jobs": { "purgeCompletedTasks": { "interval": "1h", "cron": "@daily" } }"#))
        #expect(error.key == "jobs.purgeCompletedTasks.cron")
        #expect(error.problem.contains("either \"interval\" or \"cron\""))
    }

    @Test func badCronNamesTheKeyAndTheField() throws {
        let error = try configError(config(#""jobs": { "purgeCompletedTasks": { "cron": "0 25 * * *" } }"#))
        #expect(error.key == "jobs.purgeCompletedTasks.cron")
        #expect(error.problem == "field 2 (hour): 25 is out of range 0–23")
        #expect("\(error)".hasSuffix("jobs.purgeCompletedTasks.cron: field 2 (hour): 25 is out of range 0–23"))
    }

    @Test(arguments: [("0 0 30 2 *", "February has no day 30"), ("0 0 31 4 *", "April has no day 31"),
                      ("0 0 30,31 2 *", "February has no day 30 or 31")])
    func neverMatchingCronIsRefusedWithTheKeyAndWhy(_ text: String, _ why: String) throws {
        let error = try configError(config(#""jobs": { "completeDueTasks": { "cron": "# + "\"\(text)\"" + " } }"))
        #expect(error.key == "jobs.completeDueTasks.cron")
        #expect(error.problem == "never matches: " + why)
    }

    @Test func unknownMisfirePolicyIsRefused() throws {
        let error = try configError(config(#""jobs": { "completeDueTasks": { "misfire": "twice" } }"#))
        #expect(error.key == "jobs.completeDueTasks.misfire")
        #expect(error.problem.contains("once, skip"))
    }

    @Test(arguments: ["0", "-5", "\"1000\"", "1.5"])
    func historyMustBeAWholeNumberFromOne(_ value: String) throws {
        let error = try configError(config(#""jobs": { "history": "# + value + " }"))
        #expect(error.key == "jobs.history")
    }

    @Test func timeoutBelow100msIsRefused() throws {
        let error = try configError(config(#""jobs": { "completeDueTasks": { "timeout": "99ms" } }"#))
        #expect(error.key == "jobs.completeDueTasks.timeout")
        #expect(error.problem == "99ms is too short; a run's time limit is at least 100ms")
    }

    @Test func exitCodeIsEXConfig() {
        #expect(ConfigError.exitCode == 78)
    }
}

@Suite struct ConfigSuccessTests {
    @Test func defaults() throws {
        let config = try load(config(), cores: 4)
        #expect(config.threads == 8)
        #expect(config.logLevel == .info)
        #expect(config.maxBodyBytes == 1 << 20)
        #expect(config.busyTimeout == .seconds(5))
        #expect(config.jobs["completeDueTasks"] == JobSettings(enabled: true, trigger: .every(.minutes(5))))
        #expect(config.jobs["purgeCompletedTasks"] == JobSettings(enabled: true, trigger: .cron(try CronExpression(parsing: "@daily"))))
        #expect(purgeRetain(config) == .days(30))
        #expect(config.jobHistory == 1000)
        #expect(config.listen == .inherited)
    }

    @Test func threadsDefaultIsAtLeastTwo() throws {
        #expect(try load(config(), cores: 1).threads == 2)
        #expect(try load(config(), cores: 3).threads == 6)
    }

    @Test func everyKeyIsRead() throws {
        let config = try load(config("""
            "threads": 3, "logLevel": "debug", "timeZone": "Europe/Berlin", "maxBodyBytes": 4096,
            "busyTimeout": "250ms", "listen": "127.0.0.1:9000",
            "jobs": {
                "completeDueTasks": { "interval": "30s" },
                "purgeCompletedTasks": { "enabled": false, "interval": "1h", "retain": "7d", "misfire": "skip" }
            }
            """))
        #expect(config.threads == 3)
        #expect(config.logLevel == .debug)
        #expect(config.zone.identifier == "Europe/Berlin")
        #expect(config.maxBodyBytes == 4096)
        #expect(config.busyTimeout == .milliseconds(250))
        #expect(config.listen == .tcp(host: "127.0.0.1", port: 9000))
        // The section as written rides along for the job's own keys.
        let complete = config.jobs["completeDueTasks"], purge = config.jobs["purgeCompletedTasks"]
        #expect(complete == JobSettings(enabled: true, trigger: .every(.seconds(30)), options: complete?.options))
        #expect(purge == JobSettings(enabled: false, trigger: .every(.hours(1)), misfire: .skip, options: purge?.options))
        #expect(purgeRetain(config) == .days(7))
    }

    @Test func timeoutsAreReadWithDocumentedDefaults() throws {
        let short = try load(config(#""jobs": { "purgeCompletedTasks": { "timeout": "100ms" } }"#))
        let jobs = Dictionary(uniqueKeysWithValues: JobRegistry.jobs(for: short).map { ($0.job.name, $0.timeout) })
        #expect(jobs == ["completeDueTasks": Interval.minutes(1), "purgeCompletedTasks": Interval.milliseconds(100)])
        let plain = try load(config())
        let defaults = Dictionary(uniqueKeysWithValues: JobRegistry.jobs(for: plain).map { ($0.job.name, $0.timeout) })
        #expect(defaults == ["completeDueTasks": Interval.minutes(1), "purgeCompletedTasks": Interval.minutes(10)])
    }

    @Test func historyIsRead() throws {
        #expect(try load(config(#""jobs": { "history": 1 }"#)).jobHistory == 1)
        #expect(try load(config(#""jobs": { "history": 25000 }"#)).jobHistory == 25000)
    }

    @Test func cronScheduleIsRead() throws {
        let config = try load(config(#""jobs": { "purgeCompletedTasks": { "cron": "0 3 * * *", "misfire": "skip" } }"#))
        #expect(config.jobs["purgeCompletedTasks"]?.trigger == .cron(try CronExpression(parsing: "0 3 * * *")))
        #expect(config.jobs["purgeCompletedTasks"]?.trigger.description == "cron 0 3 * * *")
        #expect(config.jobs["purgeCompletedTasks"]?.misfire == .skip)
        #expect(config.jobs["completeDueTasks"]?.misfire == .once)
    }

    @Test func json5CommentsAndTrailingCommasAreAccepted() throws {
        let config = try load("""
            // The worker's config.
            {
                /* where the tasks live */
                "connectionString": "tasks.db",
                "logPath": "taskfcgi.log", // the shared log
                "jobs": { "completeDueTasks": { "interval": "1m", }, },
            }
            """)
        #expect(config.jobs["completeDueTasks"]?.trigger == .every(.minutes(1)))
    }

    @Test func relativePathsResolveAgainstTheConfigFolder() throws {
        let folder = try makeTempFolder("rel")  // short: a socket path has at most 107 bytes
        defer { removeFolder(folder) }
        let file = folder + "/etc/taskfcgi.json"
        try FileManager.default.createDirectory(atPath: folder + "/etc", withIntermediateDirectories: true)
        try """
            { "connectionString": "../data/tasks.db", "logPath": "logs/taskfcgi.log", "listen": "run/taskfcgi.sock" }
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let config = try Config.load(path: file)
        #expect(config.file == file)
        #expect(config.folder == folder + "/etc")
        #expect(config.connectionString == folder + "/data/tasks.db")
        #expect(config.logPath == folder + "/etc/logs/taskfcgi.log")
        #expect(config.listen == .unix(path: folder + "/etc/run/taskfcgi.sock"))
    }

    @Test func absolutePathsAreKept() throws {
        let config = try load("""
            { "connectionString": "/srv/tasks/tasks.db", "logPath": "/var/log/taskfcgi.log", "listen": "/run/taskfcgi.sock" }
            """)
        #expect(config.connectionString == "/srv/tasks/tasks.db")
        #expect(config.logPath == "/var/log/taskfcgi.log")
        #expect(config.listen == .unix(path: "/run/taskfcgi.sock"))
    }

    @Test(arguments: ["file:tasks.db?mode=rwc", "file:/srv/tasks.db"])
    func uriConnectionStringsAreLeftAsIs(_ location: String) throws {
        let config = try load(#"{ "connectionString": "\#(location)", "logPath": "-" }"#)
        #expect(config.connectionString == location)
        #expect(config.logPath == "-")
    }

    @Test(arguments: [":memory:", "file:x?mode=memory"])
    func inMemoryDatabasesAreRefused(_ location: String) throws {
        let error = try configError(#"{ "connectionString": "\#(location)", "logPath": "-" }"#)
        #expect(error.key == "connectionString")
        #expect(error.problem.contains("in-memory"))
    }

    @Test func tcpListenAddress() throws {
        let config = try load(config(#""listen": "127.0.0.1:9000""#))
        #expect(config.listen == .tcp(host: "127.0.0.1", port: 9000))
        #expect(config.listen.description == "127.0.0.1:9000")
    }

    @Test func oneAndZeroAreNumbersNotBooleans() throws {
        #expect(try load(config(#""threads": 1"#)).threads == 1)
        let error = try configError(config(#""jobs": { "completeDueTasks": { "enabled": 0 } }"#))
        #expect(error.key == "jobs.completeDueTasks.enabled")
    }

    @Test func nullMeansDefault() throws {
        let config = try load(config(#""threads": null, "logLevel": null"#), cores: 2)
        #expect(config.threads == 4)
        #expect(config.logLevel == .info)
    }
}

@Suite struct StartupTests {
    /// Writes a config with these two values into a fresh folder; returns the folder and the file.
    private func writeConfig(connection: String, logPath: String, in folder: String) throws -> String {
        let file = folder + "/taskfcgi.json"
        try #"{ "connectionString": "\#(connection)", "logPath": "\#(logPath)" }"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func preparesLogAndMigratedDatabase() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = try writeConfig(connection: "tasks.db", logPath: "taskfcgi.log", in: folder)
        let environment = try Startup.prepare(configPath: file)
        #expect(environment.config.connectionString == folder + "/tasks.db")
        #expect(environment.storage.backend == "sqlite")
        let db = try Connection(location: environment.config.connectionString)
        let names = try db.rows("SELECT name FROM schema_migrations ORDER BY name") { $0.text(0) }
        #expect(names == Schema.migrations.map(\.name))
        let log = try String(contentsOfFile: folder + "/taskfcgi.log", encoding: .utf8)
        #expect(log.contains("[db] applied migration 001-create-tasks"))
    }

    @Test func nonexistentLogFolderIsALogPathError() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = try writeConfig(connection: "tasks.db", logPath: "missing/taskfcgi.log", in: folder)
        let error = try #require(throws: ConfigError.self) { try Startup.prepare(configPath: file) }
        #expect(error.file == file)
        #expect(error.key == "logPath")
        #expect(error.problem.contains(folder + "/missing/taskfcgi.log"))
    }

    @Test func unwritableLogFolderIsALogPathError() throws {
        // Tests may run as root, which writes anywhere; a regular file as the "folder" fails for everyone.
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        try "".write(toFile: folder + "/notAFolder", atomically: true, encoding: .utf8)
        let file = try writeConfig(connection: "tasks.db", logPath: "notAFolder/taskfcgi.log", in: folder)
        let error = try #require(throws: ConfigError.self) { try Startup.prepare(configPath: file) }
        #expect(error.key == "logPath")
    }

    @Test func unopenableDatabaseIsAConnectionStringError() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = try writeConfig(connection: "missing/tasks.db", logPath: "taskfcgi.log", in: folder)
        let error = try #require(throws: ConfigError.self) { try Startup.prepare(configPath: file) }
        #expect(error.file == file)
        #expect(error.key == "connectionString")
        #expect(error.problem.contains(folder + "/missing/tasks.db"))
    }

    @Test func databaseFromANewerVersionIsAConnectionStringError() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let db = try Connection(location: folder + "/tasks.db")
        try Schema.migrate(db, now: Instant(milliseconds: 0))
        try db.run("INSERT INTO schema_migrations (name, applied_at) VALUES ('999-from-the-future', 0)")
        let file = try writeConfig(connection: "tasks.db", logPath: "taskfcgi.log", in: folder)
        let error = try #require(throws: ConfigError.self) { try Startup.prepare(configPath: file) }
        #expect(error.key == "connectionString")
        #expect(error.problem.contains("999-from-the-future"))
    }

    @Test func configErrorsPassThrough() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let error = try #require(throws: ConfigError.self) { try Startup.prepare(configPath: folder + "/none.json") }
        #expect(error.key == nil)
    }
}
