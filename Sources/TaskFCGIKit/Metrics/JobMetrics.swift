import Synchronization

/// What the job thread reports for `/metrics`: runs, failures and durations by job, misfires, lease
/// acquisitions and the lateness of each task it completed. Only the job thread writes, so one
/// lock is never contended on the request path.
public final class JobMetrics: Sendable {
    /// One job's counters in this process.
    public struct PerJob: Sendable, Equatable {
        public var runs: UInt64 = 0
        public var failures: UInt64 = 0
        public var misfires: UInt64 = 0
        /// Runs that reached their time limit (`jobs.NAME.timeout`).
        public var timeouts: UInt64 = 0
        public var duration = HistogramCounts(bounds: Buckets.job)
    }

    /// A consistent copy for a scrape.
    public struct Snapshot: Sendable, Equatable {
        /// By job name, every known job present from the start so its series exist at 0.
        public var jobs: [String: PerJob]
        /// Due date → action date of every task this process completed.
        public var lateness = HistogramCounts(bounds: Buckets.lateness)
        /// Times this process took the job lease.
        public var leaseAcquisitions: UInt64 = 0
    }

    private let state: Mutex<Snapshot>

    /// Counters for `jobs`, all at 0.
    public init(jobs: [String]) {
        state = Mutex(Snapshot(jobs: Dictionary(uniqueKeysWithValues: jobs.map { ($0, PerJob()) })))
    }

    /// A run ended: a failure if it failed or lost the lease, a timeout if it reached its limit.
    public func finished(_ run: JobRun) {
        state.withLock { state in
            state.jobs[run.job, default: PerJob()].runs += 1
            if run.outcome == .failed || run.outcome == .leaseLost { state.jobs[run.job, default: PerJob()].failures += 1 }
            if run.outcome == .timedOut { state.jobs[run.job, default: PerJob()].timeouts += 1 }
            state.jobs[run.job, default: PerJob()].duration.observe(Double(run.durationMicroseconds) / 1_000_000)
        }
    }

    /// Slots of `job` passed without a run (counted whether caught up once or skipped).
    public func misfired(_ job: String, slots: Int) {
        guard slots > 0 else { return }
        state.withLock { $0.jobs[job, default: PerJob()].misfires += UInt64(slots) }
    }

    /// This process took the job lease.
    public func leaseAcquired() {
        state.withLock { $0.leaseAcquisitions += 1 }
    }

    /// Tasks were completed at `action`; `dues` are their due dates (Unix ms).
    public func completed(dues: [Int64], action: Instant) {
        guard !dues.isEmpty else { return }
        state.withLock { state in
            for due in dues { state.lateness.observe(Double(action.milliseconds - due) / 1000) }
        }
    }

    /// A copy of every counter, for a scrape.
    public var snapshot: Snapshot { state.withLock { $0 } }
}

/// Everything `/metrics` shows besides what `ServerStats` and the job thread's status already keep.
public final class Metrics: Sendable {
    public let requests = RequestMetrics()
    public let jobs: JobMetrics
    public let queue: QueueMetrics
    /// The storage backend, for `taskfcgi_build_info`.
    public let backend: String

    /// Metrics for a worker running `jobs` and queued `queueKinds` on `backend`.
    public init(jobs: [String], queueKinds: [String] = [], backend: String = "sqlite") {
        self.jobs = JobMetrics(jobs: jobs)
        queue = QueueMetrics(kinds: queueKinds)
        self.backend = backend
    }
}
