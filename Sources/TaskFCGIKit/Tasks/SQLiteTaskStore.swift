/// The task store: reads on its own SQLite connection, task writes through the process's shared
/// writer when it has one.
public final class SQLiteTaskStore: TaskStore {
    /// The connection, for callers that need SQLite itself (checkpoints, tests).
    public let db: Connection
    private let writes: Writes
    public let events: TaskEvents?

    public init(_ db: Connection, writer: SharedWriter? = nil, events: TaskEvents? = nil) {
        self.db = db
        writes = Writes(db: db, writer: writer)
        self.events = events
    }

    private static let columns = "id, title, due_at, completed, action_at, created_at"
    // Built once: statements are cached by their text, so the hot paths should not rebuild it.
    private static let selectByID = "SELECT \(columns) FROM tasks WHERE id = ?"
    private static let selectPage = "SELECT \(columns) FROM tasks ORDER BY due_at, id LIMIT ? OFFSET ?"
    private static let selectPageWithState = "SELECT \(columns) FROM tasks WHERE completed = ? ORDER BY due_at, id LIMIT ? OFFSET ?"

    /// Keyset pages by `(filter, forward, cursor)`: see `keysetSQL`. (Internal for the plan tests.)
    static let keyset: [KeysetShape: String] = Dictionary(uniqueKeysWithValues: KeysetShape.all.map { ($0, keysetSQL($0)) })

    /// With a cursor, two index searches merged in list order: the rest of the cursor's due date by
    /// id, then the later (earlier) due dates. A row value `(due_at, id) > (?, ?)` would make SQLite
    /// search by `due_at` alone and walk every task sharing the cursor's due date (tasks created in
    /// bulk for one time); this lands exactly on the cursor. `INDEXED BY` makes SQLite refuse the
    /// statement rather than ever plan a scan. Values: `?1` due, `?2` id, `?3` limit, `?4` state;
    /// without a cursor `?1` limit, `?2` state.
    private static func keysetSQL(_ shape: KeysetShape) -> String {
        let (after, order) = shape.forward ? (">", "") : ("<", " DESC")
        let orderBy = "ORDER BY due_at\(order), id\(order)"
        guard shape.hasCursor else {
            return "SELECT \(columns) FROM tasks\(shape.filtered ? " WHERE completed = ?2" : "") \(orderBy) LIMIT ?1"
        }
        let (index, state) = shape.filtered ? ("tasks_by_state_due", "completed = ?4 AND ") : ("tasks_by_due", "")
        return """
            SELECT \(columns) FROM tasks INDEXED BY \(index) WHERE \(state)due_at = ?1 AND id \(after) ?2
            UNION ALL
            SELECT \(columns) FROM tasks INDEXED BY \(index) WHERE \(state)due_at \(after) ?1
            \(orderBy) LIMIT ?3
            """
    }

    private static func task(_ row: Row) -> TaskItem {
        TaskItem(id: row.int(0), title: row.text(1), due: Instant(milliseconds: row.int(2)),
                 isCompleted: row.int(3) != 0, actionAt: row.optionalInt(4).map(Instant.init(milliseconds:)),
                 createdAt: Instant(milliseconds: row.int(5)))
    }

    public func create(title: String, due: Instant, now: Instant) throws -> TaskItem {
        let events = self.events.flatMap { $0.wants(.created) ? $0 : nil }
        let id = try write { db in
            try db.maybeTransaction(events != nil) {
                try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES (?, ?, ?)",
                           .text(title), .int(due.milliseconds), .int(now.milliseconds))
                let id = db.lastInsertID
                try events?.record(.created, TaskItem(id: id, title: title, due: due, isCompleted: false, actionAt: nil,
                                                      createdAt: now), in: db, now: now)
                return id
            }
        }
        events?.committed()
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
        guard let events = events.flatMap({ $0.wants(.deleted) ? $0 : nil }) else {
            return try write { db in try db.run("DELETE FROM tasks WHERE id = ?", .int(id)) } > 0
        }
        let deleted = try write { db in
            try db.transaction {
                guard let task = try db.firstRow("DELETE FROM tasks WHERE id = ? RETURNING \(Self.columns)", .int(id), map: Self.task) else {
                    return false
                }
                try events.record(.deleted, task, in: db, now: SystemClock().now())
                return true
            }
        }
        if deleted { events.committed() }
        return deleted
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

    public func list(_ filter: TaskFilter, from cursor: TaskCursor?, forward: Bool, limit: Int) throws -> [TaskItem] {
        let shape = KeysetShape(filter, forward: forward, cursor)
        let rows = try db.rows(Self.keyset[shape]!, shape.values(filter, cursor, limit: limit), map: Self.task)
        return forward ? rows : rows.reversed()
    }

    public func counts() throws -> TaskCounts {
        var counts = TaskCounts(pending: 0, completed: 0)
        _ = try db.rows("SELECT completed, n FROM task_counts") { row in
            if row.int(0) == 0 { counts.pending = Int(row.int(1)) } else { counts.completed = Int(row.int(1)) }
        }
        return counts
    }

    public func changeToken() throws -> Int64 {
        try db.firstRow("SELECT sum(changes) FROM task_counts") { $0.int(0) } ?? 0
    }

    public func countsAndChangeToken() throws -> (TaskCounts, Int64) {
        var counts = TaskCounts(pending: 0, completed: 0)
        var token: Int64 = 0
        _ = try db.rows("SELECT completed, n, changes FROM task_counts") { row in
            if row.int(0) == 0 { counts.pending = Int(row.int(1)) } else { counts.completed = Int(row.int(1)) }
            token += row.int(2)
        }
        return (counts, token)
    }

    public func reading<T>(_ body: () throws -> T) throws -> T { try db.reading(body) }

    public func earliestPendingDue() throws -> Instant? {
        try db.firstRow("SELECT due_at FROM tasks WHERE completed = 0 ORDER BY due_at LIMIT 1") {
            Instant(milliseconds: $0.int(0))
        }
    }

    public func create(title: String, due: Instant, now: Instant, idempotencyKey key: String, keptSince: Instant) throws -> KeyedCreate {
        let events = self.events
        let outcome = try write { (db: Connection) throws -> KeyedCreate in
            try db.transaction {
                // Expired keys go a few at a time, on the writes that add keys: no job needed.
                try db.run("""
                    DELETE FROM idempotency_keys WHERE idem_key IN
                        (SELECT idem_key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT 100)
                    """, .int(keptSince.milliseconds))
                // This key, if it expired, is gone before the lookup whatever the batch above took:
                // a key older than its lifetime is neither replayed nor refused.
                try db.run("DELETE FROM idempotency_keys WHERE idem_key = ? AND created_at < ?", .text(key), .int(keptSince.milliseconds))
                let earlier = try db.firstRow("SELECT task_id, title, due_at, created_at FROM idempotency_keys WHERE idem_key = ?",
                                              .text(key)) { row in
                    TaskItem(id: row.int(0), title: row.text(1), due: Instant(milliseconds: row.int(2)), isCompleted: false,
                             actionAt: nil, createdAt: Instant(milliseconds: row.int(3)))
                }
                if let earlier {
                    return earlier.title == title && earlier.due == due ? .replayed(earlier) : .keyReused
                }
                try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES (?, ?, ?)",
                           .text(title), .int(due.milliseconds), .int(now.milliseconds))
                let id = db.lastInsertID
                try db.run("INSERT INTO idempotency_keys (idem_key, task_id, title, due_at, created_at) VALUES (?, ?, ?, ?, ?)",
                           .text(key), .int(id), .text(title), .int(due.milliseconds), .int(now.milliseconds))
                let task = TaskItem(id: id, title: title, due: due, isCompleted: false, actionAt: nil, createdAt: now)
                try events?.record(.created, task, in: db, now: now)
                return .created(task)
            }
        }
        if case .created = outcome { events?.committed() }
        return outcome
    }

    private func write<T: Sendable>(_ body: (Connection) throws -> T) throws -> T { try writes.run(body) }
}
