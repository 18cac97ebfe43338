import Foundation
import Testing
@testable import TaskFCGIKit

/// On both backends: the audit table, idempotency keys past their lifetime, and job SQL holding
/// comments, quoted and dollar-quoted text with question marks.
@Suite struct IssueTwentyStoreTests {
    private let t0 = utc(2026, 11, 24, 12)

    @Test(arguments: Backend.all) func auditRowsComeBackNewestFirst(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        for index in 0..<3 {
            try temp.jobs.recordAudit(AuditEntry(at: t0.adding(.seconds(Int64(index))), user: "alice'; DROP TABLE audit;--",
                                                 peer: "10.0.0.\(index)", action: "run", job: index == 1 ? nil : "purgeCompletedTasks",
                                                 outcome: "ok"))
        }
        let entries = try temp.another().jobs.recentAudit(limit: 2)
        #expect(entries.map(\.peer) == ["10.0.0.2", "10.0.0.1"])
        #expect(entries[1].job == nil && entries[0].job == "purgeCompletedTasks")
        #expect(entries[0].user == "alice'; DROP TABLE audit;--" && entries[0].at == t0.adding(.seconds(2)))
    }

    @Test(arguments: Backend.all) func aKeyPastItsLifetimeIsIgnoredEvenWhenNotYetSwept(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let day = Interval.days(1)
        let old = t0.adding(.hours(-30))
        // 150 expired keys: a keyed create sweeps only the 100 oldest, so "k-late" (the newest) stays.
        for index in 0..<150 {
            try temp.sql.run("INSERT INTO idempotency_keys (idem_key, task_id, title, due_at, created_at) VALUES (?, ?, ?, ?, ?)",
                             .text(index == 149 ? "k-late" : "k\(index)"), .int(999), .text("Old"), .int(0), .int(old.milliseconds + Int64(index)))
        }
        let since = t0.adding(Interval(milliseconds: -day.milliseconds))
        let reused = try temp.store.create(title: "Different", due: t0, now: t0, idempotencyKey: "k-late", keptSince: since)
        guard case .created = reused else { Issue.record("an expired key was still honoured: \(reused)"); return }
        let replay = try temp.store.create(title: "Old", due: Instant(milliseconds: 0), now: t0, idempotencyKey: "k0", keptSince: since)
        guard case .created = replay else { Issue.record("an expired key was replayed: \(replay)"); return }
    }

    @Test(arguments: Backend.all) func thePurgeJobRemovesExpiredKeysInTheBackground(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        for (key, age) in [("stale-1", Interval.hours(25)), ("stale-2", .hours(49)), ("fresh", .hours(23))] {
            try temp.sql.run("INSERT INTO idempotency_keys (idem_key, task_id, title, due_at, created_at) VALUES (?, 1, 't', 0, ?)",
                             .text(key), .int(t0.milliseconds - age.milliseconds))
        }
        _ = try temp.runJob(PurgeCompletedTasks(retain: .days(30), batchSize: 1), now: t0)
        let left = try temp.sql.query("SELECT idem_key FROM idempotency_keys ORDER BY idem_key").compactMap { $0.first?.text }
        #expect(left == ["fresh"])
    }

    @Test(arguments: Backend.all) func jobSQLWithCommentsAndQuotedQuestionMarksRunsOnBothBackends(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        _ = try temp.store.create(title: "Why?", due: t0, now: t0)
        _ = try temp.store.create(title: "Because", due: t0, now: t0)
        let sql = """
            -- don't count the '?' titles? (a comment with a quote and a question mark)
            SELECT count(*) FROM tasks /* what's this? */
            WHERE title <> '?' AND title <> ? AND title <> 'it''s ?' -- trailing? comment
            """
        #expect(try temp.sql.query(sql, [.text("Because")]).first?.first?.int == 1)
        let numbered = "SELECT count(*) FROM tasks WHERE title = ?2 OR title = ?1 -- ?3 is not here"
        #expect(try temp.sql.query(numbered, [.text("Why?"), .text("Because")]).first?.first?.int == 2)
        if backend == .postgres {
            // PostgreSQL only: dollar quotes, and block comments that nest.
            let dollar = #"SELECT count(*) FROM tasks /* a /* nested? */ comment? */ WHERE title <> $$don't?$$ AND title <> $tag$?$tag$ AND title <> E'it\'s ?' AND title = ?"#
            #expect(try temp.sql.query(dollar, [.text("Why?")]).first?.first?.int == 1)
        }
    }

    @Test("the ? → $n rewrite leaves quotes, comments and dollar quotes alone")
    func placeholderRewrite() {
        let cases: [(String, String)] = [
            ("SELECT ?, ?", "SELECT $1, $2"),
            ("SELECT ?2, ?1", "SELECT $2, $1"),
            ("SELECT '?', \"?\", ? -- don't ?\n, ?", "SELECT '?', \"?\", $1 -- don't ?\n, $2"),
            ("SELECT /* ? /* ? */ ? */ ?", "SELECT /* ? /* ? */ ? */ $1"),
            ("SELECT $$ it's ? $$, $a$ ? $b$ ? $a$, ?", "SELECT $$ it's ? $$, $a$ ? $b$ ? $a$, $1"),
            ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
            ("SELECT 5-?", "SELECT 5-$1"),
            ("SELECT 'unclosed ?", "SELECT 'unclosed ?"),
            (#"SELECT E'it\'s ?', ?"#, #"SELECT E'it\'s ?', $1"#),
            (#"SELECT e'\\', ?"#, #"SELECT e'\\', $1"#),
            (#"SELECT name'\', ?"#, #"SELECT name'\', $1"#),
        ]
        for (input, expected) in cases { #expect(Placeholders.positional(input) == expected, "\(input)") }
    }
}
