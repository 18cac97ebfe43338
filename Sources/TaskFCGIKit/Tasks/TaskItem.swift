/// A task: what to do and when; the job completes it once it falls due.
public struct TaskItem: Equatable, Sendable {
    public var id: Int64
    public var title: String
    public var due: Instant
    public var isCompleted: Bool
    /// When the job completed it; nil while pending.
    public var actionAt: Instant?
    public var createdAt: Instant

    public init(id: Int64, title: String, due: Instant, isCompleted: Bool, actionAt: Instant?, createdAt: Instant) {
        (self.id, self.title, self.due, self.isCompleted) = (id, title, due, isCompleted)
        (self.actionAt, self.createdAt) = (actionAt, createdAt)
    }
}

/// Which tasks a list shows.
public enum TaskFilter: String, CaseIterable, Sendable {
    case all, pending, completed
}

/// How many tasks there are in each state.
public struct TaskCounts: Equatable, Sendable {
    public var pending: Int
    public var completed: Int
    public var all: Int { pending + completed }

    /// The count a filter shows.
    public func count(_ filter: TaskFilter) -> Int {
        switch filter {
        case .all: return all
        case .pending: return pending
        case .completed: return completed
        }
    }
}

/// The outcome of changing a task.
public enum UpdateOutcome: Equatable, Sendable {
    case updated
    case notFound
    /// Completed tasks are read-only.
    case alreadyCompleted
}

/// One recorded run of a background job.
public struct JobRun: Equatable, Sendable {
    public var job: String
    public var startedAt: Instant
    public var durationMicroseconds: Int64
    /// Tasks the run changed (completed, purged).
    public var affected: Int
    /// Why the run failed; nil when it succeeded.
    public var error: String?

    public init(job: String, startedAt: Instant, durationMicroseconds: Int64, affected: Int, error: String?) {
        (self.job, self.startedAt, self.durationMicroseconds) = (job, startedAt, durationMicroseconds)
        (self.affected, self.error) = (affected, error)
    }
}

/// Who may run jobs, until when.
public struct Lease: Equatable, Sendable {
    /// A unique id per worker process (`host:pid:random`).
    public var holder: String
    public var pid: Int
    public var host: String
    public var acquiredAt: Instant
    public var expiresAt: Instant

    public init(holder: String, pid: Int, host: String, acquiredAt: Instant, expiresAt: Instant) {
        (self.holder, self.pid, self.host, self.acquiredAt, self.expiresAt) = (holder, pid, host, acquiredAt, expiresAt)
    }
}
