import Foundation
import Testing
@testable import TaskFCGIKit

/// The job store on every backend: the lease's compare-and-swap and fencing token, durable
/// schedules, one run record per slot, and the history. Two connections play two workers. Lease
/// times are real (PostgreSQL judges expiry by its own clock), with short TTLs.
@Suite struct JobStoreTests {
    /// Two workers' job stores on one database.
    private struct TwoWorkers {
        let temp: TempStore
        let a: JobStore, b: JobStore
        let tasks: TaskStore

        init(_ backend: Backend, _ label: String = #function) throws {
            temp = try TempStore(backend, label)
            (a, tasks) = (temp.jobs, temp.store)
            b = try temp.another().jobs
        }
    }

    private var now: Instant { SystemClock().now() }

    private func claim(_ holder: String, ttl: Interval) -> Lease {
        let now = self.now
        return Lease(holder: holder, pid: 1, host: "h", machine: "m", generation: 0, acquiredAt: now, expiresAt: now.adding(ttl))
    }

    /// `holder` tries to take the lease now, replacing the row it read if that has expired.
    private func take(_ store: JobStore, _ holder: String, ttl: Interval = .seconds(15), replacing expected: Lease?) throws -> Lease? {
        try store.takeLease(claim(holder, ttl: ttl), replacing: expected, expiredAt: now)
    }

    private func fence(_ lease: Lease, ttl: Interval = .seconds(15)) -> Fence {
        Fence(holder: lease.holder, generation: lease.generation, ttl: ttl)
    }

    /// Waits until `lease` has expired (by real time, with a margin for the server's clock).
    private func outlive(_ lease: Lease) {
        usleep(UInt32(max(lease.expiresAt.since(now).milliseconds + 50, 0) * 1000))
    }

    @Test(arguments: Backend.all) func generationsGrowByOneAtEveryAcquisition(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let first = try #require(try take(db.a, "a", ttl: .milliseconds(200), replacing: nil))
        #expect(first.generation == 1)
        outlive(first)
        let second = try #require(try take(db.b, "b", replacing: try db.b.currentLease()))
        #expect(second.generation == 2)
        #expect(try db.a.currentLease()?.holder == "b")
        // A release keeps the row, so the count never restarts at 1.
        try db.b.releaseLease(fence(second))
        let third = try #require(try take(db.a, "a", replacing: try db.a.currentLease()))
        #expect(third.generation == 3)
    }

    @Test(arguments: Backend.all) func takeoverIsACompareAndSwapOnTheRowRead(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let first = try #require(try take(db.a, "a", ttl: .milliseconds(200), replacing: nil))
        let stale = try #require(try db.b.currentLease())
        outlive(first)
        // Someone else takes it between b's read and b's write: b's swap must fail.
        _ = try #require(try take(db.a, "c", replacing: stale))
        #expect(try take(db.b, "b", replacing: stale) == nil)
        #expect(try db.b.currentLease()?.holder == "c")
        // A second insert into an empty table loses too.
        #expect(try take(db.b, "b", replacing: nil) == nil)
    }

    @Test(arguments: Backend.all) func aLiveLeaseCannotBeSwappedAwayUnlessItsHolderIsKnownDead(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        _ = try #require(try take(db.a, "a", replacing: nil))
        let row = try #require(try db.b.currentLease())
        #expect(try take(db.b, "b", replacing: row) == nil, "the lease is valid for 15 s more")
        // A holder known dead (a process of this machine that no longer exists) is replaced at once.
        let forced = try db.b.takeLease(claim("b", ttl: .seconds(15)), replacing: row, expiredAt: nil)
        #expect(forced?.generation == 2)
    }

    @Test(arguments: Backend.all) func renewalNeedsTheSameHolderAndGenerationAndAnUnexpiredLease(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let ttl = Interval.milliseconds(300)
        let lease = try #require(try take(db.a, "a", ttl: ttl, replacing: nil))
        let stored = try #require(try db.a.currentLease())
        usleep(20_000)  // a renewal later by a measurable amount must move the expiry on
        #expect(try db.a.renewLease(fence(lease, ttl: ttl), now: now))
        let renewed = try #require(try db.a.currentLease())
        #expect(renewed.expiresAt > stored.expiresAt, "\(renewed.expiresAt) vs \(stored.expiresAt)")
        #expect(try !db.a.renewLease(Fence(holder: "a", generation: 99, ttl: ttl), now: now))
        outlive(renewed)
        #expect(try !db.a.renewLease(fence(lease, ttl: ttl), now: now), "an expired lease must be taken anew, not renewed")
    }

    @Test(arguments: Backend.all) func aFencedBatchCommitsOnlyWhileTheLeaseIsOurs(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let ttl = Interval.milliseconds(300)
        let lease = try #require(try take(db.a, "a", ttl: ttl, replacing: nil))
        let task = try db.tasks.create(title: "x", due: now, now: now)
        let written = try db.a.fenced(fence(lease, ttl: ttl), now: now) { sql in
            try sql.run("UPDATE tasks SET title = 'by generation 1' WHERE id = ?", .int(task.id))
        }
        #expect(written == 1)

        // A stand-by takes over once it has expired; the old holder's next batch is refused and rolled back.
        outlive(try #require(try db.b.currentLease()))
        _ = try #require(try take(db.b, "b", replacing: try db.b.currentLease()))
        #expect(throws: LeaseLost.self) {
            try db.a.fenced(fence(lease, ttl: ttl), now: now) { sql in
                try sql.run("UPDATE tasks SET title = 'late write' WHERE id = ?", .int(task.id))
            }
        }
        #expect(try db.tasks.task(id: task.id)?.title == "by generation 1")
    }

    @Test(arguments: Backend.all) func anExpiredLeaseFencesEvenWhenNobodyTookIt(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let lease = try #require(try take(db.a, "a", ttl: .milliseconds(200), replacing: nil))
        outlive(lease)
        #expect(throws: LeaseLost.self) { try db.a.fenced(fence(lease, ttl: .milliseconds(200)), now: now) { _ in 0 } }
    }

    @Test(arguments: Backend.all) func aSlotIsClaimedOnceAndResumedOnlyIfUnfinished(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let first = try #require(try take(db.a, "a", ttl: .milliseconds(200), replacing: nil))
        let slot = Instant(milliseconds: now.milliseconds / 1000 * 1000), next = slot.adding(.hours(1))
        let state = ScheduleState(job: "hourly", schedule: "every 1h", nextRun: next)
        #expect(try db.a.claim(slot: slot, state, fence: fence(first, ttl: .milliseconds(200)), now: now) == 1)
        var saved = try #require(try db.b.schedules()["hourly"])
        #expect(saved.nextRun == next && saved.lastSlot == slot && saved.lastOutcome == .running && saved.lastGeneration == 1)

        // Holder a dies mid-run; b takes over and resumes the same slot: the same row, attempt 2.
        outlive(first)
        let second = try #require(try take(db.b, "b", replacing: try db.b.currentLease()))
        #expect(try db.b.claim(slot: slot, saved, fence: fence(second), now: now) == 2)
        var run = JobRun(job: "hourly", startedAt: slot, durationMicroseconds: 5, affected: 3, error: nil)
        run.slot = slot
        try db.b.finish(run, fence: fence(second), now: now, keep: 100)
        saved = try #require(try db.b.schedules()["hourly"])
        #expect(saved.lastOutcome == .ok && saved.lastGeneration == 2 && saved.lastHolder == "b")

        // Finished: the slot never runs again, and an older slot is never claimed.
        #expect(try db.b.claim(slot: slot, saved, fence: fence(second), now: now) == nil)
        #expect(try db.b.claim(slot: slot.adding(.hours(-1)), saved, fence: fence(second), now: now) == nil)
        let rows = try db.temp.sql.query("SELECT generation, attempts, outcome FROM job_runs WHERE job = 'hourly'")
        #expect(rows == [[.int(2), .int(2), .text("ok")]])
        // The database itself refuses a second record of the slot, whatever the code does.
        #expect(throws: (any Error).self) {
            try db.temp.sql.run("INSERT INTO job_runs (job, slot, started_at, duration_us, affected) VALUES ('hourly', ?, 0, 0, 0)",
                                .int(slot.milliseconds))
        }
    }

    @Test(arguments: Backend.all) func aClaimUnderALostLeaseWritesNothing(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let first = try #require(try take(db.a, "a", ttl: .milliseconds(200), replacing: nil))
        outlive(first)
        let state = ScheduleState(job: "hourly", schedule: "every 1h", nextRun: now.adding(.hours(1)))
        #expect(throws: LeaseLost.self) { try db.a.claim(slot: now, state, fence: fence(first, ttl: .milliseconds(200)), now: now) }
        #expect(try db.a.schedules().isEmpty)
        #expect(try db.a.recentRuns(job: "hourly", limit: 10).isEmpty)
    }

    private func run(_ job: String, _ index: Int, at base: Instant, error: String? = nil) -> JobRun {
        var run = JobRun(job: job, startedAt: base.adding(.seconds(Int64(index))), durationMicroseconds: Int64(index) * 10,
                         affected: index, error: error)
        (run.kind, run.generation, run.holder) = (.wake, 1, "test-holder")
        return run
    }

    @Test(arguments: Backend.all) func recentRunsNewestFirstPerJob(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let base = Instant(milliseconds: now.milliseconds / 1000 * 1000)
        let fence = try takeTestLease(db.a, now: now)
        let locked = "database is locked"
        for (job, index, error) in [("completeDueTasks", 1, nil), ("purgeCompletedTasks", 2, nil),
                                    ("completeDueTasks", 3, locked), ("completeDueTasks", 4, nil)] {
            try db.a.finish(run(job, index, at: base, error: error), fence: fence, now: now, keep: 100)
        }
        let runs = try db.b.recentRuns(job: "completeDueTasks", limit: 10)
        #expect(runs == [run("completeDueTasks", 4, at: base), run("completeDueTasks", 3, at: base, error: locked),
                         run("completeDueTasks", 1, at: base)])
        #expect(runs.map(\.outcome) == [.ok, .failed, .ok])
        #expect(try db.b.recentRuns(job: "purgeCompletedTasks", limit: 10) == [run("purgeCompletedTasks", 2, at: base)])
        #expect(try db.b.recentRuns(job: "nothing", limit: 10).isEmpty)
    }

    @Test(arguments: Backend.all) func historyKeepsEachJobsNewestRunsAfterEveryRun(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let fence = try takeTestLease(db.a, now: now)
        func count(_ job: String) throws -> Int64 {
            try #require(try db.temp.int("SELECT count(*) FROM job_runs WHERE job = ?", .text(job)))
        }
        // Wake-ups and manual runs: a new row each.
        for index in 1...130 {
            try db.a.finish(run("completeDueTasks", index, at: now), fence: fence, now: now, keep: 50)
            #expect(try count("completeDueTasks") == Int64(min(index, 50)))
        }
        // Slot runs only, like purgeCompletedTasks: claimed, then finished. Before issue 19 these
        // were never pruned at all.
        let base = Instant(milliseconds: 1_800_000_000_000)
        for index in 1...130 {
            let slot = base.adding(.hours(Int64(index)))
            let state = ScheduleState(job: "hourly", schedule: "cron 0 * * * *", nextRun: slot.adding(.hours(1)))
            #expect(try db.a.claim(slot: slot, state, fence: fence, now: now) == 1)
            var slotRun = run("hourly", index, at: now)
            (slotRun.slot, slotRun.kind) = (slot, .schedule)
            try db.a.finish(slotRun, fence: fence, now: now, keep: 50)
            #expect(try count("hourly") == Int64(min(index, 50)))
        }
        // Each job keeps its own newest: one job's runs never push out another's.
        #expect(try db.a.recentRuns(job: "completeDueTasks", limit: 100).map(\.affected) == Array((81...130).reversed()))
        #expect(try db.a.recentRuns(job: "hourly", limit: 100).map(\.affected) == Array((81...130).reversed()))
    }

    @Test(arguments: Backend.all) func historyNeverDropsASlotStillRunning(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        let fence = try takeTestLease(db.a, now: now)
        let slot = Instant(milliseconds: 1_800_000_000_000)
        let state = ScheduleState(job: "hourly", schedule: "cron 0 * * * *", nextRun: slot.adding(.hours(1)))
        #expect(try db.a.claim(slot: slot, state, fence: fence, now: now) == 1)
        for index in 1...5 { try db.a.finish(run("hourly", index, at: now), fence: fence, now: now, keep: 1) }
        // The interrupted slot stays for the next holder to resume, beside the newest finished run.
        let runs = try db.a.recentRuns(job: "hourly", limit: 10)
        #expect(runs.map(\.outcome) == [.ok, .running])
        #expect(runs.last?.slot == slot)
    }

    @Test func historyPruneWalksTheJobIndex() throws {
        let temp = try TempStore(.sqlite)
        let plan = try (temp.sql as! Connection).rows(
            "EXPLAIN QUERY PLAN " + JobRecordsSQL.pruneSQL, .text("completeDueTasks"), .int(1000)) { $0.text(3) }
            .joined(separator: "\n")
        #expect(plan.contains("job_runs_by_job"), "\(plan)")
        #expect(!plan.contains("SCAN job_runs"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
    }

    @Test(arguments: Backend.all) func changedElsewhereSeesOtherWorkersWrites(_ backend: Backend) throws {
        let db = try TwoWorkers(backend)
        #expect(try !db.a.changedElsewhere())
        _ = try db.tasks.create(title: "mine", due: now, now: now)
        if backend == .sqlite { #expect(try !db.a.changedElsewhere(), "SQLite's data_version ignores our own connection") }
        _ = try db.temp.another().store.create(title: "theirs", due: now, now: now)
        // A NOTIFY arrives asynchronously; data_version is immediate.
        #expect(poll(deadline: 2) { (try? db.a.changedElsewhere()) == true })
        _ = try? db.a.changedElsewhere()
        #expect(try !db.a.changedElsewhere(), "reported once")
    }

    @Test func purgeWalksTheActionDateIndex() throws {
        let temp = try TempStore(.sqlite)
        let plan = try (temp.sql as! Connection).rows(
            "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE completed = 1 AND action_at < ? ORDER BY action_at LIMIT ?",
            .int(0), .int(1000)) { $0.text(3) }.joined(separator: "\n")
        #expect(plan.contains("tasks_completed_by_action"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
    }
}
