import Foundation
import Testing
@testable import TaskFCGIKit

/// Inserts one row per batch, resting `rest` before each, until `total` rows exist: progress kept
/// in the database, so a run cut off by its time limit leaves the rest to the next run.
private struct FillJob: Job {
    let total: Int
    let rest: Interval
    var name: String { "fill" }
    var verb: String { "wrote" }
    func run(_ context: JobContext) throws -> Int {
        var written = 0
        while !context.isStopping {
            let count = try context.tasks.counts().pending
            if count >= total { break }
            usleep(UInt32(rest.milliseconds * 1000))
            try context.batch { db in
                try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES ('row', 9999999999999, 0)")
            }
            written += 1
        }
        return written
    }
}

/// Hangs outside any batch for `hang` on its first run (a call that never returns), then writes once.
private struct HangingJob: Job {
    let hang: Interval
    let runs: RunCounter
    var name: String { "hanging" }
    var verb: String { "wrote" }
    func run(_ context: JobContext) throws -> Int {
        if runs.increment() == 1 { usleep(UInt32(hang.milliseconds * 1000)) }
        try context.batch { db in try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES ('late', 9999999999999, 0)") }
        return 1
    }
}

/// `jobs.NAME.timeout`: no batch past the deadline, "timed out" runs, and stuck runs.
@Suite struct JobTimeoutTests {
    @Test func noBatchStartsPastTheDeadline() throws {
        let temp = try TempStore(.sqlite)
        let start = SystemClock().now()
        let clock = TestClock(start)
        let fence = try takeTestLease(temp.jobs, now: start)
        let context = JobContext(job: "fill", slot: nil, kind: .manual, fence: fence, startedAt: start,
                                 leaseValidUntil: start.adding(fence.ttl), timeLimit: .milliseconds(100), tasks: temp.store,
                                 store: temp.jobs, clock: clock, stopping: { false }, renewed: { _ in })
        #expect(context.deadline == start.adding(.milliseconds(100)))
        try context.batch { db in try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES ('in time', 0, 0)") }
        clock.instant = start.adding(.milliseconds(100))
        #expect(context.isPastDeadline)
        #expect(throws: TimeLimitReached.self) {
            try context.batch { db in try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES ('too late', 0, 0)") }
        }
        #expect(try temp.int("SELECT count(*) FROM tasks") == 1)
        #expect(context.batches == 1)
    }

    @Test func aRunEndsTimedOutAndTheNextRunDoesTheRest() throws {
        let metrics = Metrics(jobs: ["fill"])
        let job = ScheduledJob(FillJob(total: 12, rest: .milliseconds(50)), trigger: .every(.milliseconds(300)),
                               timeout: .milliseconds(200))
        let fixture = try RunnerFixture(jobs: [job], metrics: metrics.jobs)
        fixture.runner.start()
        let store = try openStore(fixture.databasePath)
        #expect(try poll(deadline: 10) { try store.counts().pending == 12 })
        #expect(fixture.stop())
        let runs = try fixture.jobStore().recentRuns(job: "fill", limit: 50)
        #expect(runs.contains { $0.outcome == .timedOut && $0.affected == 0 }, "\(runs.map(\.outcome))")
        #expect(runs.filter { $0.outcome == .timedOut }.count >= 2, "12 rows at ~4 a run need several runs")
        #expect(fixture.runner.status.jobs[0].timeouts >= 2)
        #expect(metrics.jobs.snapshot.jobs["fill"]?.timeouts ?? 0 >= 2)
        #expect(metrics.jobs.snapshot.jobs["fill"]?.failures == 0, "a timeout is not a failure")
        #expect(try fixture.logText().contains("[job:fill] timed out after "))
        #expect(try fixture.logText().contains("(limit 200ms) and "))
    }

    @Test func aStuckRunMakesHealthz503AndAStandByTakesOver() throws {
        let runs = RunCounter()
        let job = ScheduledJob(HangingJob(hang: .milliseconds(3000), runs: runs), trigger: .every(.hours(1)),
                               timeout: .milliseconds(300))
        let fixture = try RunnerFixture(jobs: [job], leaseTTL: .milliseconds(1000))
        fixture.runner.start()
        let web = try UnitWebFixture(jobs: fixture.runner)
        web.clock.set(SystemClock().now())
        #expect(poll(deadline: 3) { fixture.runner.status.running?.name == "hanging" })
        let began = try #require(fixture.runner.status.running?.since)
        // Twice the limit (600 ms) later it is stuck: /healthz names the job and how long.
        #expect(poll(deadline: 3) {
            web.clock.set(SystemClock().now())
            return web.get("/healthz").status == 503
        })
        let answer = UnitWebFixture.body(web.get("/healthz"))
        #expect(answer.hasPrefix("job hanging is stuck: running for "), "\(answer)")
        #expect(answer.contains("twice its time limit is 600ms"), "\(answer)")
        let unhealthyAfter = SystemClock().now().since(began)
        #expect(unhealthyAfter.milliseconds < 1500, "503 only \(unhealthyAfter) after the run began")

        // Nothing renews the lease while the run hangs: a stand-by takes it within the TTL.
        let standBy = fixture.secondRunner(jobs: [ScheduledJob(HangingJob(hang: .milliseconds(0), runs: RunCounter()),
                                                               trigger: .every(.hours(1)), timeout: .milliseconds(300))])
        standBy.start()
        #expect(poll(deadline: 4) { standBy.status.holdsLease })
        let takeover = SystemClock().now().since(began)
        // The hung run wakes up past its deadline: its batch is never started, nothing written by it.
        #expect(poll(deadline: 5) { fixture.runner.status.running == nil })
        #expect(fixture.runner.status.jobs[0].lastRun?.outcome == .timedOut)
        // It cannot even record its end: the lease is another worker's now.
        #expect(try fixture.logText().contains("[job:hanging] lease lost before the run could be recorded"))
        #expect(try openStore(fixture.databasePath).counts().pending == 1, "only the stand-by's run wrote")
        #expect(standBy.stop(timeout: 3))
        #expect(fixture.stop())
        print("stuck run: /healthz 503 after \(unhealthyAfter), stand-by holding the lease after \(takeover) (lease TTL 1 s)")
    }
}
