/// What handlers on one request thread work with: that thread's own store and the shared settings.
public final class AppContext {
    public let store: TaskStore
    /// The lease, schedules and run history, for the dashboard and `/status`.
    public let jobStore: JobStore
    public let zone: Zone
    public let clock: any WallClock
    public let log: Log
    /// Tells the job thread a task was created or moved to this due date.
    public let notifyJobs: @Sendable (Instant) -> Void
    /// The job thread, for the dashboard and health checks (nil in tests without one).
    public let jobs: JobsView?
    /// Request counters, for `/status` (nil in tests without a server).
    public let stats: ServerStats?
    /// Request, job and lateness metrics, for `/metrics` (nil in tests without them).
    public let metrics: Metrics?
    /// Who may use the operator routes (shared by every thread); loopback only when not given.
    public let operators: OperatorGate
    /// Wakes this process's queue threads (a job was made available again).
    public let queueChanged: @Sendable () -> Void

    public init(store: TaskStore, jobStore: JobStore, zone: Zone, clock: any WallClock = SystemClock(), log: Log,
                jobs: JobsView? = nil, stats: ServerStats? = nil, metrics: Metrics? = nil, operators: OperatorGate? = nil,
                notifyJobs: @escaping @Sendable (Instant) -> Void = { _ in }, queueChanged: @escaping @Sendable () -> Void = {}) {
        (self.store, self.jobStore, self.zone, self.clock, self.log) = (store, jobStore, zone, clock, log)
        (self.jobs, self.stats, self.metrics, self.notifyJobs) = (jobs, stats, metrics, notifyJobs)
        self.operators = operators ?? OperatorGate()
        self.queueChanged = queueChanged
    }

    /// Writes an `[audit]` line and an audit row for this request's operator action.
    public func audit(_ entry: AuditEntry) { Audit.record(entry, log: log, store: jobStore) }
}

/// What the web half may ask of the job thread.
public protocol JobsView: Sendable {
    /// Wakes the job thread to run `name` now; false if there is no such enabled job.
    func runNow(_ name: String) -> Bool
    /// What the job thread is doing.
    var status: JobsStatus { get }
    /// The named job with its settings (schedule, misfire), or nil when this worker has none.
    func scheduledJob(_ name: String) -> ScheduledJob?
    /// A job was paused or resumed through this worker: the job thread looks again at once.
    func pausesChanged()
}

extension JobsView {
    /// No settings known (test doubles).
    public func scheduledJob(_ name: String) -> ScheduledJob? { nil }
    /// Nothing to tell (test doubles).
    public func pausesChanged() {}
}

extension JobRunner: JobsView {
    public func scheduledJob(_ name: String) -> ScheduledJob? { jobs.first { $0.job.name == name } }
}
