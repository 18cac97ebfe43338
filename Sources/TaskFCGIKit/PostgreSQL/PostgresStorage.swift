#if PostgreSQL
/// PostgreSQL: a server several hosts share. Each thread has its own connection; statements are
/// bounded by `busyTimeout` (statement and lock timeouts), and the job thread is woken by
/// LISTEN/NOTIFY when any host creates or moves a task.
public struct PostgresStorage: Storage {
    let conninfo: String
    let password: String?
    let busyTimeout: Interval
    public var events: TaskEvents? = nil

    public var displayed: String { DatabaseLocation.postgres(conninfo).displayed }
    public var backend: String { "postgresql" }
    /// Notifications are read without a round trip, so the job thread can look often.
    public var watchInterval: Interval { .milliseconds(50) }

    /// Connects, checks the server's version and applies the migrations it lacks (logging each).
    public static func open(_ conninfo: String, password: String?, busyTimeout: Interval, log: Log,
                            now: Instant, events: TaskEvents? = nil) throws -> PostgresStorage {
        let storage = PostgresStorage(conninfo: conninfo, password: password, busyTimeout: busyTimeout, events: events)
        let db = try storage.connect()
        for name in try PostgresSchema.migrate(db, now: now) { log.info("db", "applied migration \(name)") }
        return storage
    }

    func connect() throws -> PGConnection {
        let limit = busyTimeout.milliseconds
        return try PGConnection(conninfo: conninfo, password: password, setup: [
            "SET statement_timeout = \(limit)", "SET lock_timeout = \(limit)",
            "SET idle_in_transaction_session_timeout = \(max(limit * 4, 60_000))",
        ])
    }

    public func openStores() throws -> (TaskStore, JobStore) {
        let db = try connect()
        return (PostgresTaskStore(db, events: events), PostgresJobStore(db))
    }

    public func close(log: Log) {}
}
#endif
