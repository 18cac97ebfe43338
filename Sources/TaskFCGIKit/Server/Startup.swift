import Foundation

/// What the worker needs once the config has been validated: the log and a migrated database.
public struct Environment: Sendable {
    public let config: Config
    public let log: Log
    /// The one connection every store writes tasks through.
    let writer: SharedWriter

    /// Opens a new connection for one thread, as every thread does for its reads.
    public func openConnection() throws -> Connection { try Self.connection(config) }

    static func connection(_ config: Config) throws -> Connection {
        try Connection(location: config.connectionString,
                       busyTimeoutMilliseconds: Int32(clamping: config.busyTimeout.milliseconds))
    }

    /// A store on a new connection, writing through the shared writer.
    public func openStore() throws -> SQLiteTaskStore { SQLiteTaskStore(try openConnection(), writer: writer) }

    /// A thread's two stores, tasks and jobs, on one new connection.
    public func openStores() throws -> (SQLiteTaskStore, SQLiteJobStore) {
        let connection = try openConnection()
        return (SQLiteTaskStore(connection, writer: writer), SQLiteJobStore(connection, writer: writer))
    }
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
        do {
            let db = try Environment.connection(config)
            let ran = try Schema.migrate(db, now: clock.now())
            for name in ran { log.info("db", "applied migration \(name)") }
            return Environment(config: config, log: log, writer: SharedWriter(try Environment.connection(config)))
        } catch {
            throw ConfigError(file: config.file, key: "connectionString",
                              problem: "cannot open the database \(config.connectionString): \(error)")
        }
    }
}
