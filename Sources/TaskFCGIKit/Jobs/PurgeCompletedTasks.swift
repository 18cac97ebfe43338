/// Deleting old completed tasks (and expired idempotency keys): once a day, keeping `retain`.
extension PurgeCompletedTasks {
    /// `jobs.purgeCompletedTasks.retain`, when the config gives none.
    static let defaultRetain = Interval.days(30)

    static let definition = JobDefinition("purgeCompletedTasks", schedule: .cron(try! CronExpression(parsing: "@daily")),
                                          timeout: .minutes(10), extraKeys: ["retain"]) { _, options in
        PurgeCompletedTasks(retain: try options.interval("retain") ?? defaultRetain)
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
