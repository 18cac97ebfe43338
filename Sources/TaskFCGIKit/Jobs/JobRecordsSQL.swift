/// The statements for job schedules and run records, written once for every backend (portable SQL
/// with `?` placeholders through `SQLExecutor`); each store runs them inside its own fenced
/// transaction. The lease's statements differ per backend (whose clock decides expiry), the rest
/// does not.
enum JobRecordsSQL {
    static func schedules(_ db: any SQLExecutor) throws -> [String: ScheduleState] {
        let rows = try db.query("""
            SELECT job, schedule, next_run, last_slot, last_outcome, last_generation, last_holder, misfires, skipped,
                \(JobPauseSQL.columns) FROM job_schedule
            """)
        return Dictionary(rows.map { row in
            var state = ScheduleState(
                job: row[0].text ?? "", schedule: row[1].text ?? "", nextRun: Instant(milliseconds: row[2].int ?? 0),
                lastSlot: row[3].int.map(Instant.init(milliseconds:)), lastOutcome: row[4].text.flatMap(RunOutcome.init(rawValue:)),
                lastGeneration: row[5].int, lastHolder: row[6].text, misfires: Int(row[7].int ?? 0))
            (state.skipped, state.pause) = (Int(row[8].int ?? 0), JobPauseSQL.pause(row, at: 9))
            return (state.job, state)
        }, uniquingKeysWith: { first, _ in first })
    }

    static func upsert(_ db: any SQLExecutor, _ state: ScheduleState, now: Instant) throws {
        try db.run("""
            INSERT INTO job_schedule (job, schedule, next_run, last_slot, last_outcome, last_generation, last_holder, misfires,
                updated_at, skipped)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            ON CONFLICT (job) DO UPDATE SET schedule = ?2, next_run = ?3, last_slot = ?4, last_outcome = ?5,
                last_generation = ?6, last_holder = ?7, misfires = ?8, updated_at = ?9, skipped = ?10
            """, [.text(state.job), .text(state.schedule), .int(state.nextRun.milliseconds),
                  state.lastSlot.map { .int($0.milliseconds) } ?? .null, state.lastOutcome.map { .text($0.rawValue) } ?? .null,
                  state.lastGeneration.map(SQLValue.int) ?? .null, state.lastHolder.map(SQLValue.text) ?? .null,
                  .int(Int64(state.misfires)), .int(now.milliseconds), .int(Int64(state.skipped))])
    }

    /// See `JobStore.claim`; runs inside the caller's fenced transaction.
    static func claim(_ db: any SQLExecutor, slot: Instant, _ state: ScheduleState, fence: Fence, now: Instant) throws -> Int? {
        // The pause is checked under the same lock as the claim: a pause committed first always wins.
        try JobPauseSQL.refuseIfPaused(db, job: state.job, now: now)
        let key: [SQLValue] = [.text(state.job), .int(slot.milliseconds)]
        let earlier = try db.query("SELECT outcome, attempts FROM job_runs WHERE job = ? AND slot = ?", key).first
        let lastSlot = try db.query("SELECT last_slot FROM job_schedule WHERE job = ?", [.text(state.job)]).first?.first?.int
        var moved = state
        (moved.lastSlot, moved.lastOutcome) = (slot, .running)
        (moved.lastGeneration, moved.lastHolder) = (fence.generation, fence.holder)
        let attempt: Int?
        if let earlier {
            // A slot that ran to the end never runs again; an interrupted one is resumed.
            let attempts = Int(earlier[1].int ?? 1)
            attempt = earlier[0].text == RunOutcome.ok.rawValue ? nil : attempts + 1
            if let attempt {
                try db.run("UPDATE job_runs SET generation = ?3, holder = ?4, outcome = 'running', attempts = ?5 WHERE job = ?1 AND slot = ?2",
                           key + [.int(fence.generation), .text(fence.holder), .int(Int64(attempt))])
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
        try upsert(db, moved, now: now)
        return attempt
    }

    /// See `JobStore.finish`; runs inside the caller's fenced transaction.
    static func finish(_ db: any SQLExecutor, _ run: JobRun, fence: Fence, now: Instant, keep: Int) throws {
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
        try prune(db, job: run.job, keep: keep)
    }

    /// The statement that trims one job's history to its newest `keep` runs. Both parts walk
    /// `job_runs_by_job (job, id)`: the subquery steps `keep` entries back from the newest, the
    /// delete ranges over what lies before; so after every run it removes the one or two rows that
    /// fell off the end, whatever the table's size. A slot still running stays, so the next holder
    /// can resume it.
    static let pruneSQL = """
        DELETE FROM job_runs WHERE job = ?1 AND outcome <> 'running' AND id <=
            (SELECT id FROM job_runs WHERE job = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)
        """

    /// Trims `job`'s history to its newest `keep` runs (at least one is always kept).
    static func prune(_ db: any SQLExecutor, job: String, keep: Int) throws {
        try db.run(pruneSQL, [.text(job), .int(Int64(max(keep, 1)))])
    }

    static func recentRuns(_ db: any SQLExecutor, job: String, limit: Int) throws -> [JobRun] {
        try db.query("""
            SELECT job, started_at, duration_us, affected, error, slot, kind, generation, holder, outcome, attempts
            FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?
            """, [.text(job), .int(Int64(limit))]).map { row in
            var run = JobRun(job: row[0].text ?? "", startedAt: Instant(milliseconds: row[1].int ?? 0),
                             durationMicroseconds: row[2].int ?? 0, affected: Int(row[3].int ?? 0), error: row[4].text)
            run.slot = row[5].int.map(Instant.init(milliseconds:))
            run.kind = row[6].text.flatMap(RunKind.init(rawValue:)) ?? .schedule
            (run.generation, run.holder) = (row[7].int ?? 0, row[8].text ?? "")
            run.outcome = row[9].text.flatMap(RunOutcome.init(rawValue:)) ?? .ok
            run.attempts = Int(row[10].int ?? 1)
            return run
        }
    }

    static func recentLateness(_ db: any SQLExecutor, limit: Int) throws -> [Int64] {
        try db.query("SELECT action_at - due_at FROM tasks WHERE completed = 1 ORDER BY due_at DESC LIMIT ?",
                     [.int(Int64(limit))]).compactMap { $0.first?.int }
    }
}
