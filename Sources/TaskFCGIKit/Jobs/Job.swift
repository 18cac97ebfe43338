/// A background job: a small type plus one line in `JobRegistry.jobs(for:)`.
public protocol Job: Sendable {
    /// The name in config keys, the log (`[job:NAME]`) and the run history.
    var name: String { get }
    /// What a run does to the tasks it affects, for the log line (`completed 3 tasks`).
    var verb: String { get }
    /// Does one run against the job thread's own store; returns how many tasks it affected.
    func run(_ store: TaskStore, now: Instant) throws -> Int
    /// The earliest instant this job knows it has work, beyond its interval (e.g. the next due task).
    func nextWork(_ store: TaskStore) throws -> Instant?
}

extension Job {
    public func nextWork(_ store: TaskStore) throws -> Instant? { nil }
}

/// A job with its settings, as the runner schedules it.
public struct ScheduledJob: Sendable {
    public let job: any Job
    public let interval: Interval
    /// A disabled job is listed on the dashboard but never runs.
    public let enabled: Bool

    public init(_ job: any Job, interval: Interval, enabled: Bool = true) {
        (self.job, self.interval, self.enabled) = (job, interval, enabled)
    }
}

/// The jobs this worker runs.
public enum JobRegistry {
    /// Every job with its settings from the config.
    public static func jobs(for config: Config) -> [ScheduledJob] {
        let all: [(JobSettings, any Job)] = [
            (config.completeDueTasks, CompleteDueTasks()),
            (config.purgeCompletedTasks, PurgeCompletedTasks(retain: config.purgeRetain)),
        ]
        return all.map { ScheduledJob($0.1, interval: $0.0.interval, enabled: $0.0.enabled) }
    }
}

/// Marks pending tasks completed once they fall due, with the action date set to now.
public struct CompleteDueTasks: Job {
    public var name: String { "completeDueTasks" }
    public var verb: String { "completed" }
    /// Rows per transaction, so request threads wait at most one short batch for the write lock.
    public static let batchSize = 1000

    public init() {}

    public func run(_ store: TaskStore, now: Instant) throws -> Int {
        try store.completeDue(now: now, batchSize: Self.batchSize)
    }

    public func nextWork(_ store: TaskStore) throws -> Instant? {
        try store.earliestPendingDue()
    }
}

/// Deletes completed tasks once they are older than `retain`.
public struct PurgeCompletedTasks: Job {
    public var name: String { "purgeCompletedTasks" }
    public var verb: String { "purged" }
    public let retain: Interval

    public init(retain: Interval) { self.retain = retain }

    public func run(_ store: TaskStore, now: Instant) throws -> Int {
        try store.purgeCompleted(before: now.adding(Interval(milliseconds: -retain.milliseconds)), batchSize: 1000)
    }
}
