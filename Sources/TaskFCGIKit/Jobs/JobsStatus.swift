/// One job as the dashboard and `/status` show it, from this process's point of view.
public struct JobStatus: Sendable {
    public var name: String
    public var enabled: Bool
    /// The schedule as written (`every 5m`, `cron @daily`).
    public var schedule: String
    public var misfire: MisfirePolicy
    /// When it runs next; nil while this process stands by or the job is disabled.
    public var nextRun: Instant?
    /// Failures in a row.
    public var failures = 0
    /// Runs and failed runs in this process.
    public var runs = 0
    public var failedRuns = 0
    public var lastRun: JobRun?
}

/// The job thread's state, published each time round its loop and after every batch.
public struct JobsStatus: Sendable {
    public var jobs: [JobStatus]
    public var leaseTTL: Interval
    /// When the thread last showed it is alive (zero before it started): each time round its loop
    /// and after every batch of a run, so a long run keeps it fresh.
    public var heartbeat = Instant(milliseconds: 0)
    /// Whether this process runs the jobs (else it stands by).
    public var holdsLease = false
    /// This process's lease holder id.
    public var holder = ""
    /// The generation of the lease we hold (0 while standing by).
    public var generation: Int64 = 0
    /// The job running right now, if any.
    public var running: String?

    /// How long the heartbeat may be silent before `/healthz` calls the thread stuck: a batch that
    /// takes longer than two lease TTLs has lost the lease anyway.
    public var stuckAfter: Interval { max(.seconds(10), Interval(milliseconds: 2 * leaseTTL.milliseconds)) }

    mutating func record(_ run: JobRun) {
        guard let index = jobs.firstIndex(where: { $0.name == run.job }) else { return }
        jobs[index].runs += 1
        if run.outcome != .ok { jobs[index].failedRuns += 1 }
        jobs[index].lastRun = run
    }
}
