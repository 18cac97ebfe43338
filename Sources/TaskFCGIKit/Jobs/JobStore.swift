/// What the job thread keeps in the database besides tasks: the lease, each job's schedule and
/// the run history. Every write that a job run makes goes through `fenced`, so a holder that lost
/// the lease (paused, partitioned, slow) can never commit. One store per thread. It keeps the
/// operators' audit trail too (`AuditStore`), on the same connection.
public protocol JobStore: AuditStore {
    /// The lease row, if any.
    func currentLease() throws -> Lease?
    /// Takes the lease by compare-and-swap on the exact row read: succeeds only if the row is still
    /// `expected` (same holder and generation; nil: no row yet) and, unless `expiredAt` is nil (its
    /// holder is known dead), has expired by then (the database server's clock, where it has one).
    /// The new lease has the next generation.
    func takeLease(_ claim: Lease, replacing expected: Lease?, expiredAt now: Instant?) throws -> Lease?
    /// Pushes our lease's expiry to `now + ttl` if it is still ours and unexpired; false otherwise.
    /// (On a server database, "now" is the server's clock, so hosts' clocks need not agree.)
    func renewLease(_ fence: Fence, now: Instant) throws -> Bool
    /// Gives the lease up (at a clean stop) so a stand-by takes over at once.
    func releaseLease(_ fence: Fence) throws

    /// Runs `body` in one write transaction that first checks (and renews) the lease for `fence`
    /// at `now`; throws `LeaseLost` and rolls back if the lease is no longer ours.
    func fenced<T: Sendable>(_ fence: Fence, now: Instant, _ body: (any SQLExecutor) throws -> T) throws -> T

    /// Every job's schedule row, by job name.
    func schedules() throws -> [String: ScheduleState]
    /// Writes a job's schedule row (a new job, a changed schedule, skipped slots), fenced.
    func saveSchedule(_ state: ScheduleState, fence: Fence, now: Instant) throws
    /// Claims `slot` of `state.job` for this holder, fenced, and moves the schedule on to
    /// `state.nextRun`: returns the run's attempt number, or nil if the slot already ran to the end;
    /// throws `JobIsPaused`, writing nothing, while the job is paused.
    /// A slot whose earlier run was interrupted (lease lost, crash, failure) is resumed.
    func claim(slot: Instant, _ state: ScheduleState, fence: Fence, now: Instant) throws -> Int?
    /// Records how a run ended (its slot's row, or a new row for wake-ups and manual runs), fenced
    /// unless the lease was lost, then trims that job's history to its newest `keep` runs.
    func finish(_ run: JobRun, fence: Fence, now: Instant, keep: Int) throws

    /// Pauses `job` as `pause` says, unfenced (any worker or the command line may): a job without
    /// a schedule row yet gets `fresh`. Pausing a paused job keeps its `since` and takes the new
    /// actor, reason and until-time. Returns the pause as stored.
    func pause(_ job: String, _ pause: JobPause, fresh: ScheduleState, now: Instant) throws -> JobPause
    /// Lifts `job`'s pause (with `onlyIfExpired`, only one whose until-time has passed by `now`, so
    /// a pause renewed meanwhile stays); returns the pause lifted, or nil when none was.
    func resume(_ job: String, now: Instant, onlyIfExpired: Bool) throws -> JobPause?
    /// Each paused job's pause (expired ones included, until the holder lifts them): the job
    /// thread's cheap look each time round its loop.
    func pauses() throws -> [String: JobPause]

    /// The newest runs of `job`, newest first.
    func recentRuns(job: String, limit: Int) throws -> [JobRun]
    /// Lateness (action minus due, ms) of up to `limit` recently due completed tasks.
    func recentLateness(limit: Int) throws -> [Int64]
    /// True when another connection or process has committed since the previous call: the job
    /// thread's cheap way to notice tasks created by other workers sharing the database.
    func changedElsewhere() throws -> Bool

    /// The durable queue, on this store's connection.
    var queue: any QueueStore { get }
}
