import CSQLite

/// A prepared statement, owned by one `Connection` and reused through its cache.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    private unowned let connection: Connection

    init(_ connection: Connection, sql: String) throws {
        var handle: OpaquePointer?
        try check(sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil),
                  connection.handle, sql: sql)
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", sql: sql) }
        self.handle = handle
        self.sql = sql
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears earlier bindings and binds `values` to `?1…?n`.
    func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .int(let number):
                code = sqlite3_bind_int64(handle, index, number)
            case .null:
                code = sqlite3_bind_null(handle, index)
            case .text(let text) where text.isEmpty:
                // A nil pointer would bind NULL, so the empty string gets a static one.
                code = sqlite3_bind_text(handle, index, "", 0, nil)
            case .text(var text):
                // Bound with an explicit length, so text holding NUL survives whole.
                code = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) {
                        sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), taskfcgi_sqlite_transient())
                    }
                }
            }
            try check(code, connection.handle, sql: sql)
        }
    }

    /// Advances one row; false when the statement is done.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        sqlite3_reset(handle)
        try check(code, connection.handle, sql: sql)
        return false
    }

    /// Ends the current run so the statement holds no read lock while cached.
    func reset() { sqlite3_reset(handle) }
}

/// The current row of a running statement, read by column index; valid only inside the
/// closure it is handed to.
public struct Row {
    fileprivate let handle: OpaquePointer

    init(_ statement: Statement) { handle = statement.handle }

    /// The column as an integer (0 for NULL).
    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    /// The column as an integer, nil for NULL.
    public func optionalInt(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }
    /// The column as text ("" for NULL), exactly as stored, NUL bytes included.
    public func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
    /// How many columns the row has.
    public var count: Int32 { sqlite3_column_count(handle) }
    /// The column as a value of its stored type (a REAL is read as an integer).
    public func value(_ column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return .null
        case SQLITE_TEXT, SQLITE_BLOB: return .text(text(column))
        default: return .int(int(column))
        }
    }
    /// The column as text, nil for NULL.
    public func optionalText(_ column: Int32) -> String? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : text(column)
    }
}
