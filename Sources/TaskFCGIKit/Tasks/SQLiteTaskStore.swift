import Synchronization

/// The task store: reads on its own SQLite connection, task writes through the process's shared
/// writer when it has one.
public final class SQLiteTaskStore: TaskStore {
    /// Without a shared writer, writers in this process take turns here instead of in SQLite's
    /// busy handler, which sleeps in steps of milliseconds; other processes still meet the busy timeout.
    private static let writers = Mutex(())

    /// The connection, for callers that need SQLite itself (checkpoints, tests).
    public let db: Connection
    private let writer: SharedWriter?

    private var dataVersion: Int64?

    public init(_ db: Connection, writer: SharedWriter? = nil) { (self.db, self.writer) = (db, writer) }

    private static let columns = "id, title, due_at, completed, action_at, created_at"
    // Built once: statements are cached by their text, so the hot paths should not rebuild it.
    private static let selectByID = "SELECT \(columns) FROM tasks WHERE id = ?"
    private static let selectPage = "SELECT \(columns) FROM tasks ORDER BY due_at, id LIMIT ? OFFSET ?"
    private static let selectPageWithState = "SELECT \(columns) FROM tasks WHERE completed = ? ORDER BY due_at, id LIMIT ? OFFSET ?"

    private static func task(_ row: Row) -> TaskItem {
        TaskItem(id: row.int(0), title: row.text(1), due: Instant(milliseconds: row.int(2)),
                 isCompleted: row.int(3) != 0, actionAt: row.optionalInt(4).map(Instant.init(milliseconds:)),
                 createdAt: Instant(milliseconds: row.int(5)))
    }

    public func create(title: String, due: Instant, now: Instant) throws -> TaskItem {
        let id = try write { db in
            try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES (?, ?, ?)",
                       .text(title), .int(due.milliseconds), .int(now.milliseconds))
            return db.lastInsertID
        }
        return TaskItem(id: id, title: title, due: due, isCompleted: false, actionAt: nil, createdAt: now)
    }

    public func task(id: Int64) throws -> TaskItem? {
        try db.firstRow(Self.selectByID, .int(id), map: Self.task)
    }

    public func update(id: Int64, title: String, due: Instant) throws -> UpdateOutcome {
        let changed = try write { db in
            try db.run("UPDATE tasks SET title = ?, due_at = ? WHERE id = ? AND completed = 0",
                       .text(title), .int(due.milliseconds), .int(id))
        }
        if changed > 0 { return .updated }
        return try task(id: id) == nil ? .notFound : .alreadyCompleted
    }

    public func delete(id: Int64) throws -> Bool {
        try write { db in try db.run("DELETE FROM tasks WHERE id = ?", .int(id)) } > 0
    }

    public func list(_ filter: TaskFilter, limit: Int, offset: Int) throws -> [TaskItem] {
        let page: [SQLValue] = [.int(Int64(limit)), .int(Int64(offset))]
        switch filter {
        case .all:
            return try db.rows(Self.selectPage,
                               page[0], page[1], map: Self.task)
        case .pending, .completed:
            return try db.rows(Self.selectPageWithState,
                               .int(filter == .completed ? 1 : 0), page[0], page[1], map: Self.task)
        }
    }

    public func counts() throws -> TaskCounts {
        var counts = TaskCounts(pending: 0, completed: 0)
        _ = try db.rows("SELECT completed, n FROM task_counts") { row in
            if row.int(0) == 0 { counts.pending = Int(row.int(1)) } else { counts.completed = Int(row.int(1)) }
        }
        return counts
    }

    public func earliestPendingDue() throws -> Instant? {
        try db.firstRow("SELECT due_at FROM tasks WHERE completed = 0 ORDER BY due_at LIMIT 1") {
            Instant(milliseconds: $0.int(0))
        }
    }

    public func completeDue(now: Instant, batchSize: Int) throws -> Int {
        precondition(batchSize > 0)
        var total = 0
        while true {
            // Each batch commits on its own; the `completed = 0` guard makes a repeated sweep a no-op,
            // so an action date is written once and never rewritten.
            let changed = try write { db in
                try db.run("""
                    UPDATE tasks SET completed = 1, action_at = ?1
                    WHERE id IN (SELECT id FROM tasks WHERE completed = 0 AND due_at <= ?1 ORDER BY due_at LIMIT ?2)
                    """, .int(now.milliseconds), .int(Int64(batchSize)))
            }
            total += changed
            if changed < batchSize { return total }
        }
    }

    public func purgeCompleted(before cutoff: Instant, batchSize: Int) throws -> Int {
        precondition(batchSize > 0)
        var total = 0
        while true {
            let changed = try write { db in
                try db.run("""
                    DELETE FROM tasks WHERE id IN
                        (SELECT id FROM tasks WHERE completed = 1 AND action_at < ? LIMIT ?)
                    """, .int(cutoff.milliseconds), .int(Int64(batchSize)))
            }
            total += changed
            if changed < batchSize { return total }
        }
    }

    private func write<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        if let writer { return try writer.write(body) }
        return try Self.writers.withLock { _ in try body(db) }
    }

    public func changedElsewhere() throws -> Bool {
        // data_version moves only for commits made through other connections.
        let version = try db.firstRow("PRAGMA data_version") { $0.int(0) }
        defer { dataVersion = version }
        return dataVersion != nil && version != dataVersion
    }

    public func acquireLease(_ lease: Lease, now: Instant) throws -> Bool {
        // One statement, so two processes cannot both win: the update applies only when the row
        // is ours or expired; acquired_at survives renewals.
        try db.run("""
            INSERT INTO job_lease (id, holder, pid, host, acquired_at, expires_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (id) DO UPDATE SET
                acquired_at = CASE WHEN holder = excluded.holder THEN acquired_at ELSE excluded.acquired_at END,
                holder = excluded.holder, pid = excluded.pid, host = excluded.host, expires_at = excluded.expires_at
            WHERE holder = excluded.holder OR expires_at <= ?6
            """, .text(lease.holder), .int(Int64(lease.pid)), .text(lease.host), .int(lease.acquiredAt.milliseconds),
            .int(lease.expiresAt.milliseconds), .int(now.milliseconds)) == 1
    }

    public func releaseLease(holder: String) throws {
        try db.run("DELETE FROM job_lease WHERE id = 1 AND holder = ?", .text(holder))
    }

    public func currentLease() throws -> Lease? {
        try db.firstRow("SELECT holder, pid, host, acquired_at, expires_at FROM job_lease WHERE id = 1") { row in
            Lease(holder: row.text(0), pid: Int(row.int(1)), host: row.text(2),
                  acquiredAt: Instant(milliseconds: row.int(3)), expiresAt: Instant(milliseconds: row.int(4)))
        }
    }

    public func recentLateness(limit: Int) throws -> [Int64] {
        try db.rows("""
            SELECT action_at - due_at FROM tasks WHERE completed = 1 ORDER BY due_at DESC LIMIT ?
            """, .int(Int64(limit))) { $0.int(0) }
    }

    public func record(_ run: JobRun, keep: Int) throws {
        try db.run("INSERT INTO job_runs (job, started_at, duration_us, affected, error) VALUES (?, ?, ?, ?, ?)",
                   .text(run.job), .int(run.startedAt.milliseconds), .int(run.durationMicroseconds),
                   .int(Int64(run.affected)), run.error.map(SQLValue.text) ?? .null)
        let id = db.lastInsertID
        // Pruning by id is one indexed range delete; doing it every 100 runs keeps it rare.
        if id % 100 == 0 {
            try db.run("DELETE FROM job_runs WHERE id <= ?", .int(id - Int64(keep)))
        }
    }

    public func recentRuns(job: String, limit: Int) throws -> [JobRun] {
        try db.rows("""
            SELECT job, started_at, duration_us, affected, error FROM job_runs
            WHERE job = ? ORDER BY id DESC LIMIT ?
            """, .text(job), .int(Int64(limit))) { row in
            JobRun(job: row.text(0), startedAt: Instant(milliseconds: row.int(1)),
                   durationMicroseconds: row.int(2), affected: Int(row.int(3)), error: row.optionalText(4))
        }
    }
}
