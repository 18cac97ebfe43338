/// The job store on SQLite: reads on its own connection, writes through the process's shared
/// writer when it has one. SQLite runs one write transaction at a time, so a fenced batch's lease
/// check and its writes commit together, strictly before or after any takeover.
public final class SQLiteJobStore: JobStore {
    /// The connection, for callers that need SQLite itself (tests).
    public let db: Connection
    /// Where this store's writes go (the audit extension writes through it too).
    let writes: Writes
    private var dataVersion: Int64?
    private lazy var queueStore = SQLiteQueueStore(db: db, writes: writes)

    public init(_ db: Connection, writer: SharedWriter? = nil) {
        self.db = db
        writes = Writes(db: db, writer: writer)
    }

    /// The queue on this connection.
    public var queue: any QueueStore { queueStore }

    private static let leaseColumns = "holder, pid, host, machine, generation, acquired_at, expires_at"

    public func currentLease() throws -> Lease? {
        try db.firstRow("SELECT \(Self.leaseColumns) FROM job_lease WHERE id = 1") { row in
            Lease(holder: row.text(0), pid: Int(row.int(1)), host: row.text(2), machine: row.text(3), generation: row.int(4),
                  acquiredAt: Instant(milliseconds: row.int(5)), expiresAt: Instant(milliseconds: row.int(6)))
        }
    }

    public func takeLease(_ claim: Lease, replacing expected: Lease?, expiredAt now: Instant?) throws -> Lease? {
        var taken = claim
        taken.generation = (expected?.generation ?? 0) + 1
        let values: [SQLValue] = [.text(claim.holder), .int(Int64(claim.pid)), .text(claim.host), .text(claim.machine),
                                  .int(taken.generation), .int(claim.acquiredAt.milliseconds), .int(claim.expiresAt.milliseconds)]
        let changed = try writes.run { db in
            guard let expected else {
                return try db.run("""
                    INSERT INTO job_lease (id, holder, pid, host, machine, generation, acquired_at, expires_at)
                    VALUES (1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
                    """, values)
            }
            // The compare-and-swap: only the exact row we read (holder and generation) is replaced.
            return try db.run("""
                UPDATE job_lease SET holder = ?1, pid = ?2, host = ?3, machine = ?4, generation = ?5,
                    acquired_at = ?6, expires_at = ?7
                WHERE id = 1 AND holder = ?8 AND generation = ?9 AND expires_at <= ?10
                """, values + [.text(expected.holder), .int(expected.generation), .int(now?.milliseconds ?? .max)])
        }
        return changed == 1 ? taken : nil
    }

    public func renewLease(_ fence: Fence, now: Instant) throws -> Bool {
        try writes.run { db in try Self.renew(db, fence, now: now) }
    }

    /// The fence itself: one statement that both checks and extends the lease.
    private static func renew(_ db: Connection, _ fence: Fence, now: Instant) throws -> Bool {
        try db.run("""
            UPDATE job_lease SET expires_at = ?4
            WHERE id = 1 AND holder = ?1 AND generation = ?2 AND expires_at > ?3
            """, [.text(fence.holder), .int(fence.generation), .int(now.milliseconds),
                  .int(now.adding(fence.ttl).milliseconds)]) == 1
    }

    public func releaseLease(_ fence: Fence) throws {
        // The row stays, so the next generation still counts on from this one.
        _ = try writes.run { db in
            try db.run("UPDATE job_lease SET expires_at = 0 WHERE id = 1 AND holder = ? AND generation = ?",
                       [.text(fence.holder), .int(fence.generation)])
        }
    }

    public func fenced<T: Sendable>(_ fence: Fence, now: Instant, _ body: (any SQLExecutor) throws -> T) throws -> T {
        try fencedHere(fence, now: now, body)
    }

    /// `fenced`, with the connection itself for this store's own statements.
    private func fencedHere<T: Sendable>(_ fence: Fence, now: Instant, _ body: (Connection) throws -> T) throws -> T {
        try writes.run { db in
            try db.transaction {
                guard try Self.renew(db, fence, now: now) else { throw LeaseLost(generation: fence.generation) }
                return try body(db)
            }
        }
    }

    public func schedules() throws -> [String: ScheduleState] { try JobRecordsSQL.schedules(db) }

    public func saveSchedule(_ state: ScheduleState, fence: Fence, now: Instant) throws {
        try fencedHere(fence, now: now) { db in try JobRecordsSQL.upsert(db, state, now: now) }
    }

    public func claim(slot: Instant, _ state: ScheduleState, fence: Fence, now: Instant) throws -> Int? {
        try fencedHere(fence, now: now) { db in try JobRecordsSQL.claim(db, slot: slot, state, fence: fence, now: now) }
    }

    public func finish(_ run: JobRun, fence: Fence, now: Instant, keep: Int) throws {
        // A run that lost the lease cannot write: its slot stays "running" for the next holder to resume.
        guard run.outcome != .leaseLost else { return }
        try fencedHere(fence, now: now) { db in try JobRecordsSQL.finish(db, run, fence: fence, now: now, keep: keep) }
    }

    public func pause(_ job: String, _ pause: JobPause, fresh: ScheduleState, now: Instant) throws -> JobPause {
        try writes.run { db in try db.transaction { try JobPauseSQL.pause(db, job, pause, fresh: fresh, now: now) } }
    }

    public func resume(_ job: String, now: Instant, onlyIfExpired: Bool) throws -> JobPause? {
        try writes.run { db in try db.transaction { try JobPauseSQL.resume(db, job, now: now, onlyIfExpired: onlyIfExpired) } }
    }

    public func pauses() throws -> [String: JobPause] { try JobPauseSQL.pauses(db) }

    public func recentRuns(job: String, limit: Int) throws -> [JobRun] { try JobRecordsSQL.recentRuns(db, job: job, limit: limit) }

    public func recentLateness(limit: Int) throws -> [Int64] { try JobRecordsSQL.recentLateness(db, limit: limit) }

    public func changedElsewhere() throws -> Bool {
        // data_version moves only for commits made through other connections.
        let version = try db.firstRow("PRAGMA data_version", []) { $0.int(0) }
        defer { dataVersion = version }
        return dataVersion != nil && version != dataVersion
    }
}
