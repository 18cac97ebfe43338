/// The job store on SQLite: reads on its own connection, writes through the process's shared
/// writer when it has one. SQLite runs one write transaction at a time, so a fenced batch's lease
/// check and its writes commit together, strictly before or after any takeover.
public final class SQLiteJobStore: JobStore {
    /// The connection, for callers that need SQLite itself (tests).
    public let db: Connection
    private let writes: Writes
    private var dataVersion: Int64?

    public init(_ db: Connection, writer: SharedWriter? = nil) {
        self.db = db
        writes = Writes(db: db, writer: writer)
    }

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

    public func schedules() throws -> [String: ScheduleState] {
        let rows = try db.rows("""
            SELECT job, schedule, next_run, last_slot, last_outcome, last_generation, last_holder, misfires FROM job_schedule
            """) { row in
            ScheduleState(job: row.text(0), schedule: row.text(1), nextRun: Instant(milliseconds: row.int(2)),
                          lastSlot: row.optionalInt(3).map(Instant.init(milliseconds:)),
                          lastOutcome: row.optionalText(4).flatMap(RunOutcome.init(rawValue:)),
                          lastGeneration: row.optionalInt(5), lastHolder: row.optionalText(6), misfires: Int(row.int(7)))
        }
        return Dictionary(rows.map { ($0.job, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func saveSchedule(_ state: ScheduleState, fence: Fence, now: Instant) throws {
        try fencedHere(fence, now: now) { db in try Self.upsert(db, state, now: now) }
    }

    private static func upsert(_ db: Connection, _ state: ScheduleState, now: Instant) throws {
        try db.run("""
            INSERT INTO job_schedule (job, schedule, next_run, last_slot, last_outcome, last_generation, last_holder, misfires, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT (job) DO UPDATE SET schedule = ?2, next_run = ?3, last_slot = ?4, last_outcome = ?5,
                last_generation = ?6, last_holder = ?7, misfires = ?8, updated_at = ?9
            """, [.text(state.job), .text(state.schedule), .int(state.nextRun.milliseconds),
                  state.lastSlot.map { .int($0.milliseconds) } ?? .null, state.lastOutcome.map { .text($0.rawValue) } ?? .null,
                  state.lastGeneration.map(SQLValue.int) ?? .null, state.lastHolder.map(SQLValue.text) ?? .null,
                  .int(Int64(state.misfires)), .int(now.milliseconds)])
    }

    public func claim(slot: Instant, _ state: ScheduleState, fence: Fence, now: Instant) throws -> Int? {
        try fencedHere(fence, now: now) { db -> Int? in
            let key: [SQLValue] = [.text(state.job), .int(slot.milliseconds)]
            let earlier = try db.firstRow("SELECT outcome, attempts FROM job_runs WHERE job = ? AND slot = ?", key) {
                (RunOutcome(rawValue: $0.text(0)), Int($0.int(1)))
            }
            let lastSlot = try db.firstRow("SELECT last_slot FROM job_schedule WHERE job = ?", [.text(state.job)]) {
                $0.optionalInt(0)
            } ?? nil
            var moved = state
            (moved.lastSlot, moved.lastOutcome) = (slot, .running)
            (moved.lastGeneration, moved.lastHolder) = (fence.generation, fence.holder)
            let attempt: Int?
            if let earlier {
                // A slot that ran to the end never runs again; an interrupted one is resumed.
                attempt = earlier.0 == .ok ? nil : earlier.1 + 1
                if attempt != nil {
                    try db.run("UPDATE job_runs SET generation = ?3, holder = ?4, outcome = 'running', attempts = ?5 WHERE job = ?1 AND slot = ?2",
                               key + [.int(fence.generation), .text(fence.holder), .int(Int64(earlier.1 + 1))])
                } else {
                    (moved.lastOutcome, moved.lastGeneration, moved.lastHolder) = (.ok, state.lastGeneration, state.lastHolder)
                }
            } else if let lastSlot, lastSlot > slot.milliseconds {
                return nil  // An older slot than one already claimed: its time has passed for good.
            } else {
                try db.run("""
                    INSERT INTO job_runs (job, slot, kind, generation, holder, started_at, duration_us, affected, outcome)
                    VALUES (?1, ?2, 'schedule', ?3, ?4, ?5, 0, 0, 'running')
                    """, key + [.int(fence.generation), .text(fence.holder), .int(now.milliseconds)])
                attempt = 1
            }
            try Self.upsert(db, moved, now: now)
            return attempt
        }
    }

    public func finish(_ run: JobRun, fence: Fence, now: Instant, keep: Int) throws {
        // A run that lost the lease cannot write: its slot stays "running" for the next holder to resume.
        guard run.outcome != .leaseLost else { return }
        try fencedHere(fence, now: now) { db in
            let result: [SQLValue] = [.int(run.durationMicroseconds), .int(Int64(run.affected)),
                                      run.error.map(SQLValue.text) ?? .null, .text(run.outcome.rawValue)]
            if let slot = run.slot {
                try db.run("""
                    UPDATE job_runs SET duration_us = ?1, affected = ?2, error = ?3, outcome = ?4
                    WHERE job = ?5 AND slot = ?6 AND generation = ?7
                    """, result + [.text(run.job), .int(slot.milliseconds), .int(fence.generation)])
                try db.run("UPDATE job_schedule SET last_outcome = ?, updated_at = ? WHERE job = ? AND last_slot = ?",
                           [.text(run.outcome.rawValue), .int(now.milliseconds), .text(run.job), .int(slot.milliseconds)])
            } else {
                try db.run("""
                    INSERT INTO job_runs (duration_us, affected, error, outcome, job, kind, generation, holder, started_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, result + [.text(run.job), .text(run.kind.rawValue), .int(fence.generation), .text(fence.holder),
                                   .int(run.startedAt.milliseconds)])
            }
            // Pruning one job's history past its newest `keep` runs is one indexed range delete; a
            // slot still running stays, so the next holder can resume it.
            if db.lastInsertID % 100 == 0 {
                try db.run("""
                    DELETE FROM job_runs WHERE job = ?1 AND outcome <> 'running' AND id <=
                        (SELECT id FROM job_runs WHERE job = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)
                    """, [.text(run.job), .int(Int64(keep))])
            }
        }
    }

    public func recentRuns(job: String, limit: Int) throws -> [JobRun] {
        try db.rows("""
            SELECT job, started_at, duration_us, affected, error, slot, kind, generation, holder, outcome, attempts
            FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?
            """, [.text(job), .int(Int64(limit))]) { row in
            var run = JobRun(job: row.text(0), startedAt: Instant(milliseconds: row.int(1)),
                             durationMicroseconds: row.int(2), affected: Int(row.int(3)), error: row.optionalText(4))
            run.slot = row.optionalInt(5).map(Instant.init(milliseconds:))
            run.kind = RunKind(rawValue: row.text(6)) ?? .schedule
            (run.generation, run.holder) = (row.int(7), row.text(8))
            run.outcome = RunOutcome(rawValue: row.text(9)) ?? .ok
            run.attempts = Int(row.int(10))
            return run
        }
    }

    public func recentLateness(limit: Int) throws -> [Int64] {
        try db.rows("SELECT action_at - due_at FROM tasks WHERE completed = 1 ORDER BY due_at DESC LIMIT ?",
                    [.int(Int64(limit))]) { $0.int(0) }
    }

    public func changedElsewhere() throws -> Bool {
        // data_version moves only for commits made through other connections.
        let version = try db.firstRow("PRAGMA data_version", []) { $0.int(0) }
        defer { dataVersion = version }
        return dataVersion != nil && version != dataVersion
    }
}
