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

/// One job this build knows: its config name, its defaults, its own config keys and how to make
/// it. Each job declares its definition beside its code (`CompleteDueTasks.definition`), and
/// decodes its own keys (`jobs.NAME.KEY`) from `JobOptions`: `Config` has no field for them.
public struct JobDefinition: Sendable {
    public let name: String
    public let defaultTrigger: JobTrigger
    /// Its time limit when the config gives no `timeout`.
    public let defaultTimeout: Interval
    /// Config keys of its own, besides `interval`, `cron`, `misfire`, `enabled` and `timeout`.
    public let extraKeys: [String]
    let make: @Sendable (Config, JobOptions) throws -> any Job

    public init(_ name: String, schedule: JobTrigger, timeout: Interval = ScheduledJob.defaultTimeout, extraKeys: [String] = [],
                make: @escaping @Sendable (Config, JobOptions) throws -> any Job) {
        (self.name, self.defaultTrigger, self.defaultTimeout, self.extraKeys, self.make) = (name, schedule, timeout, extraKeys, make)
    }

    /// The job as `config` sets it up; throws a `ConfigError` naming a bad key of its own (the
    /// config's load checks every job this way).
    func job(for config: Config) throws -> any Job {
        let section = config.jobs[name]?.options
        let reader = try section.map { try ConfigReader($0, file: config.file, path: "jobs.\(name)", allowed: Config.jobKeys + extraKeys) }
        return try make(config, JobOptions(reader: reader))
    }
}

/// A job's own keys in its `jobs.NAME` section, for its definition to decode; errors name the key.
public struct JobOptions {
    let reader: ConfigReader?

    /// A duration such as `"30d"`, if given.
    public func interval(_ key: String) throws -> Interval? { try reader?.interval(key) }
    /// A whole number in `range`, if given.
    public func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? { try reader?.integer(key, in: range) }
    /// A string, if given.
    public func string(_ key: String) throws -> String? { try reader?.string(key) }
    /// A true/false value, if given.
    public func bool(_ key: String) throws -> Bool? { try reader?.bool(key) }
}

/// The jobs this worker runs. Adding a job is one line here.
public enum JobRegistry {
    public static let known: [JobDefinition] = [CompleteDueTasks.definition, PurgeCompletedTasks.definition]

    /// Every job with its settings from the config (checked at load, so making them does not fail).
    public static func jobs(for config: Config) -> [ScheduledJob] {
        known.compactMap { definition in
            let settings = config.jobs[definition.name] ?? JobSettings(enabled: true, trigger: definition.defaultTrigger)
            guard let job = try? definition.job(for: config) else { return nil }
            return ScheduledJob(job, trigger: settings.trigger, misfire: settings.misfire,
                                enabled: settings.enabled, timeout: settings.timeout ?? definition.defaultTimeout)
        }
    }
}
