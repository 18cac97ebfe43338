import Foundation

/// What the worker needs once the config has been validated: the log and a migrated database.
public struct Environment: Sendable {
    public let config: Config
    public let log: Log
    public let storage: any Storage

    /// A thread's task and job stores, on a connection of its own.
    public func openStores() throws -> (TaskStore, JobStore) { try storage.openStores() }
}

/// Everything validated before the worker starts, each failure reported as a `ConfigError` (exit 78).
public enum Startup {
    /// Loads the config, opens the log and opens and migrates the database.
    public static func prepare(configPath: String, clock: any WallClock = SystemClock()) throws -> Environment {
        let config = try Config.load(path: configPath)
        let log: Log
        do { log = try Log(path: config.logPath, level: config.logLevel, format: config.logFormat, clock: clock) } catch {
            throw ConfigError(file: config.file, key: "logPath", problem: "\(error)")
        }
        return Environment(config: config, log: log, storage: try openStorage(config, log: log, now: clock.now()))
    }

    /// Opens and migrates the database the config names, on the backend it names.
    static func openStorage(_ config: Config, log: Log, now: Instant) throws -> any Storage {
        let failure = { (error: Error) in
            ConfigError(file: config.file, key: "connectionString",
                        problem: "cannot open the database \(config.database.displayed): \(error)")
        }
        switch config.database {
        case .sqlite(let location):
            do {
                return try SQLiteStorage.open(location, busyTimeout: config.busyTimeout, log: log, now: now,
                                              events: QueueRegistry.taskEvents(for: config))
            } catch {
                throw failure(error)
            }
        case .postgres(let conninfo):
            #if PostgreSQL
            do {
                return try PostgresStorage.open(conninfo, password: config.password, busyTimeout: config.busyTimeout,
                                                log: log, now: now, events: QueueRegistry.taskEvents(for: config))
            } catch { throw failure(error) }
            #else
            _ = conninfo
            throw ConfigError(file: config.file, key: "connectionString",
                              problem: "names a PostgreSQL server, but this taskfcgi was built without PostgreSQL support; build it with `swift build -c release --traits PostgreSQL` (needs Debian's libpq-dev)")
            #endif
        }
    }
}
