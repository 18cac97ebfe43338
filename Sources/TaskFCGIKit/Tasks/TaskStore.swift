/// The tasks, as the web pages read and change them; the job thread's lease, schedules and runs
/// are `JobStore`'s, and jobs write tasks in fenced batches (`JobContext.batch`). One store per thread.
public protocol TaskStore: AnyObject {
    /// Where creates, deletes and completions queue their webhook deliveries, in the same
    /// transaction as the change; nil when no webhooks are configured.
    var events: TaskEvents? { get }
    /// Stores a new pending task.
    func create(title: String, due: Instant, now: Instant) throws -> TaskItem
    /// The task with `id`, if any.
    func task(id: Int64) throws -> TaskItem?
    /// Changes title and due date of a pending task.
    func update(id: Int64, title: String, due: Instant) throws -> UpdateOutcome
    /// Deletes a task; false if there was none.
    func delete(id: Int64) throws -> Bool
    /// One page of tasks, ordered by due date (then id), `offset` rows in: what old `?page=N` links
    /// ask for. Its cost grows with `offset`; the list's own links use the keyset pages below.
    func list(_ filter: TaskFilter, limit: Int, offset: Int) throws -> [TaskItem]
    /// A keyset page: up to `limit` tasks just after `cursor` in list order (`forward`; nil: from
    /// the first) or just before it (nil: from the last), returned in list order. An index search
    /// lands on the cursor, so a page costs the same wherever it is in the list.
    func list(_ filter: TaskFilter, from cursor: TaskCursor?, forward: Bool, limit: Int) throws -> [TaskItem]
    /// How many tasks are pending and completed.
    func counts() throws -> TaskCounts
    /// A number that grows whenever any task is created, edited, completed or deleted (by any
    /// process); read from the two rows of kept counts, never from `tasks`. Live pages poll it.
    func changeToken() throws -> Int64
    /// `counts()` and `changeToken()` from one read of the same rows (what the list page shows).
    func countsAndChangeToken() throws -> (TaskCounts, Int64)
    /// Runs `body`, whose reads see one state of the store where the backend makes that cheap
    /// (SQLite: one read transaction, its lock taken once for a page's two queries). PostgreSQL
    /// runs `body` as is, each statement on its own snapshot: callers read the change token first,
    /// so a change between the reads moves the token and a live page cannot miss it either way.
    func reading<T>(_ body: () throws -> T) throws -> T
    /// The earliest due date among pending tasks.
    func earliestPendingDue() throws -> Instant?
    /// Creates a task under an idempotency key, in one transaction with the key: a later create with
    /// the same key since `keptSince` gets the first task back (as created) instead of a second one.
    func create(title: String, due: Instant, now: Instant, idempotencyKey: String, keptSince: Instant) throws -> KeyedCreate
}

extension TaskStore {
    /// Up to `limit` tasks just after `cursor` (nil: from the first), in list order.
    public func list(_ filter: TaskFilter, after cursor: TaskCursor?, limit: Int) throws -> [TaskItem] {
        try list(filter, from: cursor, forward: true, limit: limit)
    }

    /// Up to `limit` tasks just before `cursor` (nil: the last ones), in list order.
    public func list(_ filter: TaskFilter, before cursor: TaskCursor?, limit: Int) throws -> [TaskItem] {
        try list(filter, from: cursor, forward: false, limit: limit)
    }
}

/// What a create under an idempotency key did.
public enum KeyedCreate: Equatable, Sendable {
    case created(TaskItem)
    /// The key was used before for the same title and due date: this is the task that created.
    case replayed(TaskItem)
    /// The key was used before for a different title or due date.
    case keyReused
}
