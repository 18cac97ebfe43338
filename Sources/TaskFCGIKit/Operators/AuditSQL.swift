/// The audit table's statements, the same on both backends (`?` placeholders, every value bound).
enum AuditSQL {
    /// Appends `entry`.
    static func insert(_ db: any SQLExecutor, _ entry: AuditEntry) throws {
        try db.run("INSERT INTO operator_audit (at_ms, user_name, peer, action, job, outcome) VALUES (?, ?, ?, ?, ?, ?)", [
            .int(entry.at.milliseconds), .text(entry.user), .text(entry.peer), .text(entry.action),
            entry.job.map(SQLValue.text) ?? .null, .text(entry.outcome),
        ])
    }

    /// The newest `limit` entries, newest first.
    static func recent(_ db: any SQLExecutor, limit: Int) throws -> [AuditEntry] {
        try db.query("SELECT at_ms, user_name, peer, action, job, outcome FROM operator_audit ORDER BY id DESC LIMIT ?",
                     [.int(Int64(limit))]).map { row in
            AuditEntry(at: Instant(milliseconds: row[0].int ?? 0), user: row[1].text ?? "", peer: row[2].text ?? "",
                       action: row[3].text ?? "", job: row[4].text, outcome: row[5].text ?? "")
        }
    }
}

extension SQLiteJobStore {
    /// Through the shared writer, like every other write.
    public func recordAudit(_ entry: AuditEntry) throws {
        try writes.run { db in try AuditSQL.insert(db, entry) }
    }

    public func recentAudit(limit: Int) throws -> [AuditEntry] { try AuditSQL.recent(db, limit: limit) }
}

#if PostgreSQL
extension PostgresJobStore {
    public func recordAudit(_ entry: AuditEntry) throws { try AuditSQL.insert(db, entry) }

    public func recentAudit(limit: Int) throws -> [AuditEntry] { try AuditSQL.recent(db, limit: limit) }
}
#endif
