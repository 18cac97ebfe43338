/// A database backend as the worker uses it: opened and migrated once at start, then a pair of
/// stores per thread, and a last step at a clean stop.
public protocol Storage: Sendable {
    /// The location as logs and pages show it (passwords masked).
    var displayed: String { get }
    /// The backend's name for `/status` and metrics: `sqlite` or `postgresql`.
    var backend: String { get }
    /// How often the job thread looks for tasks written by other processes.
    var watchInterval: Interval { get }
    /// A thread's task and job stores, on a connection of its own.
    func openStores() throws -> (TaskStore, JobStore)
    /// The last step of a clean stop.
    func close(log: Log)
    /// Where the stores queue webhook deliveries for task changes (nil: no webhooks).
    var events: TaskEvents? { get }
}

/// SQLite: one file; each thread reads on its own connection and writes through the process's
/// one shared write connection.
public struct SQLiteStorage: Storage {
    public let location: String
    let busyTimeout: Interval
    let writer: SharedWriter
    /// Where the stores queue webhook deliveries for task changes (nil: no webhooks).
    public let events: TaskEvents?

    public var displayed: String { location }
    public var backend: String { "sqlite" }
    /// `PRAGMA data_version` is cheap: a look every 250 ms.
    public var watchInterval: Interval { .milliseconds(250) }

    /// Opens the file, applies the migrations it lacks (logging each) and opens the write connection.
    public static func open(_ location: String, busyTimeout: Interval, log: Log, now: Instant,
                            events: TaskEvents? = nil) throws -> SQLiteStorage {
        let db = try connect(location, busyTimeout)
        for name in try Schema.migrate(db, now: now) { log.info("db", "applied migration \(name)") }
        return SQLiteStorage(location: location, busyTimeout: busyTimeout, writer: SharedWriter(try connect(location, busyTimeout)),
                             events: events)
    }

    private static func connect(_ location: String, _ busyTimeout: Interval) throws -> Connection {
        try Connection(location: location, busyTimeoutMilliseconds: Int32(clamping: busyTimeout.milliseconds))
    }

    public func openStores() throws -> (TaskStore, JobStore) {
        let connection = try Self.connect(location, busyTimeout)
        return (SQLiteTaskStore(connection, writer: writer, events: events), SQLiteJobStore(connection, writer: writer))
    }

    /// Folds what it can of the WAL back into the database file. PASSIVE never waits for readers
    /// or writers (nor calls the busy handler): another process holding the database cannot stretch
    /// the stop past its budget; the next checkpoint finishes the rest.
    public func close(log: Log) {
        do { try Self.connect(location, busyTimeout).execute("PRAGMA wal_checkpoint(PASSIVE)") } catch {
            log.warning("db", "WAL checkpoint at exit failed: \(error)")
        }
    }
}
