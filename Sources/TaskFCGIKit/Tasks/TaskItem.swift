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
