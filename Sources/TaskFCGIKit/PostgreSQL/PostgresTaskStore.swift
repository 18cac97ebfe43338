#if PostgreSQL
/// The task store on PostgreSQL, on its thread's own connection.
public final class PostgresTaskStore: TaskStore {
    let db: PGConnection
    public let events: TaskEvents?

    public init(_ db: PGConnection, events: TaskEvents? = nil) { (self.db, self.events) = (db, events) }

    private static let columns = "id, title, due_at, completed, action_at, created_at"
    private static let selectByID = "SELECT \(columns) FROM tasks WHERE id = ?"
    private static let selectPage = "SELECT \(columns) FROM tasks ORDER BY due_at, id LIMIT ? OFFSET ?"
    private static let selectPageWithState = "SELECT \(columns) FROM tasks WHERE completed = ? ORDER BY due_at, id LIMIT ? OFFSET ?"

    /// Keyset pages by shape (see `KeysetShape` for the values). PostgreSQL's B-tree searches a row
    /// comparison `(due_at, id) > (?, ?)` as one bound on both columns, so it lands on the cursor.
    /// A filtered page compares `(completed, due_at, id)`, the state index's columns: otherwise the
    /// planner may walk `tasks_by_due` and filter by state, cheap while most rows match, not when
    /// few do. (Internal for the plan tests.)
    static let keyset: [KeysetShape: String] = Dictionary(uniqueKeysWithValues: KeysetShape.all.map { shape in
        let (after, order) = shape.forward ? (">", "") : ("<", " DESC")
        var conditions: [String] = []
        if shape.filtered { conditions.append(shape.hasCursor ? "completed = ?4" : "completed = ?2") }
        if shape.hasCursor {
            conditions.append(shape.filtered ? "(completed, due_at, id) \(after) (?4, ?1, ?2)" : "(due_at, id) \(after) (?1, ?2)")
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return (shape, "SELECT \(columns) FROM tasks\(filter) ORDER BY due_at\(order), id\(order) LIMIT ?\(shape.hasCursor ? 3 : 1)")
    })

    private static func task(_ row: PGRow) -> TaskItem {
        TaskItem(id: row.int(0), title: row.text(1), due: Instant(milliseconds: row.int(2)),
                 isCompleted: row.int(3) != 0, actionAt: row.optionalInt(4).map(Instant.init(milliseconds:)),
                 createdAt: Instant(milliseconds: row.int(5)))
    }

    public func create(title: String, due: Instant, now: Instant) throws -> TaskItem {
        let events = self.events.flatMap { $0.wants(.created) ? $0 : nil }
        let task = try db.maybeTransaction(events != nil) { try insert(title: title, due: due, now: now, events: events) }
        events?.committed()
        return task
    }

    /// The INSERT, and its deliveries on the same connection (inside the caller's transaction).
    private func insert(title: String, due: Instant, now: Instant, events: TaskEvents?) throws -> TaskItem {
        let id = try db.firstRow("INSERT INTO tasks (title, due_at, created_at) VALUES (?, ?, ?) RETURNING id",
                                 [.text(title), .int(due.milliseconds), .int(now.milliseconds)]) { $0.int(0) } ?? 0
        let task = TaskItem(id: id, title: title, due: due, isCompleted: false, actionAt: nil, createdAt: now)
        try events?.record(.created, task, in: db, now: now)
        return task
    }

    public func create(title: String, due: Instant, now: Instant, idempotencyKey key: String, keptSince: Instant) throws -> KeyedCreate {
        let outcome = try db.transaction { () throws -> KeyedCreate in
            try db.run("""
                DELETE FROM idempotency_keys WHERE idem_key IN
                    (SELECT idem_key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT 100)
                """, [.int(keptSince.milliseconds)])
            // This key, if it expired, goes first: it is neither replayed nor refused.
            try db.run("DELETE FROM idempotency_keys WHERE idem_key = ? AND created_at < ?", [.text(key), .int(keptSince.milliseconds)])
            // Claim the key first: a concurrent create with the same key waits on it here, then finds
            // this one's row instead of adding a second task.
            let claimed = try db.firstRow("""
                INSERT INTO idempotency_keys (idem_key, task_id, title, due_at, created_at) VALUES (?, 0, ?, ?, ?)
                ON CONFLICT (idem_key) DO NOTHING RETURNING idem_key
                """, [.text(key), .text(title), .int(due.milliseconds), .int(now.milliseconds)]) { _ in true } ?? false
            guard claimed else {
                let earlier = try db.firstRow("SELECT task_id, title, due_at, created_at FROM idempotency_keys WHERE idem_key = ?",
                                              [.text(key)]) { row in
                    TaskItem(id: row.int(0), title: row.text(1), due: Instant(milliseconds: row.int(2)), isCompleted: false,
                             actionAt: nil, createdAt: Instant(milliseconds: row.int(3)))
                }
                guard let earlier else { return .keyReused }
                return earlier.title == title && earlier.due == due ? .replayed(earlier) : .keyReused
            }
            let task = try insert(title: title, due: due, now: now, events: events)
            try db.run("UPDATE idempotency_keys SET task_id = ? WHERE idem_key = ?", [.int(task.id), .text(key)])
            return .created(task)
        }
        if case .created = outcome { events?.committed() }
        return outcome
    }

    public func task(id: Int64) throws -> TaskItem? {
        try db.firstRow(Self.selectByID, [.int(id)], map: Self.task)
    }

    public func update(id: Int64, title: String, due: Instant) throws -> UpdateOutcome {
        let changed = try db.run("UPDATE tasks SET title = ?, due_at = ? WHERE id = ? AND completed = 0",
                                 [.text(title), .int(due.milliseconds), .int(id)])
        if changed > 0 { return .updated }
        return try task(id: id) == nil ? .notFound : .alreadyCompleted
    }

    public func delete(id: Int64) throws -> Bool {
        guard let events = events.flatMap({ $0.wants(.deleted) ? $0 : nil }) else {
            return try db.run("DELETE FROM tasks WHERE id = ?", [.int(id)]) > 0
        }
        let deleted = try db.transaction {
            guard let task = try db.firstRow("DELETE FROM tasks WHERE id = ? RETURNING \(Self.columns)", [.int(id)], map: Self.task) else {
                return false
            }
            try events.record(.deleted, task, in: db, now: SystemClock().now())
            return true
        }
        if deleted { events.committed() }
        return deleted
    }

    public func list(_ filter: TaskFilter, limit: Int, offset: Int) throws -> [TaskItem] {
        let page: [SQLValue] = [.int(Int64(limit)), .int(Int64(offset))]
        switch filter {
        case .all: return try db.rows(Self.selectPage, page, map: Self.task)
        case .pending, .completed:
            return try db.rows(Self.selectPageWithState, [.int(filter == .completed ? 1 : 0)] + page, map: Self.task)
        }
    }

    public func list(_ filter: TaskFilter, from cursor: TaskCursor?, forward: Bool, limit: Int) throws -> [TaskItem] {
        let shape = KeysetShape(filter, forward: forward, cursor)
        let rows = try db.rows(Self.keyset[shape]!, shape.values(filter, cursor, limit: limit), map: Self.task)
        return forward ? rows : rows.reversed()
    }

    public func counts() throws -> TaskCounts {
        var counts = TaskCounts(pending: 0, completed: 0)
        _ = try db.rows("SELECT completed, n FROM task_counts", []) { row in
            if row.int(0) == 0 { counts.pending = Int(row.int(1)) } else { counts.completed = Int(row.int(1)) }
        }
        return counts
    }

    public func changeToken() throws -> Int64 {
        try db.firstRow("SELECT sum(changes)::BIGINT FROM task_counts", []) { $0.int(0) } ?? 0
    }

    public func countsAndChangeToken() throws -> (TaskCounts, Int64) {
        var counts = TaskCounts(pending: 0, completed: 0)
        var token: Int64 = 0
        _ = try db.rows("SELECT completed, n, changes FROM task_counts", []) { row in
            if row.int(0) == 0 { counts.pending = Int(row.int(1)) } else { counts.completed = Int(row.int(1)) }
            token += row.int(2)
        }
        return (counts, token)
    }

    // One statement at a time: a BEGIN and COMMIT would be two more round trips per page.
    public func reading<T>(_ body: () throws -> T) throws -> T { try body() }

    public func earliestPendingDue() throws -> Instant? {
        try db.firstRow("SELECT due_at FROM tasks WHERE completed = 0 ORDER BY due_at LIMIT 1", []) {
            Instant(milliseconds: $0.int(0))
        }
    }
}
#endif
