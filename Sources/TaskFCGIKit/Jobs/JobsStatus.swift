/// One job as the dashboard and `/status` show it, from this process's point of view.
public struct JobStatus: Sendable {
    public var name: String
    public var enabled: Bool
    /// The schedule as written (`every 5m`, `cron @daily`).
    public var schedule: String
    public var misfire: MisfirePolicy
    /// Its time limit (`jobs.NAME.timeout`).
    public var timeout = ScheduledJob.defaultTimeout
    /// When it runs next; nil while this process stands by or the job is disabled.
    public var nextRun: Instant?
    /// Failures in a row.
    public var failures = 0
    /// Runs and failed runs in this process.
    public var runs = 0
    public var failedRuns = 0
    /// Runs that reached their time limit in this process.
    public var timeouts = 0
    public var lastRun: JobRun?
}

/// The job the thread is running, since when, under which time limit.
public struct RunningJob: Equatable, Sendable {
    /// The job's name.
    public var name: String
    /// When the run started.
    public var since: Instant
    /// Its time limit (`jobs.NAME.timeout`).
    public var limit: Interval

    /// How long past twice its limit the run has gone without returning; nil while it is not stuck.
    /// A stuck run renews nothing (only batches and the loop renew the lease), so a stand-by takes
    /// over within `leaseTTL`, and the fence refuses the run should it ever write again.
    public func stuck(at now: Instant) -> Interval? {
        let running = now.since(since)
        return running.milliseconds > 2 * limit.milliseconds ? running : nil
    }
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
    /// The run in progress right now, if any.
    public var running: RunningJob?

    /// How long the heartbeat may be silent before `/healthz` calls the thread stuck: a batch that
    /// takes longer than two lease TTLs has lost the lease anyway.
    public var stuckAfter: Interval { max(.seconds(10), Interval(milliseconds: 2 * leaseTTL.milliseconds)) }

    mutating func record(_ run: JobRun) {
        guard let index = jobs.firstIndex(where: { $0.name == run.job }) else { return }
        jobs[index].runs += 1
        if run.outcome == .failed || run.outcome == .leaseLost { jobs[index].failedRuns += 1 }
        if run.outcome == .timedOut { jobs[index].timeouts += 1 }
        jobs[index].lastRun = run
    }
}
