import Foundation
import Testing
@testable import TaskFCGIKit

extension IntegrationTests {
    /// `taskfcgi cron` and `taskfcgi jobs` as an operator runs them: the real binary, a real SQLite
    /// file, and a running worker that must honour a pause made by the command line.
    @Suite("taskfcgi cron and jobs (command line)")
    struct JobsCommand {
        @Test("cron prints slots as RFC 3339 instants, one a line; a bad or never-matching expression is one line and exit 78")
        func cronPreview() throws {
            let box = try Sandbox()
            defer { box.close() }
            let run = try box.runTaskfcgi(["cron", "*/15 * * * *", "--zone", "America/New_York",
                                           "--from", "2024-11-03T05:30:00Z", "--count", "3"])
            #expect(run.ending == .exited(0), "\(run.stderr)")
            #expect(run.stdout == "2024-11-03T01:45:00-04:00\n2024-11-03T01:00:00-05:00\n2024-11-03T01:15:00-05:00\n")
            for (expression, message) in [("0 0 30 2 *", "taskfcgi: cron: never matches: February has no day 30\n"),
                                          ("0 0 31 4 *", "taskfcgi: cron: never matches: April has no day 31\n"),
                                          ("0 25 * * *", "taskfcgi: cron: field 2 (hour): 25 is out of range 0–23\n")] {
                let refused = try box.runTaskfcgi(["cron", expression])
                #expect(refused.ending == .exited(78), "\(expression)")
                #expect(refused.stderr == message && refused.stdout.isEmpty, "\(expression): \(refused.stderr)")
            }
            let zone = try box.runTaskfcgi(["cron", "@daily", "--zone", "Mars/Olympus"])
            #expect(zone.ending == .exited(78) && zone.stderr.contains("--zone: \"Mars/Olympus\" is not a known IANA time zone"))
        }

        @Test("jobs pause from the command line stops a running worker's job at once; resume lets it run")
        func pauseHonouredByARunningWorker() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig(["timeZone": "Europe/Berlin"])
            let worker = try box.startWorker()
            #expect(waitUntil(5) { box.log.contains("holding the job lease") }, "\(box.logTail())")

            let paused = try box.runTaskfcgi(["jobs", "pause", "completeDueTasks", "--reason", "bulk import", "--config", box.configPath])
            #expect(paused.ending == .exited(0), "\(paused.stderr)")
            let user = try box.runTaskfcgi(["jobs", "--config", box.configPath]).stdout
            #expect(user.contains("completeDueTasks") && user.contains("\"bulk import\"; until resumed"), "\(user)")
            // A task falls due while paused: no wake-up, no slot completes it.
            let due = nowMilliseconds() + 300
            try box.sql("INSERT INTO tasks (title, due_at, created_at) VALUES ('while paused', \(due), \(due))")
            let ranWhilePaused = try waitUntil(2) { try box.sqlInt("SELECT completed FROM tasks") == 1 }
            #expect(!ranWhilePaused, "the paused job completed the task; log:\n\(box.logTail())")

            let resumed = try box.runTaskfcgi(["jobs", "resume", "completeDueTasks", "--config", box.configPath])
            #expect(resumed.ending == .exited(0) && resumed.stdout.hasPrefix("resumed completeDueTasks (since "), "\(resumed.stdout)")
            let done = try waitUntil(3) { try box.sqlInt("SELECT completed FROM tasks") == 1 }
            #expect(done, "not completed after resume; log:\n\(box.logTail())")
            // Both acts are audited in the shared log and the audit table: the Unix user, from cli.
            let unixUser = AuditEntry.unixUser()
            #expect(box.log.contains("[audit] user=\(unixUser) peer=cli action=pause job=completeDueTasks outcome=ok"), "\(box.logTail())")
            #expect(box.log.contains("[audit] user=\(unixUser) peer=cli action=resume job=completeDueTasks outcome=ok"), "\(box.logTail())")
            #expect(try box.sqlInt("SELECT count(*) FROM operator_audit WHERE peer = 'cli' AND action IN ('pause', 'resume')") == 2)

            let next = try box.runTaskfcgi(["jobs", "next", "purgeCompletedTasks", "--count", "2", "--config", box.configPath])
            let lines = next.stdout.split(separator: "\n")
            #expect(lines.count == 2 && lines.allSatisfy { $0.contains("T00:00:00+0") }, "\(next.stdout)")
            let unknown = try box.runTaskfcgi(["jobs", "next", "nothing", "--config", box.configPath])
            #expect(unknown.ending == .exited(64) && unknown.stderr.contains("there is no job called \"nothing\""))
            #expect(worker.isRunning)
        }
    }
}
