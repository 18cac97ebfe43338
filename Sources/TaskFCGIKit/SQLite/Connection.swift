import CSQLite

/// One SQLite connection, used by one thread at a time (opened NOMUTEX: callers serialize, as
/// `SharedWriter`'s lock does). Statements are prepared once and cached.
public final class Connection: SQLExecutor {
    let handle: OpaquePointer
    /// What `sqlite3_busy_timeout` was set to; `SharedWriter` spends it per write instead.
    let busyTimeoutMilliseconds: Int32
    private var statements: [String: Statement] = [:]

    /// Opens `location` as given (a path, `:memory:` or a `file:` URI), creating the file if needed.
    public init(location: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(location, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(handle)
            throw SQLiteError(code: code, message: message, sql: nil)
        }
        self.handle = handle
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        try configure()
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// True when SQLite opened the file read-only (its file or folder is not writable).
    public var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    private func configure() throws {
        try execute("PRAGMA foreign_keys = ON")
        // A read-only file cannot switch to WAL; it is still served, and writes fail with a clear error.
        guard !isReadOnly else { return }
        let mode = try scalarText("PRAGMA journal_mode = WAL")
        guard mode == "wal" || mode == "memory" else {
            throw SQLiteError(code: SQLITE_ERROR, message: "journal_mode is \(mode ?? "unknown"), WAL could not be enabled", sql: nil)
        }
        // WAL with NORMAL: a commit survives a crash of the process; only a power loss may drop the last ones.
        try execute("PRAGMA synchronous = NORMAL")
    }

    /// Runs one or more statements without parameters (schema, pragmas).
    public func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), handle, sql: sql)
    }

    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: SQLValue...) throws -> Int { try run(sql, values) }

    /// Runs a statement with its values as an array and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: [SQLValue]) throws -> Int {
        let statement = try prepared(sql)
        try statement.bind(values)
        defer { statement.reset() }
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and maps each row.
    public func rows<T>(_ sql: String, _ values: SQLValue..., map: (Row) throws -> T) throws -> [T] {
        try rows(sql, values, map: map)
    }

    /// Runs a query with its values as an array and maps each row.
    public func rows<T>(_ sql: String, _ values: [SQLValue], map: (Row) throws -> T) throws -> [T] {
        let statement = try prepared(sql)
        try statement.bind(values)
        defer { statement.reset() }
        var result: [T] = []
        while try statement.step() { result.append(try map(Row(statement))) }
        return result
    }

    /// Runs a query and maps its first row, if any.
    public func firstRow<T>(_ sql: String, _ values: SQLValue..., map: (Row) throws -> T) throws -> T? {
        try firstRow(sql, values, map: map)
    }

    /// Runs a query with its values as an array and maps its first row, if any.
    public func firstRow<T>(_ sql: String, _ values: [SQLValue], map: (Row) throws -> T) throws -> T? {
        let statement = try prepared(sql)
        try statement.bind(values)
        defer { statement.reset() }
        return try statement.step() ? map(Row(statement)) : nil
    }

    /// Runs a query and reads each row as values (for jobs, which see only `SQLExecutor`).
    public func query(_ sql: String, _ values: [SQLValue]) throws -> [[SQLValue]] {
        try rows(sql, values) { row in (0..<row.count).map(row.value) }
    }

    /// The id of the row inserted last on this connection.
    public var lastInsertID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: committed if it returns, rolled back if it
    /// throws. Inside a transaction already (a write committed with others, see `SharedWriter`),
    /// it is a savepoint of that one, with the same all-or-nothing effect.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        guard sqlite3_get_autocommit(handle) == 0 else { return try between("BEGIN IMMEDIATE", body) }
        return try between("SAVEPOINT nested_transaction", body, commit: "RELEASE nested_transaction",
                           rollback: ["ROLLBACK TO nested_transaction", "RELEASE nested_transaction"])
    }

    /// `body` in a transaction when `wanted` (a write that queues follow-up work must commit
    /// with it), else as it is (a single statement is atomic by itself).
    func maybeTransaction<T>(_ wanted: Bool, _ body: () throws -> T) throws -> T {
        wanted ? try transaction(body) : try body()
    }

    /// Runs `body` after `begin`; `commit` if it returns, `rollback` if it throws. All are cached
    /// statements, so a transaction parses no SQL.
    func between<T>(_ begin: String, _ body: () throws -> T, commit: String = "COMMIT",
                    rollback: [String] = ["ROLLBACK"]) throws -> T {
        try run(begin)
        do {
            let result = try body()
            try run(commit)
            return result
        } catch {
            for undo in rollback { _ = try? run(undo) }
            throw error
        }
    }

    private func scalarText(_ sql: String) throws -> String? {
        try firstRow(sql) { $0.optionalText(0) } ?? nil
    }

    private func prepared(_ sql: String) throws -> Statement {
        if let statement = statements[sql] { return statement }
        let statement = try Statement(self, sql: sql)
        statements[sql] = statement
        return statement
    }
}

// A connection belongs to the thread that opened it, or to the lock that guards it.
@available(*, unavailable)
extension Connection: Sendable {}
