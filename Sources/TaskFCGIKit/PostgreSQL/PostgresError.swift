#if PostgreSQL
/// A failed PostgreSQL call: the SQLSTATE, the server's (or libpq's) message and the statement.
/// Connection strings never appear here, so a password cannot either.
public struct PostgresError: DatabaseUnavailable, CustomStringConvertible, Sendable {
    public let sqlState: String?
    public let message: String
    public let sql: String?

    /// A serialization failure, a deadlock, a lock or statement timeout: try again.
    public var isBusy: Bool { ["40001", "40P01", "55P03", "57014"].contains(sqlState ?? "") }
    /// A read-only transaction (a standby that is not promoted yet).
    public var isReadOnly: Bool { sqlState == "25006" }
    /// The server cannot be reached, or is shutting down.
    public var isDown: Bool { (sqlState ?? "08").hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState ?? "") }

    public var description: String {
        var text = "PostgreSQL error\(sqlState.map { " \($0)" } ?? ""): \(Self.oneLine(message, joinedBy: "; "))"
        if let sql { text += " - while executing `\(Self.oneLine(sql, joinedBy: " "))`" }
        return text
    }

    /// libpq's and the server's messages span lines ("…failed: Connection refused\n\tIs the
    /// server running…"); an error is one line on stderr and in the log, so each line break and
    /// the indentation after it become "; " (a statement's line breaks, one space).
    static func oneLine(_ text: String, joinedBy separator: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.drop { $0 == " " || $0 == "\t" } }
            .filter { !$0.isEmpty }.joined(separator: separator)
    }
}
#endif
