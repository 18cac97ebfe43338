import Glibc

/// One operator action or sign-in event, as the audit log line and the `operator_audit` table keep it.
public struct AuditEntry: Equatable, Sendable {
    /// When it happened.
    public var at: Instant
    /// The operator's user name; `-` when none was given, `local` for loopback without `operators`,
    /// the Unix user for the command line.
    public var user: String
    /// The client address (`REMOTE_ADDR`), or `cli` for the command line.
    public var peer: String
    /// `run`, `pause`, `resume`, `sign-in`, …
    public var action: String
    /// The job acted on, if any.
    public var job: String?
    /// `ok`, `refused`, `throttled`, `not-found`, `standing-by`, …
    public var outcome: String

    /// An entry; over-long values (a user name an attacker typed) are cut to 100 characters.
    public init(at: Instant, user: String, peer: String, action: String, job: String? = nil, outcome: String) {
        func cut(_ text: String) -> String { text.count > 100 ? String(text.prefix(100)) + "…" : text }
        (self.at, self.user, self.peer, self.action) = (at, cut(user), cut(peer), cut(action))
        (self.job, self.outcome) = (job.map(cut), cut(outcome))
    }
}

/// Where audit entries are kept: the `operator_audit` table on either backend (each job store is one).
public protocol AuditStore: AnyObject {
    /// Appends one entry.
    func recordAudit(_ entry: AuditEntry) throws
    /// The newest `limit` entries, newest first.
    func recentAudit(limit: Int) throws -> [AuditEntry]
}

/// The one way an operator action is recorded: an `[audit]` log line, then a row. The line is
/// written first, so an action is on record even when the database is what failed.
public enum Audit {
    /// Logs `entry` and stores it in `store` (when given); a failed row write is logged, not thrown:
    /// the action itself already happened or was refused.
    public static func record(_ entry: AuditEntry, log: Log, store: (any AuditStore)?) {
        log.info("audit", line(entry), fields: [
            ("user", .string(entry.user)), ("peer", .string(entry.peer)), ("action", .string(entry.action)),
            ("job", .string(entry.job ?? "-")), ("outcome", .string(entry.outcome)),
        ])
        guard let store else { return }
        do { try store.recordAudit(entry) } catch {
            log.warning("audit", "cannot store the audit row for \(entry.action) by \(quoted(entry.user)): \(error)")
        }
    }

    /// `user=alice peer=127.0.0.1 action=run job=purgeCompletedTasks outcome=ok`; a value with a
    /// space, quote or `=` is quoted so a typed user name cannot forge another field.
    static func line(_ entry: AuditEntry) -> String {
        "user=\(quoted(entry.user)) peer=\(quoted(entry.peer)) action=\(quoted(entry.action)) job=\(quoted(entry.job ?? "-")) outcome=\(quoted(entry.outcome))"
    }

    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" }) else { return value }
        return JSONText.quoted(value)
    }
}

extension AuditEntry {
    /// An action taken from the command line (`taskfcgi jobs …`): the Unix user who ran it, and
    /// `cli` as the peer, as issue 20 asks.
    public static func commandLine(at: Instant, action: String, job: String?, outcome: String) -> AuditEntry {
        AuditEntry(at: at, user: unixUser(), peer: "cli", action: action, job: job, outcome: outcome)
    }

    /// The effective user's name, or `uid N` when the password database has none.
    static func unixUser() -> String {
        let uid = geteuid()
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return "uid \(uid)"
        }
        return String(cString: name)
    }
}
