/// What one run of a job works with: its slot, the lease it runs under, the tasks to read, and
/// `batch`, the only way it writes. Lives on the job thread for the length of one run.
public final class JobContext {
    public let job: String
    /// The schedule slot this run serves; nil for a wake-up (work fell due) or a manual run.
    public let slot: Instant?
    public let kind: RunKind
    /// The lease generation (fencing token) every batch of this run is checked against.
    public let generation: Int64
    /// When the run started: the reference time for its work (the action date it writes, say).
    public let startedAt: Instant
    /// The tasks, for reading (writes go through `batch`).
    public let tasks: TaskStore
    /// Until when the lease is certainly ours by our clock; each batch moves it on.
    public private(set) var leaseValidUntil: Instant
    /// The run's deadline: its start plus `jobs.NAME.timeout`. No batch starts after it: `batch`
    /// throws `TimeLimitReached`, the run ends "timed out", and the next run picks up the rest.
    public let deadline: Instant
    /// The limit the deadline came from.
    public let timeLimit: Interval
    /// Batches committed so far.
    public private(set) var batches = 0

    private let store: JobStore
    private let fence: Fence
    private let clock: any WallClock
    private let stopping: () -> Bool
    private let renewed: (Instant) -> Void
    private let metrics: JobMetrics?

    init(job: String, slot: Instant?, kind: RunKind, fence: Fence, startedAt: Instant, leaseValidUntil: Instant,
         timeLimit: Interval = ScheduledJob.defaultTimeout, tasks: TaskStore, store: JobStore, clock: any WallClock,
         stopping: @escaping () -> Bool, renewed: @escaping (Instant) -> Void, metrics: JobMetrics? = nil) {
        (self.job, self.slot, self.kind, self.generation) = (job, slot, kind, fence.generation)
        (self.startedAt, self.leaseValidUntil, self.tasks, self.store, self.fence) = (startedAt, leaseValidUntil, tasks, store, fence)
        (self.timeLimit, self.deadline) = (timeLimit, startedAt.adding(timeLimit))
        (self.clock, self.stopping, self.renewed, self.metrics) = (clock, stopping, renewed, metrics)
    }

    /// Where task changes queue their webhook deliveries (on a batch's executor), if anywhere.
    public var events: TaskEvents? { tasks.events }

    /// Reports tasks a committed batch completed at `startedAt` (their due dates, Unix ms), for the
    /// lateness histogram in `/metrics`.
    public func completed(dues: [Int64]) { metrics?.completed(dues: dues, action: startedAt) }

    /// True once the worker is stopping: finish the current batch and return. (A lost lease is not
    /// guessed from the clock here; the next batch finds out for certain and throws `LeaseLost`.)
    public var isStopping: Bool { stopping() }

    /// True once the run's deadline has passed: the next `batch` would throw `TimeLimitReached`.
    public var isPastDeadline: Bool { clock.now() >= deadline }

    /// Runs `body` in one write transaction that commits only if this worker still holds the lease
    /// with this run's generation, and renews the lease (and the thread's heartbeat) as it does.
    /// Throws `LeaseLost`, with nothing written, when the lease is gone, and `TimeLimitReached`,
    /// without starting, past the run's deadline.
    @discardableResult
    public func batch<T: Sendable>(_ body: (any SQLExecutor) throws -> T) throws -> T {
        let now = clock.now()
        guard now < deadline else { throw TimeLimitReached(limit: timeLimit) }
        let result = try store.fenced(fence, now: now, body)
        batches += 1
        leaseValidUntil = now.adding(fence.ttl)
        renewed(now)
        return result
    }
}
