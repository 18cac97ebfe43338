/// The statements behind pausing and resuming jobs, portable like `JobRecordsSQL`. They are not
/// fenced: pausing is an operator's act that any worker (or the command line, with no worker at
/// all) may do, and the holder checks it inside every fenced claim, so a slot claimed after the
/// pause committed cannot run.
enum JobPauseSQL {
    /// The pause's columns of `job_schedule`, in the order `pause(_:at:)` reads them.
    static let columns = "paused_at, paused_by, pause_reason, paused_until"

    /// The pause in four columns starting at `index` of `row`, or nil when it is not paused.
    static func pause(_ row: [SQLValue], at index: Int) -> JobPause? {
        guard row.count >= index + 4, let since = row[index].int else { return nil }
        return JobPause(since: Instant(milliseconds: since), by: row[index + 1].text ?? "", reason: row[index + 2].text,
                        until: row[index + 3].int.map(Instant.init(milliseconds:)))
    }

    /// See `JobStore.pauses`.
    static func pauses(_ db: any SQLExecutor) throws -> [String: JobPause] {
        let rows = try db.query("SELECT job, \(columns) FROM job_schedule WHERE paused_at IS NOT NULL", [])
        return Dictionary(rows.compactMap { row in pause(row, at: 1).map { (row[0].text ?? "", $0) } },
                          uniquingKeysWith: { first, _ in first })
    }

    /// `job`'s pause as stored (an expired one included), or nil.
    static func current(_ db: any SQLExecutor, job: String) throws -> JobPause? {
        try db.query("SELECT \(columns) FROM job_schedule WHERE job = ?", [.text(job)]).first.flatMap { pause($0, at: 0) }
    }

    /// See `JobStore.pause`; runs inside the caller's transaction.
    static func pause(_ db: any SQLExecutor, _ job: String, _ pause: JobPause, fresh: ScheduleState, now: Instant) throws -> JobPause {
        // A pause that ran out (its until-time passed) counts as none: the new one starts now.
        try db.run("""
            INSERT INTO job_schedule (job, schedule, next_run, misfires, updated_at, paused_at, paused_by, pause_reason, paused_until)
            VALUES (?1, ?2, ?3, 0, ?4, ?4, ?5, ?6, ?7)
            ON CONFLICT (job) DO UPDATE SET
                paused_at = CASE WHEN job_schedule.paused_at IS NULL OR job_schedule.paused_until <= ?4
                                 THEN ?4 ELSE job_schedule.paused_at END,
                paused_by = ?5, pause_reason = ?6, paused_until = ?7, updated_at = ?4
            """, [.text(job), .text(fresh.schedule), .int(fresh.nextRun.milliseconds), .int(now.milliseconds),
                  .text(pause.by), pause.reason.map(SQLValue.text) ?? .null, pause.until.map { .int($0.milliseconds) } ?? .null])
        return try current(db, job: job) ?? pause
    }

    /// See `JobStore.resume`; runs inside the caller's transaction.
    static func resume(_ db: any SQLExecutor, _ job: String, now: Instant, onlyIfExpired: Bool) throws -> JobPause? {
        guard let lifted = try current(db, job: job), !onlyIfExpired || !lifted.isActive(at: now) else { return nil }
        try db.run("""
            UPDATE job_schedule SET paused_at = NULL, paused_by = NULL, pause_reason = NULL, paused_until = NULL, updated_at = ?
            WHERE job = ?
            """, [.int(now.milliseconds), .text(job)])
        return lifted
    }

    /// Throws `JobIsPaused` when `job` is paused at `now`; a fenced claim calls it first.
    static func refuseIfPaused(_ db: any SQLExecutor, job: String, now: Instant) throws {
        if let pause = try current(db, job: job), pause.isActive(at: now) { throw JobIsPaused(job: job, pause: pause) }
    }
}
