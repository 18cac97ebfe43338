/// A value bound to a placeholder. Every value that reaches SQL goes through here, on every backend.
public enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case null

    /// The value as an integer, if it is one.
    public var int: Int64? { if case .int(let value) = self { value } else { nil } }
    /// The value as text, if it is text.
    public var text: String? { if case .text(let value) = self { value } else { nil } }
}

/// What a job's batch writes with, whatever the backend: statements with `?` or `?NNN`
/// placeholders (PostgreSQL's `$NNN` is written for it), every value bound, never interpolated.
public protocol SQLExecutor: AnyObject {
    /// Runs one statement; returns the number of rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLValue]) throws -> Int
    /// Runs a query; each row as its column values (integers, text or null).
    func query(_ sql: String, _ values: [SQLValue]) throws -> [[SQLValue]]
}

extension SQLExecutor {
    /// Runs one statement with its values listed; returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: SQLValue...) throws -> Int { try run(sql, values) }
    /// Runs a query with its values listed.
    public func query(_ sql: String, _ values: SQLValue...) throws -> [[SQLValue]] { try query(sql, values) }
}

/// A database error the web half turns into a 503 (nothing changed, try again) instead of a 500.
public protocol DatabaseUnavailable: Error {
    /// Another writer holds the lock, or a statement ran out of time.
    var isBusy: Bool { get }
    /// The database cannot be written (a read-only file, a standby server).
    var isReadOnly: Bool { get }
    /// The server cannot be reached right now.
    var isDown: Bool { get }
}
