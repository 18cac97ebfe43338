/// Everything the web pages and the jobs need from storage. Kept narrow so that a second
/// backend (PostgreSQL is planned) implements only this. One store per thread.
public protocol TaskStore: AnyObject {
    /// Stores a new pending task.
    func create(title: String, due: Instant, now: Instant) throws -> TaskItem
    /// The task with `id`, if any.
    func task(id: Int64) throws -> TaskItem?
    /// Changes title and due date of a pending task.
    func update(id: Int64, title: String, due: Instant) throws -> UpdateOutcome
    /// Deletes a task; false if there was none.
    func delete(id: Int64) throws -> Bool
    /// One page of tasks, ordered by due date (then id).
    func list(_ filter: TaskFilter, limit: Int, offset: Int) throws -> [TaskItem]
    /// How many tasks are pending and completed.
    func counts() throws -> TaskCounts
    /// The earliest due date among pending tasks.
    func earliestPendingDue() throws -> Instant?
    /// Completes every pending task due at or before `now` (action date `now`), in transactions of
    /// at most `batchSize` rows so request threads never wait long for the write lock.
    func completeDue(now: Instant, batchSize: Int) throws -> Int
    /// Deletes completed tasks whose action date is before `cutoff`.
    func purgeCompleted(before cutoff: Instant, batchSize: Int) throws -> Int

    /// True when another connection or process has committed since the previous call: the job
    /// thread's cheap way to notice tasks created by other workers sharing the database.
    func changedElsewhere() throws -> Bool

    /// Takes or renews the job lease for `lease.holder` if it is free, expired or already ours;
    /// true if we hold it now. Atomic across processes.
    func acquireLease(_ lease: Lease, now: Instant) throws -> Bool
    /// Gives the lease up (at a clean stop) so a stand-by takes over at once.
    func releaseLease(holder: String) throws
    /// The current lease, if any.
    func currentLease() throws -> Lease?
    /// Lateness (action minus due, ms) of up to `limit` recently due completed tasks.
    func recentLateness(limit: Int) throws -> [Int64]

    /// Records a job run and keeps only the newest `keep` runs.
    func record(_ run: JobRun, keep: Int) throws
    /// The newest runs of `job`, newest first.
    func recentRuns(job: String, limit: Int) throws -> [JobRun]
}
