/// The queue on one thread's connection: reads there, writes as that backend writes (SQLite
/// through the process's shared writer). Every job store has one (`JobStore.queue`), so the
/// queue threads, the pages and the API use the connections their threads already hold.
public protocol QueueStore: AnyObject {
    var dialect: SQLDialect { get }
    /// Where reads run.
    var reader: any SQLExecutor { get }
    /// Runs `body` in one write transaction.
    func write<T: Sendable>(_ body: (any SQLExecutor) throws -> T) throws -> T
    /// True when another connection or host may have queued work since the last call (SQLite: a
    /// commit elsewhere; PostgreSQL: a NOTIFY on `taskfcgi_queue`, or a reconnect).
    func changedElsewhere() throws -> Bool
}

extension QueueStore {
    /// Queues `job` in a transaction of its own (callers with a transaction of their own use
    /// `QueueSQL.enqueue` on its executor); nil when a live job holds its unique key.
    public func enqueue(_ job: NewQueueJob, now: Instant) throws -> Int64? {
        try write { db in try QueueSQL.enqueue(db, job, now: now) }
    }

    public func nextRunAt(kinds: [String]) throws -> Instant? { try QueueSQL.nextRunAt(reader, dialect, kinds: kinds) }

    public func claim(kinds: [String], token: String, now: Instant, until: Instant) throws -> ClaimedJob? {
        let dialect = self.dialect
        return try write { db in try QueueSQL.claim(db, dialect, kinds: kinds, token: token, now: now, until: until) }
    }

    /// Records the end of an attempt; false when the claim was lost (nothing written).
    public func finish(_ job: ClaimedJob, state: QueueState, runAt: Instant?, error: String?, now: Instant) throws -> Bool {
        try write { db in
            try QueueSQL.finish(db, id: job.id, token: job.token, state: state, runAt: runAt, error: error,
                                attempt: job.attempt, now: now)
        }
    }

    func claims() throws -> [QueueSQL.Claim] { try QueueSQL.claims(reader) }

    func rescue(_ claim: QueueSQL.Claim, reason: String, now: Instant) throws -> Bool {
        try write { db in try QueueSQL.rescue(db, claim, reason: reason, now: now) }
    }

    public func counts() throws -> QueueCounts { try QueueSQL.counts(reader) }
    public func list(states: [QueueState], limit: Int) throws -> [QueuedJob] { try QueueSQL.list(reader, states: states, limit: limit) }
    public func upcoming(limit: Int) throws -> [QueuedJob] { try QueueSQL.upcoming(reader, dialect, limit: limit) }
    public func job(id: Int64) throws -> QueuedJob? { try QueueSQL.job(reader, id: id) }
    public func retry(id: Int64, now: Instant) throws -> Bool { try write { db in try QueueSQL.retry(db, id: id, now: now) } }
    public func discard(id: Int64, now: Instant) throws -> Bool { try write { db in try QueueSQL.discard(db, id: id, now: now) } }
    public func prune(before cutoff: Instant, limit: Int) throws -> Int {
        try write { db in try QueueSQL.prune(db, before: cutoff, limit: limit) }
    }
}

/// The queue on SQLite: reads on the thread's connection, writes through the shared writer.
final class SQLiteQueueStore: QueueStore {
    let db: Connection
    let writes: Writes
    private var dataVersion: Int64?

    init(db: Connection, writes: Writes) { (self.db, self.writes) = (db, writes) }

    var dialect: SQLDialect { .sqlite }
    var reader: any SQLExecutor { db }

    func write<T: Sendable>(_ body: (any SQLExecutor) throws -> T) throws -> T {
        try writes.run { db in try db.transaction { try body(db) } }
    }

    func changedElsewhere() throws -> Bool {
        // data_version moves only for commits made through other connections (the shared writer's too).
        let version = try db.firstRow("PRAGMA data_version", []) { $0.int(0) }
        defer { dataVersion = version }
        return dataVersion == nil || version != dataVersion
    }
}
