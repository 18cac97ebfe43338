/// The queue's statements, written once for both backends over `SQLExecutor` (every value bound).
/// Enqueue runs on the caller's executor, inside the caller's transaction, so a job is queued
/// exactly when the write that asked for it commits.
enum QueueSQL {
    private static let waiting = QueueState.sqlList(QueueState.waiting)
    private static let columns = "id, kind, args, state, attempt, max_attempts, run_at, unique_key, created_at, finished_at, last_error"

    /// Queues `job`; returns its id, or nil when a live job holds its unique key.
    static func enqueue(_ db: any SQLExecutor, _ job: NewQueueJob, now: Instant) throws -> Int64? {
        let runAt = max(job.runAt ?? now, now)
        // Without a conflict target, DO NOTHING covers the partial unique index on live keys.
        return try db.query("""
            INSERT INTO queue_jobs (kind, args, state, attempt, max_attempts, run_at, unique_key, created_at)
            VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING RETURNING id
            """, .text(job.kind), .text(job.args), .text((runAt > now ? QueueState.scheduled : .available).rawValue),
            .int(Int64(max(1, job.maxAttempts))), .int(runAt.milliseconds), job.uniqueKey.map(SQLValue.text) ?? .null,
            .int(now.milliseconds)).first?.first?.int
    }

    /// `kind IN (?, ?, …)` from placeholder number `first` on.
    private static func kindList(_ kinds: [String], from first: Int) -> String {
        "kind IN (" + kinds.indices.map { "?\(first + $0)" }.joined(separator: ",") + ")"
    }

    /// SQLite's planner, without statistics, prefers `queue_jobs_by_state` for `state IN (…)` and
    /// then reads and sorts every waiting job: with 300,000 waiting, each claim took ~170 ms under
    /// the shared writer (a 1M-task sweep with one endpoint would have taken over 5 minutes). The
    /// partial index on the waiting jobs by time finds the next one at once. (Its WHERE must match
    /// `waiting` term for term, or SQLite refuses the statement.) PostgreSQL, with its statistics,
    /// is left to its planner.
    private static func waitingIndex(_ dialect: SQLDialect) -> String {
        dialect == .sqlite ? " INDEXED BY queue_jobs_waiting" : ""
    }

    /// The earliest instant a waiting job of these kinds may run.
    static func nextRunAt(_ db: any SQLExecutor, _ dialect: SQLDialect, kinds: [String]) throws -> Instant? {
        guard !kinds.isEmpty else { return nil }
        return try db.query("SELECT min(run_at) FROM queue_jobs\(waitingIndex(dialect)) WHERE state IN (\(waiting)) AND \(kindList(kinds, from: 1))",
                            kinds.map(SQLValue.text)).first?.first?.int.map(Instant.init(milliseconds:))
    }

    /// Claims the next due job of these kinds under `token` until `until`: the oldest due first.
    /// On PostgreSQL concurrent claimers skip each other's locked rows instead of waiting.
    static func claim(_ db: any SQLExecutor, _ dialect: SQLDialect, kinds: [String], token: String, now: Instant,
                      until: Instant) throws -> ClaimedJob? {
        guard !kinds.isEmpty else { return nil }
        let skip = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let rows = try db.query("""
            UPDATE queue_jobs SET state = 'running', attempt = attempt + 1, claim_token = ?1, claimed_until = ?2, attempted_at = ?3
            WHERE id = (SELECT id FROM queue_jobs\(waitingIndex(dialect)) WHERE state IN (\(waiting)) AND run_at <= ?3 AND \(kindList(kinds, from: 4))
                        ORDER BY run_at, id LIMIT 1\(skip))
            RETURNING id, kind, args, attempt, max_attempts, created_at
            """, [.text(token), .int(until.milliseconds), .int(now.milliseconds)] + kinds.map(SQLValue.text))
        guard let row = rows.first, row.count == 6, let id = row[0].int, let kind = row[1].text, let args = row[2].text,
              let attempt = row[3].int, let maxAttempts = row[4].int, let created = row[5].int else { return nil }
        return ClaimedJob(id: id, kind: kind, args: args, attempt: Int(attempt), maxAttempts: Int(maxAttempts),
                          createdAt: Instant(milliseconds: created), token: token)
    }

    /// Ends a claimed attempt in `state` (next run at `runAt` for a retry), recording `error`;
    /// false, with nothing written, when the claim is no longer this token's (rescued meanwhile).
    static func finish(_ db: any SQLExecutor, id: Int64, token: String, state: QueueState, runAt: Instant?,
                       error: String?, attempt: Int, now: Instant) throws -> Bool {
        let final = QueueState.final.contains(state)
        let changed = try db.run("""
            UPDATE queue_jobs SET state = ?3, run_at = coalesce(?4, run_at), finished_at = ?5,
                last_error = coalesce(?6, last_error), claim_token = NULL, claimed_until = NULL
            WHERE id = ?1 AND claim_token = ?2 AND state = 'running'
            """, .int(id), .text(token), .text(state.rawValue), runAt.map { .int($0.milliseconds) } ?? .null,
            final ? .int(now.milliseconds) : .null, error.map(SQLValue.text) ?? .null)
        guard changed == 1 else { return false }
        if let error { try recordError(db, id: id, attempt: attempt, message: error, now: now) }
        return true
    }

    private static func recordError(_ db: any SQLExecutor, id: Int64, attempt: Int, message: String, now: Instant) throws {
        try db.run("""
            INSERT INTO queue_errors (job_id, attempt, at, message) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (job_id, attempt) DO UPDATE SET at = excluded.at, message = excluded.message
            """, .int(id), .int(Int64(attempt)), .int(now.milliseconds), .text(String(message.prefix(1000))))
    }

    /// A running job's claim, for the rescuer.
    struct Claim: Equatable {
        let id: Int64, token: String, until: Instant, attempt: Int, maxAttempts: Int
    }

    /// Every running job's claim (as many as workers × threads: a small list).
    static func claims(_ db: any SQLExecutor) throws -> [Claim] {
        try db.query("SELECT id, claim_token, claimed_until, attempt, max_attempts FROM queue_jobs WHERE state = 'running'").compactMap { row in
            guard let id = row[0].int, let token = row[1].text, let until = row[2].int, let attempt = row[3].int,
                  let max = row[4].int else { return nil }
            return Claim(id: id, token: token, until: Instant(milliseconds: until), attempt: Int(attempt), maxAttempts: Int(max))
        }
    }

    /// Takes `claim` back (its worker died or overran): retryable at once, or discarded when it was
    /// the last attempt. False when the claim had moved on meanwhile.
    static func rescue(_ db: any SQLExecutor, _ claim: Claim, reason: String, now: Instant) throws -> Bool {
        let state: QueueState = claim.attempt >= claim.maxAttempts ? .discarded : .retryable
        return try finish(db, id: claim.id, token: claim.token, state: state, runAt: now, error: reason,
                          attempt: claim.attempt, now: now)
    }

    /// Counts by state.
    static func counts(_ db: any SQLExecutor) throws -> QueueCounts {
        var counts = QueueCounts()
        for row in try db.query("SELECT state, count(*) FROM queue_jobs GROUP BY state") {
            if let name = row[0].text, let state = QueueState(rawValue: name), let count = row[1].int { counts.byState[state] = Int(count) }
        }
        return counts
    }

    private static func job(_ row: [SQLValue]) -> QueuedJob? {
        guard row.count == 11, let id = row[0].int, let kind = row[1].text, let args = row[2].text,
              let state = row[3].text.flatMap(QueueState.init(rawValue:)), let attempt = row[4].int, let max = row[5].int,
              let runAt = row[6].int, let created = row[8].int else { return nil }
        return QueuedJob(id: id, kind: kind, args: args, state: state, attempt: Int(attempt), maxAttempts: Int(max),
                         runAt: Instant(milliseconds: runAt), uniqueKey: row[7].text, createdAt: Instant(milliseconds: created),
                         finishedAt: row[9].int.map(Instant.init(milliseconds:)), lastError: row[10].text)
    }

    /// Up to `limit` jobs in `states`, the newest first (by id).
    static func list(_ db: any SQLExecutor, states: [QueueState], limit: Int) throws -> [QueuedJob] {
        try db.query("SELECT \(columns) FROM queue_jobs WHERE state IN (\(QueueState.sqlList(states))) ORDER BY id DESC LIMIT ?1",
                     .int(Int64(limit))).compactMap(job)
    }

    /// Waiting jobs in the order they will run.
    static func upcoming(_ db: any SQLExecutor, _ dialect: SQLDialect, limit: Int) throws -> [QueuedJob] {
        try db.query("SELECT \(columns) FROM queue_jobs\(waitingIndex(dialect)) WHERE state IN (\(waiting)) ORDER BY run_at, id LIMIT ?1",
                     .int(Int64(limit))).compactMap(job)
    }

    /// One job with its errors.
    static func job(_ db: any SQLExecutor, id: Int64) throws -> QueuedJob? {
        guard var found = try db.query("SELECT \(columns) FROM queue_jobs WHERE id = ?1", .int(id)).first.flatMap(job) else { return nil }
        found.errors = try db.query("SELECT attempt, at, message FROM queue_errors WHERE job_id = ?1 ORDER BY attempt", .int(id))
            .compactMap { row in
                guard let attempt = row[0].int, let at = row[1].int, let message = row[2].text else { return nil }
                return QueueError(attempt: Int(attempt), at: Instant(milliseconds: at), message: message)
            }
        return found
    }

    /// Makes a discarded, cancelled or waiting job available now, with one more attempt if it had
    /// none left. False when it is running, completed or missing.
    static func retry(_ db: any SQLExecutor, id: Int64, now: Instant) throws -> Bool {
        try db.run("""
            UPDATE queue_jobs SET state = 'available', run_at = ?2, finished_at = NULL,
                max_attempts = CASE WHEN attempt >= max_attempts THEN attempt + 1 ELSE max_attempts END
            WHERE id = ?1 AND state IN ('discarded', 'cancelled', \(waiting))
            """, .int(id), .int(now.milliseconds)) == 1
    }

    /// Discards a waiting job; a discarded or cancelled one is removed. False otherwise.
    static func discard(_ db: any SQLExecutor, id: Int64, now: Instant) throws -> Bool {
        if try db.run("UPDATE queue_jobs SET state = 'discarded', finished_at = ?2 WHERE id = ?1 AND state IN (\(waiting))",
                      .int(id), .int(now.milliseconds)) == 1 { return true }
        let removed = try db.run("DELETE FROM queue_jobs WHERE id = ?1 AND state IN ('discarded', 'cancelled')", .int(id))
        if removed == 1 { try db.run("DELETE FROM queue_errors WHERE job_id = ?1", .int(id)) }
        return removed == 1
    }

    /// Deletes up to `limit` final jobs finished before `cutoff`, with their errors; returns how many.
    static func prune(_ db: any SQLExecutor, before cutoff: Instant, limit: Int) throws -> Int {
        let ids = try db.query("""
            DELETE FROM queue_jobs WHERE id IN (SELECT id FROM queue_jobs WHERE state IN (\(QueueState.sqlList(QueueState.final)))
                                                AND finished_at < ?1 ORDER BY finished_at LIMIT ?2)
            RETURNING id
            """, .int(cutoff.milliseconds), .int(Int64(limit))).compactMap { $0.first?.int }
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let part = ids[chunk..<min(chunk + 500, ids.count)]
            try db.run("DELETE FROM queue_errors WHERE job_id IN (" + part.indices.map { "?\($0 - chunk + 1)" }.joined(separator: ",") + ")",
                       part.map(SQLValue.int))
        }
        return ids.count
    }
}
