/// Where a queued job is in its life. Waiting states are `scheduled` (enqueued for later),
/// `available` (may run now) and `retryable` (failed, waits for its next attempt); `running` has a
/// claim; `completed`, `discarded` (out of attempts, or refused) and `cancelled` are final.
public enum QueueState: String, CaseIterable, Sendable {
    case scheduled, available, running, retryable, completed, discarded, cancelled

    /// The states a job waits in before a worker claims it.
    static let waiting: [QueueState] = [.scheduled, .available, .retryable]
    /// The states in which a unique key is taken.
    static let live: [QueueState] = waiting + [.running]
    /// The final states, which `queue.retain` prunes.
    static let final: [QueueState] = [.completed, .discarded, .cancelled]

    /// `'a','b'` for an SQL `IN (…)` list (fixed names, never user input).
    static func sqlList(_ states: [QueueState]) -> String { states.map { "'\($0.rawValue)'" }.joined(separator: ",") }
}

/// A job to put on the queue.
public struct NewQueueJob: Sendable, Equatable {
    /// Which `QueueKind` works it.
    public var kind: String
    /// Its arguments, as JSON text.
    public var args: String
    /// Not before this instant (nil: at once).
    public var runAt: Instant?
    /// Attempts before it is discarded.
    public var maxAttempts: Int
    /// While a job with this key is waiting or running, another with it is not enqueued.
    public var uniqueKey: String?

    public init(kind: String, args: String, runAt: Instant? = nil, maxAttempts: Int, uniqueKey: String? = nil) {
        (self.kind, self.args, self.runAt, self.maxAttempts, self.uniqueKey) = (kind, args, runAt, maxAttempts, uniqueKey)
    }
}

extension NewQueueJob {
    /// Queues this job on `db` — a request's write or a job's `batch` — so it commits with the
    /// caller's transaction or not at all (the outbox pattern). Returns its id, or nil when a
    /// live job holds its unique key. The queue threads of this process notice the commit within
    /// their watch interval; other workers' at once on PostgreSQL (NOTIFY), within 250 ms on SQLite.
    public func enqueue(on db: any SQLExecutor, now: Instant) throws -> Int64? {
        try QueueSQL.enqueue(db, self, now: now)
    }
}

/// A job a worker has claimed: what its kind needs to work it, and the token that fences its result.
public struct ClaimedJob: Sendable, Equatable {
    public let id: Int64
    public let kind: String
    public let args: String
    /// This attempt's number, from 1.
    public let attempt: Int
    public let maxAttempts: Int
    public let createdAt: Instant
    /// Only a result recorded with this token counts; a rescued claim's token is void.
    let token: String
}

/// One failed attempt, as the queue keeps it.
public struct QueueError: Sendable, Equatable {
    public let attempt: Int
    public let at: Instant
    public let message: String
}

/// A queued job as `/jobs` and `GET /api/queue` show it.
public struct QueuedJob: Sendable, Equatable {
    public let id: Int64
    public let kind: String
    public let args: String
    public let state: QueueState
    public let attempt: Int
    public let maxAttempts: Int
    /// When it may run next (for waiting jobs), or ran last.
    public let runAt: Instant
    public let uniqueKey: String?
    public let createdAt: Instant
    public let finishedAt: Instant?
    /// The newest error, if any attempt failed.
    public let lastError: String?
    /// Every failed attempt, oldest first (filled in for single-job views).
    public var errors: [QueueError] = []
}

/// What one attempt came to, as its kind reports it.
public enum QueueOutcome: Sendable, Equatable {
    /// Done: the job is completed.
    case done
    /// Failed this time: retried after the kind's backoff until its attempts run out.
    case retry(String)
    /// Failed for good (a refused destination, say): discarded at once.
    case discard(String)
    /// No longer wanted (its endpoint was disabled): cancelled.
    case cancel(String)
}

/// How many jobs are in each state.
public struct QueueCounts: Sendable, Equatable {
    public var byState: [QueueState: Int] = [:]
    public subscript(state: QueueState) -> Int { byState[state] ?? 0 }
}

/// The SQL dialect the queue's statements are written in: PostgreSQL lets concurrent claimers
/// skip each other's rows; SQLite has one writer at a time, which needs nothing of the kind.
public enum SQLDialect: Sendable {
    case sqlite, postgres
}
