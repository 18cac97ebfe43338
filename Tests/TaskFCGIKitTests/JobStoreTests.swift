import Foundation
import Testing
@testable import TaskFCGIKit

/// The job store on real SQLite files: the lease's compare-and-swap and fencing token, durable
/// schedules, one run record per slot, and the history.
@Suite struct JobStoreTests {
    private let t0 = utc(2026, 11, 24, 12)

    /// A migrated database with two independent connections, as two workers would have.
    private final class TwoWorkers {
        let folder: String
        let a: SQLiteJobStore, b: SQLiteJobStore
        let tasksA: SQLiteTaskStore

        init(_ label: String = #function) throws {
            folder = try makeTempFolder(label)
            let path = folder + "/tasks.db"
            tasksA = try openStore(path)
            a = SQLiteJobStore(tasksA.db)
            b = SQLiteJobStore(try Connection(location: path))
        }

        deinit { removeFolder(folder) }
    }

    private func claim(_ holder: String, at now: Instant, ttl: Interval = .seconds(15)) -> Lease {
        Lease(holder: holder, pid: 1, host: "h", machine: "m", generation: 0, acquiredAt: now, expiresAt: now.adding(ttl))
    }

    /// `holder` tries to take the lease at `now`, replacing the row it read if that has expired.
    private func take(_ store: SQLiteJobStore, _ holder: String, at now: Instant, ttl: Interval = .seconds(15),
                      replacing expected: Lease?) throws -> Lease? {
        try store.takeLease(claim(holder, at: now, ttl: ttl), replacing: expected, expiredAt: now)
    }

    @Test func aLiveLeaseCannotBeSwappedAwayUnlessItsHolderIsKnownDead() throws {
        let db = try TwoWorkers()
        _ = try #require(try take(db.a, "a", at: t0, replacing: nil))
        let row = try #require(try db.b.currentLease())
        #expect(try take(db.b, "b", at: t0.adding(.seconds(14)), replacing: row) == nil, "still valid for a second")
        // A holder known dead (a process of this machine that no longer exists) is replaced at once.
        let forced = try db.b.takeLease(claim("b", at: t0.adding(.seconds(14))), replacing: row, expiredAt: nil)
        #expect(forced?.generation == 2)
    }

    @Test func generationsGrowByOneAtEveryAcquisition() throws {
        let db = try TwoWorkers()
        let first = try #require(try take(db.a, "a", at: t0, replacing: nil))
        #expect(first.generation == 1)
        let row = try #require(try db.b.currentLease())
        let second = try #require(try take(db.b, "b", at: t0.adding(.seconds(20)), replacing: row))
        #expect(second.generation == 2)
        #expect(try db.a.currentLease()?.holder == "b")
        // A release keeps the row, so the count never restarts at 1.
        try db.b.releaseLease(Fence(holder: "b", generation: 2, ttl: .seconds(15)))
        let third = try #require(try take(db.a, "a", at: t0.adding(.seconds(21)), replacing: try db.a.currentLease()))
        #expect(third.generation == 3)
    }

    @Test func takeoverIsACompareAndSwapOnTheRowRead() throws {
        let db = try TwoWorkers()
        _ = try take(db.a, "a", at: t0, replacing: nil)
        let stale = try #require(try db.b.currentLease())
        // Someone else takes it between b's read and b's write: b's swap must fail.
        _ = try #require(try take(db.a, "c", at: t0.adding(.seconds(20)), replacing: stale))
        #expect(try take(db.b, "b", at: t0.adding(.seconds(20)), replacing: stale) == nil)
        #expect(try db.b.currentLease()?.holder == "c")
        // A second insert on an empty table loses too.
        #expect(try take(db.b, "b", at: t0, replacing: nil) == nil)
    }

    @Test func renewalNeedsTheSameHolderAndGenerationAndAnUnexpiredLease() throws {
        let db = try TwoWorkers()
        let lease = try #require(try take(db.a, "a", at: t0, ttl: .seconds(3), replacing: nil))
        let fence = Fence(holder: "a", generation: lease.generation, ttl: .seconds(3))
        #expect(try db.a.renewLease(fence, now: t0.adding(.seconds(2))))
        #expect(try db.a.currentLease()?.expiresAt == t0.adding(.seconds(5)))
        #expect(try !db.a.renewLease(Fence(holder: "a", generation: 99, ttl: .seconds(3)), now: t0.adding(.seconds(2))))
        #expect(try !db.a.renewLease(fence, now: t0.adding(.seconds(5))), "an expired lease must be taken anew, not renewed")
    }

    @Test func aFencedBatchCommitsOnlyWhileTheLeaseIsOurs() throws {
        let db = try TwoWorkers()
        let lease = try #require(try take(db.a, "a", at: t0, ttl: .seconds(3), replacing: nil))
        let fence = Fence(holder: "a", generation: lease.generation, ttl: .seconds(3))
        let task = try db.tasksA.create(title: "x", due: t0, now: t0)
        let written = try db.a.fenced(fence, now: t0.adding(.seconds(1))) { conn in
            try conn.run("UPDATE tasks SET title = 'by generation 1' WHERE id = ?", .int(task.id))
        }
        #expect(written == 1)
        #expect(try db.a.currentLease()?.expiresAt == t0.adding(.seconds(4)), "a fenced batch renews the lease")

        // A stand-by takes over once it has expired; the old holder's next batch is refused and rolled back.
        let row = try #require(try db.b.currentLease())
        _ = try #require(try take(db.b, "b", at: t0.adding(.seconds(5)), replacing: row))
        #expect(throws: LeaseLost.self) {
            try db.a.fenced(fence, now: t0.adding(.seconds(6))) { conn in
                try conn.run("UPDATE tasks SET title = 'late write' WHERE id = ?", .int(task.id))
            }
        }
        #expect(try db.tasksA.task(id: task.id)?.title == "by generation 1")
    }

    @Test func anExpiredLeaseFencesEvenWhenNobodyTookIt() throws {
        let db = try TwoWorkers()
        let lease = try #require(try take(db.a, "a", at: t0, ttl: .seconds(3), replacing: nil))
        let fence = Fence(holder: "a", generation: lease.generation, ttl: .seconds(3))
        #expect(throws: LeaseLost.self) { try db.a.fenced(fence, now: t0.adding(.seconds(3))) { _ in 0 } }
    }

    @Test func aSlotIsClaimedOnceAndResumedOnlyIfUnfinished() throws {
        let db = try TwoWorkers()
        let first = try #require(try take(db.a, "a", at: t0, replacing: nil))
        let fenceA = Fence(holder: "a", generation: first.generation, ttl: .seconds(15))
        let slot = t0, next = t0.adding(.hours(1))
        let state = ScheduleState(job: "hourly", schedule: "every 1h", nextRun: next)
        #expect(try db.a.claim(slot: slot, state, fence: fenceA, now: t0) == 1)
        var saved = try #require(try db.b.schedules()["hourly"])
        #expect(saved.nextRun == next && saved.lastSlot == slot && saved.lastOutcome == .running && saved.lastGeneration == 1)

        // Holder a dies mid-run; b takes over and resumes the same slot: the same row, attempt 2.
        let row = try #require(try db.b.currentLease())
        let second = try #require(try take(db.b, "b", at: t0.adding(.seconds(20)), replacing: row))
        let fenceB = Fence(holder: "b", generation: second.generation, ttl: .seconds(15))
        #expect(try db.b.claim(slot: slot, saved, fence: fenceB, now: t0.adding(.seconds(20))) == 2)
        var run = JobRun(job: "hourly", startedAt: t0, durationMicroseconds: 5, affected: 3, error: nil)
        run.slot = slot
        try db.b.finish(run, fence: fenceB, now: t0.adding(.seconds(21)), keep: 100)
        saved = try #require(try db.b.schedules()["hourly"])
        #expect(saved.lastOutcome == .ok && saved.lastGeneration == 2 && saved.lastHolder == "b")

        // Finished: the slot never runs again, and an older slot is never claimed.
        #expect(try db.b.claim(slot: slot, saved, fence: fenceB, now: t0.adding(.seconds(22))) == nil)
        #expect(try db.b.claim(slot: t0.adding(.hours(-1)), saved, fence: fenceB, now: t0.adding(.seconds(22))) == nil)
        let rows = try db.tasksA.db.rows("SELECT generation, attempts, outcome FROM job_runs WHERE job = 'hourly'") {
            "\($0.int(0)) \($0.int(1)) \($0.text(2))"
        }
        #expect(rows == ["2 2 ok"])
        // The database itself refuses a second record of the slot, whatever the code does.
        #expect(throws: SQLiteError.self) {
            try db.tasksA.db.run("INSERT INTO job_runs (job, slot, started_at, duration_us, affected) VALUES ('hourly', ?, 0, 0, 0)",
                                 .int(slot.milliseconds))
        }
    }

    @Test func aClaimUnderALostLeaseWritesNothing() throws {
        let db = try TwoWorkers()
        let first = try #require(try take(db.a, "a", at: t0, ttl: .seconds(3), replacing: nil))
        let fence = Fence(holder: "a", generation: first.generation, ttl: .seconds(3))
        let state = ScheduleState(job: "hourly", schedule: "every 1h", nextRun: t0.adding(.hours(1)))
        #expect(throws: LeaseLost.self) { try db.a.claim(slot: t0, state, fence: fence, now: t0.adding(.seconds(4))) }
        #expect(try db.a.schedules().isEmpty)
        #expect(try db.a.recentRuns(job: "hourly", limit: 10).isEmpty)
    }

    private func run(_ job: String, _ index: Int, error: String? = nil) -> JobRun {
        var run = JobRun(job: job, startedAt: t0.adding(.seconds(Int64(index))), durationMicroseconds: Int64(index) * 10,
                         affected: index, error: error)
        (run.kind, run.generation, run.holder) = (.wake, 1, "a")
        return run
    }

    @Test func recentRunsNewestFirstPerJob() throws {
        let db = try TwoWorkers()
        let fence = try takeTestLease(db.a, holder: "a", now: t0)
        for (job, index, error) in [("completeDueTasks", 1, nil), ("purgeCompletedTasks", 2, nil),
                                    ("completeDueTasks", 3, "SQLite error 5: database is locked"), ("completeDueTasks", 4, nil)] {
            try db.a.finish(run(job, index, error: error), fence: fence, now: t0, keep: 100)
        }
        let runs = try db.b.recentRuns(job: "completeDueTasks", limit: 10)
        #expect(runs == [run("completeDueTasks", 4), run("completeDueTasks", 3, error: "SQLite error 5: database is locked"),
                         run("completeDueTasks", 1)])
        #expect(runs[1].outcome == .failed)
        #expect(try db.b.recentRuns(job: "purgeCompletedTasks", limit: 10) == [run("purgeCompletedTasks", 2)])
        #expect(try db.b.recentRuns(job: "nothing", limit: 10).isEmpty)
    }

    @Test func historyStaysBoundedPerJob() throws {
        let db = try TwoWorkers()
        let fence = try takeTestLease(db.a, holder: "a", now: t0)
        // Every 100th insert prunes that job down to its newest `keep`, so at most keep + 99 remain.
        for index in 1...250 { try db.a.finish(run("completeDueTasks", index), fence: fence, now: t0, keep: 100) }
        let count = try #require(try db.tasksA.db.firstRow("SELECT count(*) FROM job_runs") { $0.int(0) })
        #expect((100...200).contains(count))
        let newest = try db.a.recentRuns(job: "completeDueTasks", limit: 100)
        #expect(newest.first?.affected == 250)
        #expect(newest.last?.affected == 151)
    }

    @Test func changedElsewhereSeesOnlyOtherConnections() throws {
        let db = try TwoWorkers()
        #expect(try !db.a.changedElsewhere())
        _ = try db.tasksA.create(title: "mine", due: t0, now: t0)
        #expect(try !db.a.changedElsewhere())
        _ = try SQLiteTaskStore(db.b.db).create(title: "theirs", due: t0, now: t0)
        #expect(try db.a.changedElsewhere())
        #expect(try !db.a.changedElsewhere())  // reported once
    }

    @Test func purgeWalksTheActionDateIndex() throws {
        let db = try TwoWorkers()
        let plan = try db.tasksA.db.rows(
            "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE completed = 1 AND action_at < ? ORDER BY action_at LIMIT ?",
            .int(t0.milliseconds), .int(1000)) { $0.text(3) }.joined(separator: "\n")
        #expect(plan.contains("tasks_completed_by_action"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
    }
}
