#if PostgreSQL
/// The job store on PostgreSQL. Lease times are the database server's clock, so hosts whose
/// clocks disagree still agree on who holds the lease. A fenced batch's check is an UPDATE of the
/// lease row: its row lock is held until the batch commits, so a takeover (an UPDATE of the same
/// row) waits for that commit and then finds a new holder's lease, never a half-finished batch.
public final class PostgresJobStore: JobStore {
    let db: PGConnection
    private let watch = PGWatch(channel: "taskfcgi_tasks")
    private lazy var queueStore = PostgresQueueStore(db)

    public init(_ db: PGConnection) { self.db = db }

    /// Unix milliseconds by the server's clock (not the transaction's start: a batch may be long).
    private static let serverNow = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

    private static let leaseColumns = "holder, pid, host, machine, generation, acquired_at, expires_at"

    private static func lease(_ row: PGRow) -> Lease {
        Lease(holder: row.text(0), pid: Int(row.int(1)), host: row.text(2), machine: row.text(3), generation: row.int(4),
              acquiredAt: Instant(milliseconds: row.int(5)), expiresAt: Instant(milliseconds: row.int(6)))
    }

    public func currentLease() throws -> Lease? {
        try db.firstRow("SELECT \(Self.leaseColumns) FROM job_lease WHERE id = 1", [], map: Self.lease)
    }

    public func takeLease(_ claim: Lease, replacing expected: Lease?, expiredAt now: Instant?) throws -> Lease? {
        let ttl = claim.expiresAt.since(claim.acquiredAt).milliseconds
        let who: [SQLValue] = [.text(claim.holder), .int(Int64(claim.pid)), .text(claim.host), .text(claim.machine),
                               .int((expected?.generation ?? 0) + 1), .int(ttl)]
        guard let expected else {
            return try db.firstRow("""
                INSERT INTO job_lease (id, holder, pid, host, machine, generation, acquired_at, expires_at)
                VALUES (1, ?1, ?2, ?3, ?4, ?5, \(Self.serverNow), \(Self.serverNow) + ?6)
                ON CONFLICT (id) DO NOTHING RETURNING \(Self.leaseColumns)
                """, who, map: Self.lease)
        }
        // The compare-and-swap: only the exact row read, and only once it has expired by the
        // server's clock (unless its holder is known dead).
        return try db.firstRow("""
            UPDATE job_lease SET holder = ?1, pid = ?2, host = ?3, machine = ?4, generation = ?5,
                acquired_at = \(Self.serverNow), expires_at = \(Self.serverNow) + ?6
            WHERE id = 1 AND holder = ?7 AND generation = ?8 AND (?9 = 0 OR expires_at <= \(Self.serverNow))
            RETURNING \(Self.leaseColumns)
            """, who + [.text(expected.holder), .int(expected.generation), .int(now == nil ? 0 : 1)], map: Self.lease)
    }

    public func renewLease(_ fence: Fence, now: Instant) throws -> Bool {
        try Self.renew(db, fence)
    }

    /// The fence: one statement that checks the lease is ours and unexpired, and extends it.
    private static func renew(_ db: PGConnection, _ fence: Fence) throws -> Bool {
        try db.run("""
            UPDATE job_lease SET expires_at = \(serverNow) + ?3
            WHERE id = 1 AND holder = ?1 AND generation = ?2 AND expires_at > \(serverNow)
            """, [.text(fence.holder), .int(fence.generation), .int(fence.ttl.milliseconds)]) == 1
    }

    public func releaseLease(_ fence: Fence) throws {
        try db.run("UPDATE job_lease SET expires_at = 0 WHERE id = 1 AND holder = ? AND generation = ?",
                   [.text(fence.holder), .int(fence.generation)])
    }

    public func fenced<T: Sendable>(_ fence: Fence, now: Instant, _ body: (any SQLExecutor) throws -> T) throws -> T {
        try fencedHere(fence) { db in try body(db) }
    }

    private func fencedHere<T>(_ fence: Fence, _ body: (PGConnection) throws -> T) throws -> T {
        try db.transaction {
            guard try Self.renew(db, fence) else { throw LeaseLost(generation: fence.generation) }
            return try body(db)
        }
    }

    public func schedules() throws -> [String: ScheduleState] { try JobRecordsSQL.schedules(db) }

    public func saveSchedule(_ state: ScheduleState, fence: Fence, now: Instant) throws {
        try fencedHere(fence) { db in try JobRecordsSQL.upsert(db, state, now: now) }
    }

    public func claim(slot: Instant, _ state: ScheduleState, fence: Fence, now: Instant) throws -> Int? {
        try fencedHere(fence) { db in try JobRecordsSQL.claim(db, slot: slot, state, fence: fence, now: now) }
    }

    public func finish(_ run: JobRun, fence: Fence, now: Instant, keep: Int) throws {
        guard run.outcome != .leaseLost else { return }
        try fencedHere(fence) { db in try JobRecordsSQL.finish(db, run, fence: fence, now: now, keep: keep) }
    }

    public func pause(_ job: String, _ pause: JobPause, fresh: ScheduleState, now: Instant) throws -> JobPause {
        try db.transaction { try JobPauseSQL.pause(db, job, pause, fresh: fresh, now: now) }
    }

    public func resume(_ job: String, now: Instant, onlyIfExpired: Bool) throws -> JobPause? {
        try db.transaction { try JobPauseSQL.resume(db, job, now: now, onlyIfExpired: onlyIfExpired) }
    }

    public func pauses() throws -> [String: JobPause] { try JobPauseSQL.pauses(db) }

    public func recentRuns(job: String, limit: Int) throws -> [JobRun] { try JobRecordsSQL.recentRuns(db, job: job, limit: limit) }

    public func recentLateness(limit: Int) throws -> [Int64] { try JobRecordsSQL.recentLateness(db, limit: limit) }

    /// A NOTIFY from any host's task write since the last call (the first call starts listening),
    /// or a reconnect since then (see `PGWatch`).
    public func changedElsewhere() throws -> Bool { try watch.changed(db) }

    /// The queue on this connection.
    public var queue: any QueueStore { queueStore }
}
#endif
