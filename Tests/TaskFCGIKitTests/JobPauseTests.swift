import Foundation
import Testing
@testable import TaskFCGIKit

/// Pausing and resuming jobs: durable in `job_schedule` on every backend, checked inside each
/// fenced claim, and honoured by a running job thread when another worker pauses.
/// Audit lines of these tests go nowhere.
private let testLog = try! Log(path: "/dev/null", level: .error)

@Suite struct JobPauseTests {
    private var now: Instant { SystemClock().now() }
    private let hourly = ScheduledJob(CountingJob(runs: RunCounter()), trigger: .cron(try! CronExpression(parsing: "0 * * * *")))

    @Test(arguments: Backend.all) func aPauseIsKeptWithWhoWhyAndUntil(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let other = try temp.another().jobs
        let start = Instant(milliseconds: now.milliseconds / 1000 * 1000)
        let until = start.adding(.hours(2))
        // No schedule row yet: the pause creates it.
        let pause = try JobControl.pause(hourly, by: Operator(user: "alice", peer: "test"), reason: "  migrating  ", until: until, store: temp.jobs,
                                         zone: .init(identifier: "UTC")!, now: start, log: testLog)
        #expect(pause == JobPause(since: start, by: "alice", reason: "migrating", until: until))
        #expect(try other.pauses() == ["counting": pause])
        #expect(try other.schedules()["counting"]?.pause == pause)
        #expect(try other.schedules()["counting"]?.schedule == "cron 0 * * * *")
        // Paused again: a new actor and reason, the same since.
        let again = try JobControl.pause(hourly, by: Operator(user: "bob", peer: "test"), reason: nil, until: nil, store: other,
                                         zone: .init(identifier: "UTC")!, now: start.adding(.minutes(5)), log: testLog)
        #expect(again == JobPause(since: start, by: "bob", reason: nil, until: nil))
        #expect(try JobControl.resume("counting", by: Operator(user: "carol", peer: "test"), store: temp.jobs, now: start.adding(.minutes(6)), log: testLog) == again)
        #expect(try other.pauses().isEmpty)
        #expect(try JobControl.resume("counting", by: Operator(user: "carol", peer: "test"), store: temp.jobs, now: start.adding(.minutes(7)), log: testLog) == nil)
    }

    @Test(arguments: Backend.all) func aClaimWhilePausedWritesNothing(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let fence = try takeTestLease(temp.jobs, now: now)
        let slot = Instant(milliseconds: 1_800_000_000_000)
        let state = ScheduleState(job: "counting", schedule: "cron 0 * * * *", nextRun: slot.adding(.hours(1)))
        _ = try JobControl.pause(hourly, by: Operator(user: "alice", peer: "test"), reason: nil, until: nil, store: try temp.another().jobs,
                                 zone: .init(identifier: "UTC")!, now: now, log: testLog)
        #expect(throws: JobIsPaused.self) { try temp.jobs.claim(slot: slot, state, fence: fence, now: now) }
        #expect(try temp.int("SELECT count(*) FROM job_runs") == 0)
        _ = try JobControl.resume("counting", by: Operator(user: "alice", peer: "test"), store: temp.jobs, now: now, log: testLog)
        #expect(try temp.jobs.claim(slot: slot, state, fence: fence, now: now) == 1)
    }

    @Test(arguments: Backend.all) func aPauseWhoseUntilPassedHoldsNoLonger(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let start = now
        let pause = try JobControl.pause(hourly, by: Operator(user: "alice", peer: "test"), reason: nil, until: start.adding(.seconds(10)), store: temp.jobs,
                                         zone: .init(identifier: "UTC")!, now: start, log: testLog)
        #expect(pause.isActive(at: start.adding(.seconds(9))))
        #expect(!pause.isActive(at: start.adding(.seconds(10))))
        // The job thread lifts only an expired pause; one renewed meanwhile stays.
        #expect(try temp.jobs.resume("counting", now: start.adding(.seconds(5)), onlyIfExpired: true) == nil)
        #expect(try temp.jobs.resume("counting", now: start.adding(.seconds(11)), onlyIfExpired: true) == pause)
        // Pausing after an expired pause starts a new one.
        let expired = try JobControl.pause(hourly, by: Operator(user: "bob", peer: "test"), reason: nil, until: start.adding(.seconds(20)), store: temp.jobs,
                                           zone: .init(identifier: "UTC")!, now: start.adding(.seconds(12)), log: testLog)
        _ = try temp.jobs.pause("counting", JobPause(since: start.adding(.seconds(30)), by: "carol"), fresh: ScheduleState(
            job: "counting", schedule: "", nextRun: start), now: start.adding(.seconds(30)))
        #expect(try temp.jobs.pauses()["counting"]?.since == start.adding(.seconds(30)), "\(expired)")
    }

    @Test func refusedPauses() throws {
        let temp = try TempStore(.sqlite)
        let start = now
        #expect(throws: JobControl.Refusal.self) {
            try JobControl.pause(hourly, by: Operator(user: "a", peer: "test"), reason: nil, until: start, store: temp.jobs, zone: .init(identifier: "UTC")!, now: start, log: testLog)
        }
        #expect(throws: JobControl.Refusal.self) {
            try JobControl.pause(hourly, by: Operator(user: "a", peer: "test"), reason: String(repeating: "é", count: 501), until: nil, store: temp.jobs,
                                 zone: .init(identifier: "UTC")!, now: start, log: testLog)
        }
        #expect(try temp.jobs.pauses().isEmpty)
    }

    @Test func aRunningThreadHonoursAPauseFromAnotherWorkerAndResumes() throws {
        let runs = RunCounter()
        let job = ScheduledJob(CountingJob(runs: runs), interval: .milliseconds(200))
        let fixture = try RunnerFixture(jobs: [job])
        fixture.runner.start()
        #expect(poll(deadline: 3) { runs.value >= 2 })
        // Another worker (its own connection) pauses the job.
        let other = try fixture.jobStore()
        _ = try JobControl.pause(job, by: Operator(user: "ops", peer: "test"), reason: "disk full", until: nil, store: other, zone: .init(identifier: "UTC")!,
                                 now: now, log: testLog)
        usleep(300_000)  // at most one loop turn (250 ms) to notice, plus a run that had already begun
        let paused = runs.value
        // Slots keep passing: recorded as skipped, never run, never misfires.
        #expect(poll(deadline: 5) { ((try? other.schedules()["counting"]?.skipped) ?? 0) >= 4 })
        #expect(runs.value == paused)
        #expect(try other.schedules()["counting"]?.misfires == 0)
        // Resumed: it continues with its next slot.
        _ = try JobControl.resume("counting", by: Operator(user: "ops", peer: "test"), store: other, now: now, log: testLog)
        #expect(poll(deadline: 3) { runs.value >= paused + 2 })
        #expect(fixture.stop())
        #expect(try fixture.logText().contains("[job:counting] paused: skipped "))
    }

    @Test func aPauseEndsByItselfAtItsUntilTime() throws {
        let runs = RunCounter()
        let job = ScheduledJob(CountingJob(runs: runs), interval: .milliseconds(200))
        let fixture = try RunnerFixture(jobs: [job])
        let store = try fixture.jobStore()
        let until = now.adding(.milliseconds(1500))
        _ = try JobControl.pause(job, by: Operator(user: "ops", peer: "test"), reason: nil, until: until, store: store, zone: .init(identifier: "UTC")!, now: now, log: testLog)
        fixture.runner.start()
        #expect(poll(deadline: 5) { runs.value >= 1 })
        #expect(now >= until, "ran while paused")
        #expect(try store.pauses().isEmpty)
        #expect(fixture.stop())
        #expect(try fixture.logText().contains("[job:counting] resumed: its pause (by ops) ran until "))
    }

    @Test func runNowRunsAPausedJobOnceAndItStaysPaused() throws {
        let runs = RunCounter()
        let job = ScheduledJob(CountingJob(runs: runs), interval: .hours(1))
        let fixture = try RunnerFixture(jobs: [job])
        let store = try fixture.jobStore()
        _ = try JobControl.pause(job, by: Operator(user: "ops", peer: "test"), reason: nil, until: nil, store: store, zone: .init(identifier: "UTC")!, now: now, log: testLog)
        fixture.runner.start()
        #expect(poll(deadline: 3) { fixture.runner.status.holdsLease })
        usleep(300_000)
        #expect(runs.value == 0, "an interval job's first slot is at once, but it is paused")
        #expect(fixture.runner.runNow("counting"))
        #expect(poll(deadline: 3) { runs.value == 1 })
        #expect(try store.pauses()["counting"] != nil)
        #expect(try store.recentRuns(job: "counting", limit: 5).map(\.kind) == [.manual])
        #expect(fixture.stop())
    }
}
