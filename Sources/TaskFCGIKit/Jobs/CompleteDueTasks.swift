/// The due-task sweep: marks pending tasks completed once they fall due, with the action date set
/// to the run's start; queues `task.completed` webhooks in its own batches.
extension CompleteDueTasks {
    /// Every 5 minutes, and at each due date (`nextWork`). A sweep of a million due tasks takes
    /// about 4 s on SQLite and 16 s on PostgreSQL.
    static let definition = JobDefinition("completeDueTasks", schedule: .every(.minutes(5)), timeout: .minutes(1)) { config, _ in
        CompleteDueTasks(for: config.database)
    }
}

/// Marks pending tasks completed once they fall due, with the action date set to the run's start.
public struct CompleteDueTasks: Job {
    public var name: String { "completeDueTasks" }
    public var verb: String { "completed" }
    /// How batches are sized and spaced: by time (the worker), or a fixed number of rows
    /// (`init(batchSize:)`, for tests that count batches).
    public let pacer: BatchPacer

    public init(pacer: BatchPacer = BatchPacer()) { self.pacer = pacer }

    /// The worker's pacing on each backend. On SQLite, batches timed to hold the process's one write
    /// connection about 5 ms. On PostgreSQL every thread writes on its own connection, so there is
    /// no writer to keep short, and a batch is round trips to the server (about 17 ms per 1,000
    /// rows): timed batches would shrink to a few hundred rows and pay those trips more often.
    public init(for database: DatabaseLocation) {
        switch database {
        case .sqlite: self.init()
        case .postgres: self.init(batchSize: 1000)
        }
    }

    /// Batches of exactly `batchSize` rows.
    public init(batchSize: Int) {
        pacer = BatchPacer(target: .max, rest: 0, first: batchSize, bounds: batchSize...batchSize)
    }

    public func run(_ context: JobContext) throws -> Int {
        var total = 0
        var pacer = self.pacer
        while !context.isStopping {
            let asked = pacer.rows
            let began = monotonicNanoseconds()
            let events = context.events.flatMap { $0.wants(.completed) ? $0 : nil }
            let dues = try context.batch { db in
                guard let events else {
                    return try db.query(Self.completeDue(returning: "due_at"), .int(context.startedAt.milliseconds), .int(Int64(asked)))
                        .compactMap { $0.first?.int }
                }
                // Each completed task queues its deliveries in this batch: a batch that rolls back notifies no one.
                let rows = try db.query(Self.completeDue(returning: "id, title, due_at, created_at"),
                                        .int(context.startedAt.milliseconds), .int(Int64(asked)))
                for row in rows {
                    guard let id = row[0].int, let title = row[1].text, let due = row[2].int, let created = row[3].int else { continue }
                    let task = TaskItem(id: id, title: title, due: Instant(milliseconds: due), isCompleted: true,
                                        actionAt: context.startedAt, createdAt: Instant(milliseconds: created))
                    try events.record(.completed, task, in: db, now: context.startedAt)
                }
                return rows.compactMap { $0[2].int }
            }
            if !dues.isEmpty { events?.committed() }
            context.completed(dues: dues)
            total += dues.count
            if dues.count < asked { break }
            BatchPacer.pause(pacer.record(rows: dues.count, nanoseconds: monotonicNanoseconds() - began))
        }
        return total
    }

    public func nextWork(_ tasks: TaskStore) throws -> Instant? {
        try tasks.earliestPendingDue()
    }

    /// The sweep's statement. The `completed = 0` guard makes a repeated batch a no-op: an action
    /// date is written once and never rewritten, whichever holder's batch gets there first.
    /// RETURNING (SQLite ≥ 3.35, PostgreSQL) hands back the due dates for the lateness metric, and
    /// the tasks themselves when they are to be notified.
    static func completeDue(returning columns: String) -> String {
        """
        UPDATE tasks SET completed = 1, action_at = ?1
        WHERE id IN (SELECT id FROM tasks WHERE completed = 0 AND due_at <= ?1 ORDER BY due_at LIMIT ?2)
        RETURNING \(columns)
        """
    }
}

