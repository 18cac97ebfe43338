/// A background job: the extension point. A job is a small `Sendable` type plus one line in
/// `JobRegistry.jobs(for:)`. To be safe it must
/// - write only through `context.batch { db in … }`: each batch commits only while this worker
///   still holds the job lease under the generation the run started with, so a paused or
///   partitioned ex-holder can never commit late;
/// - keep each batch short (say, 1000 rows) and make it record its own progress in the database,
///   so a run cut off by a crash or a lost lease is resumed by the next holder where it stopped;
/// - check `context.isStopping` between batches and return early when it is set.
public protocol Job: Sendable {
    /// The name in config keys, the log (`[job:NAME]`) and the run history.
    var name: String { get }
    /// What a run does to the tasks it affects, for the log line (`completed 3 tasks`).
    var verb: String { get }
    /// Does one run; returns how many rows it affected. Throws `LeaseLost` (from `batch`) when the
    /// lease is gone, or any other error for a failed run (retried with backoff).
    func run(_ context: JobContext) throws -> Int
    /// The earliest instant this job knows it has work before its next slot (the next due task):
    /// the runner wakes for it. Most jobs have none.
    func nextWork(_ tasks: TaskStore) throws -> Instant?
}

extension Job {
    public func nextWork(_ tasks: TaskStore) throws -> Instant? { nil }
}

/// A job with its settings, as the runner schedules it.
public struct ScheduledJob: Sendable {
    public let job: any Job
    public let trigger: JobTrigger
    public let misfire: MisfirePolicy
    /// A disabled job is listed on the dashboard but never runs.
    public let enabled: Bool
    /// The longest a run may take (`jobs.NAME.timeout`): no batch starts past it, and a run still
    /// not returned after twice this long is stuck.
    public let timeout: Interval
    /// `jobs.NAME.timeout` for a job whose definition names none.
    public static let defaultTimeout = Interval.minutes(10)
    /// The least `jobs.NAME.timeout` accepted.
    public static let minimumTimeout = Interval.milliseconds(100)

    public init(_ job: any Job, trigger: JobTrigger, misfire: MisfirePolicy = .once, enabled: Bool = true,
                timeout: Interval = ScheduledJob.defaultTimeout) {
        (self.job, self.trigger, self.misfire, self.enabled, self.timeout) = (job, trigger, misfire, enabled, timeout)
    }

    /// An interval job (the common case in tests).
    public init(_ job: any Job, interval: Interval, enabled: Bool = true) {
        self.init(job, trigger: .every(interval), enabled: enabled)
    }
}

/// One job this build knows: its config name, its default schedule and how to make it.
public struct JobDefinition: Sendable {
    public let name: String
    public let defaultTrigger: JobTrigger
    /// Its time limit when the config gives no `timeout`.
    public let defaultTimeout: Interval
    /// Config keys of its own, besides `interval`, `cron`, `misfire`, `enabled` and `timeout`.
    public let extraKeys: [String]
    let make: @Sendable (Config) -> any Job

    public init(_ name: String, schedule: JobTrigger, timeout: Interval = ScheduledJob.defaultTimeout, extraKeys: [String] = [],
                make: @escaping @Sendable (Config) -> any Job) {
        (self.name, self.defaultTrigger, self.defaultTimeout, self.extraKeys, self.make) = (name, schedule, timeout, extraKeys, make)
    }
}

/// The jobs this worker runs. Adding a job is one line here.
public enum JobRegistry {
    public static let known: [JobDefinition] = [
        // A sweep of a million due tasks takes about 4 s on SQLite and 16 s on PostgreSQL.
        JobDefinition("completeDueTasks", schedule: .every(.minutes(5)), timeout: .minutes(1)) { CompleteDueTasks(for: $0.database) },
        JobDefinition("purgeCompletedTasks", schedule: .cron(try! CronExpression(parsing: "@daily")), timeout: .minutes(10),
                      extraKeys: ["retain"]) {
            PurgeCompletedTasks(retain: $0.purgeRetain)
        },
    ]

    /// Every job with its settings from the config.
    public static func jobs(for config: Config) -> [ScheduledJob] {
        known.map { definition in
            let settings = config.jobs[definition.name] ?? JobSettings(enabled: true, trigger: definition.defaultTrigger)
            return ScheduledJob(definition.make(config), trigger: settings.trigger, misfire: settings.misfire,
                                enabled: settings.enabled, timeout: settings.timeout ?? definition.defaultTimeout)
        }
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

/// Deletes completed tasks once their action date is older than `retain`.
public struct PurgeCompletedTasks: Job {
    public var name: String { "purgeCompletedTasks" }
    public var verb: String { "purged" }
    public let retain: Interval
    /// Rows per batch, as for `CompleteDueTasks`.
    public let batchSize: Int

    public init(retain: Interval, batchSize: Int = 1000) { (self.retain, self.batchSize) = (retain, batchSize) }

    public func run(_ context: JobContext) throws -> Int {
        let cutoff = context.startedAt.adding(Interval(milliseconds: -retain.milliseconds))
        var total = 0
        while !context.isStopping {
            // Walks `tasks_completed_by_action`: only the rows to delete are read.
            let changed = try context.batch { db in
                try db.run("""
                    DELETE FROM tasks WHERE id IN
                        (SELECT id FROM tasks WHERE completed = 1 AND action_at < ? ORDER BY action_at LIMIT ?)
                    """, .int(cutoff.milliseconds), .int(Int64(batchSize)))
            }
            total += changed
            if changed < batchSize { break }
        }
        try purgeExpiredKeys(context)
        return total
    }

    /// Idempotency keys past their lifetime (`APITasks.keyLifetime`), which lookups already ignore,
    /// go here in the background too: keyed creates remove only a few each, and only while keyed
    /// creates come in. Not counted in the run's total, which counts tasks.
    private func purgeExpiredKeys(_ context: JobContext) throws {
        let cutoff = context.startedAt.adding(Interval(milliseconds: -APITasks.keyLifetime.milliseconds))
        while !context.isStopping {
            let changed = try context.batch { db in
                try db.run("""
                    DELETE FROM idempotency_keys WHERE idem_key IN
                        (SELECT idem_key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)
                    """, .int(cutoff.milliseconds), .int(Int64(batchSize)))
            }
            if changed < batchSize { break }
        }
    }
}
