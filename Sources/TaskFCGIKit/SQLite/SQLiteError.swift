import CSQLite

/// A failed SQLite call: the result code, SQLite's message and the statement it ran.
public struct SQLiteError: DatabaseUnavailable, CustomStringConvertible, Sendable {
    /// The extended result code.
    public let code: Int32
    /// SQLite's own explanation.
    public let message: String
    /// The SQL being run, if any.
    public let sql: String?

    /// The database was locked for longer than the busy timeout.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
    /// The database (or its folder) cannot be written.
    public var isReadOnly: Bool { code & 0xff == SQLITE_READONLY }
    /// A file is never "down"; a missing one fails to open at start.
    public var isDown: Bool { false }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " - while executing `\(sql)`" }
        return text
    }
}

/// Throws a `SQLiteError` unless `code` is one of the `accepted` result codes.
@inline(__always)
func check(_ code: Int32, _ db: OpaquePointer?, sql: String? = nil, accepted: Int32 = SQLITE_OK) throws {
    guard code != accepted else { return }
    let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
    throw SQLiteError(code: db.map { sqlite3_extended_errcode($0) } ?? code, message: message, sql: sql)
}
