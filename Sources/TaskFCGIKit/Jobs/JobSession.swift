/// What the job thread works with from its start to its stop: its own task and job stores and its
/// hold on the lease, handed whole to every step of the loop rather than as loose parameters, and
/// the little it remembers between turns.
final class JobSession {
    /// The tasks, for reading (jobs write through their context's fenced batches).
    let tasks: TaskStore
    /// The lease, schedules, pauses and run history.
    let store: JobStore
    /// Whether, and under which fence, this thread holds the lease.
    let lease: LeaseKeeper
    /// When the pauses were last read (see `JobRunner.refreshPauses`).
    var pausesRead: Instant?

    /// A session over one thread's stores, not yet holding the lease.
    init(tasks: TaskStore, store: JobStore, lease: LeaseKeeper) {
        (self.tasks, self.store, self.lease) = (tasks, store, lease)
    }
}
