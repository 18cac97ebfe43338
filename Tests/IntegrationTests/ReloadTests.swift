import Foundation
import Testing

extension IntegrationTests {
    /// SIGHUP through the real binary: job settings and logLevel taken at once, restart-only keys
    /// named and kept, a broken file refused with the running config kept.
    @Suite("Reload on SIGHUP")
    struct Reload {
        @Test("SIGHUP reloads job schedules and logLevel, names what needs a restart, and refuses a broken file")
        func sighupReloads() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            let worker = try box.startWorker()
            #expect(waitUntil(5) { box.log.contains("holding the job lease") }, "\(box.logTail())")
            #expect(waitUntil(5) { (try? box.sql("SELECT schedule FROM job_schedule WHERE job = 'purgeCompletedTasks'").first?.first) == "cron @daily" })

            try box.writeConfig(["threads": 5, "logLevel": "debug", "jobs": ["purgeCompletedTasks": ["cron": "0 3 * * *", "retain": "7d"]]])
            worker.send(SIGHUP)
            #expect(waitUntil(5) { box.log.contains("[main] reloaded ") }, "\(box.logTail())")
            let line = box.logLines.first { $0.contains("[main] reloaded ") } ?? ""
            #expect(line.contains("logLevel info → debug; purgeCompletedTasks: cron @daily → cron 0 3 * * *; purgeCompletedTasks: retain default → 7d"), "\(line)")
            #expect(box.log.contains("[main] reload: threads changed in the file; it takes effect at the next restart"))
            // The new schedule is written as at start, by the lease holder.
            let written = try waitUntil(5) {
                try box.sql("SELECT schedule FROM job_schedule WHERE job = 'purgeCompletedTasks'").first?.first == "cron 0 3 * * *"
            }
            #expect(written, "\(box.logTail())")
            #expect(box.log.contains("[job:purgeCompletedTasks] schedule changed from cron @daily to cron 0 3 * * *"))

            // A broken file: the same one-line message as at start, and the worker carries on.
            try box.writeConfig(["jobs": ["purgeCompletedTasks": ["cron": "0 0 30 2 *"]]])
            worker.send(SIGHUP)
            let refused = "[main] reload refused, the running configuration stays: \(box.configPath): jobs.purgeCompletedTasks.cron: never matches: February has no day 30"
            #expect(waitUntil(5) { box.log.contains(refused) }, "\(box.logTail())")
            #expect(worker.isRunning)
            #expect(try box.sql("SELECT schedule FROM job_schedule WHERE job = 'purgeCompletedTasks'").first?.first == "cron 0 3 * * *")
        }
    }
}
