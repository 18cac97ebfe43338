import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

/// Counts a job's runs across threads.
final class RunCounter: Sendable {
    private let count = Atomic<Int>(0)
    /// Adds one run; returns the new total.
    func increment() -> Int { count.add(1, ordering: .sequentiallyConsistent).newValue }
    var value: Int { count.load(ordering: .sequentiallyConsistent) }
}

/// Fails its first run, then succeeds, affecting one task each time.
private struct FlakyJob: Job {
    struct Failure: Error, CustomStringConvertible { var description: String { "the first run always fails" } }
    let runs: RunCounter
    var name: String { "flaky" }
    var verb: String { "touched" }
    func run(_ context: JobContext) throws -> Int {
        if runs.increment() == 1 { throw Failure() }
        return 1
    }
}

/// Succeeds every time, counting its runs.
struct CountingJob: Job {
    let runs: RunCounter
    var name: String { "counting" }
    var verb: String { "counted" }
    func run(_ context: JobContext) throws -> Int {
        _ = runs.increment()
        return 0
    }
}

/// Writes one row per batch for `batches` batches, pausing `pause` between them: a long run.
private struct SlowJob: Job {
    let batches: Int
    let pause: Interval
    var name: String { "slow" }
    var verb: String { "wrote" }
    func run(_ context: JobContext) throws -> Int {
        for index in 0..<batches {
            usleep(UInt32(pause.milliseconds * 1000))
            try context.batch { db in
                try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES (?, 0, 0)",
                           .text("gen \(context.generation) batch \(index)"))
            }
        }
        return batches
    }
}

/// Commits one batch, then has another "worker" steal the lease (a compare-and-swap on the row,
/// as a stand-by would after a pause), then tries a second batch on its first run only.
private struct RobbedJob: Job {
    let path: String
    let runs: RunCounter
    var name: String { "robbed" }
    var verb: String { "wrote" }
    func run(_ context: JobContext) throws -> Int {
        let attempt = runs.increment()
        try context.batch { db in
            try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES (?, 0, 0)", .text("run \(attempt) first batch"))
        }
        if attempt == 1 {
            let thief = SQLiteJobStore(try Connection(location: path))
            let row = try thief.currentLease()
            let now = SystemClock().now()
            let claim = Lease(holder: "thief", pid: 1, host: "elsewhere", machine: "other", generation: 0,
                              acquiredAt: now, expiresAt: now.adding(.milliseconds(500)))
            _ = try thief.takeLease(claim, replacing: row, expiredAt: nil)
        }
        try context.batch { db in
            try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES (?, 0, 0)", .text("run \(attempt) second batch"))
        }
        return 2
    }
}

/// A migrated database file, a log file and a runner over them, in a fresh folder.
final class RunnerFixture {
    let folder: String
    let databasePath: String
    let logPath: String
    let log: Log
    private(set) var runner: JobRunner
    private var stopped = false

    private let jobs: [ScheduledJob]
    private let leaseTTL: Interval
    private let metrics: JobMetrics?

    convenience init(jobs: [ScheduledJob], leaseTTL: Interval = .seconds(15), metrics: JobMetrics? = nil,
                     label: String = #function) throws {
        try self.init(leaseTTL: leaseTTL, metrics: metrics, label: label) { _ in jobs }
    }

    /// For jobs that need the database's path.
    init(leaseTTL: Interval = .seconds(15), metrics: JobMetrics? = nil, label: String = #function,
         jobs makeJobs: (String) -> [ScheduledJob]) throws {
        folder = try makeTempFolder(label)
        databasePath = folder + "/tasks.db"
        logPath = folder + "/taskfcgi.log"
        _ = try openStore(databasePath)
        log = try Log(path: logPath, level: .debug)
        (self.jobs, self.leaseTTL, self.metrics) = (makeJobs(databasePath), leaseTTL, metrics)
        runner = Self.runner(jobs, log, databasePath, leaseTTL, metrics)
    }

    private static func runner(_ jobs: [ScheduledJob], _ log: Log, _ path: String, _ ttl: Interval,
                               _ metrics: JobMetrics? = nil) -> JobRunner {
        JobRunner(jobs: jobs, log: log, zone: Zone(identifier: "UTC")!, leaseTTL: ttl, metrics: metrics) {
            let db = try Connection(location: path)
            return (SQLiteTaskStore(db), SQLiteJobStore(db))
        }
    }

    /// Stops the runner and starts a new one (a new process, as far as the lease can tell) on the
    /// same database; returns once it holds the lease.
    func restart(jobs newJobs: [ScheduledJob]? = nil) -> Bool {
        let stoppedInTime = runner.stop(timeout: 3)
        runner = Self.runner(newJobs ?? jobs, log, databasePath, leaseTTL)
        runner.start()
        return stoppedInTime && poll(deadline: 3) { self.runner.status.holdsLease }
    }

    /// Another worker's job thread on the same database (not started; the caller stops it).
    func secondRunner(jobs: [ScheduledJob]) -> JobRunner { Self.runner(jobs, log, databasePath, leaseTTL) }

    /// The job store, on a connection of its own.
    func jobStore() throws -> SQLiteJobStore { SQLiteJobStore(try Connection(location: databasePath)) }

    /// Stops the runner (once); true if its thread ended in time.
    func stop() -> Bool {
        guard !stopped else { return true }
        stopped = true
        return runner.stop(timeout: 3)
    }

    func logText() throws -> String { try String(contentsOfFile: logPath, encoding: .utf8) }

    deinit {
        _ = stop()
        removeFolder(folder)
    }
}

@Suite struct JobRunnerTests {
    private let clock = SystemClock()

    private func completeDueTasks() -> [ScheduledJob] { [ScheduledJob(CompleteDueTasks(), interval: .hours(1))] }

    /// Waits up to 3 s for `task` to be completed, then checks its action date is within 1 s of due.
    private func expectCompletedWithinASecond(_ task: TaskItem, _ store: SQLiteTaskStore,
                                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let completed = try poll(deadline: 3) { try store.task(id: task.id)?.isCompleted == true }
        #expect(completed, sourceLocation: sourceLocation)
        let done = try #require(try store.task(id: task.id), sourceLocation: sourceLocation)
        let lateness = try #require(done.actionAt, sourceLocation: sourceLocation).since(task.due)
        #expect((0..<1000).contains(lateness.milliseconds), "completed \(lateness) after due", sourceLocation: sourceLocation)
    }

    @Test func notifiedTaskIsCompletedWhenDue() throws {
        let fixture = try RunnerFixture(jobs: completeDueTasks())
        fixture.runner.start()
        let store = try openStore(fixture.databasePath)
        let task = try store.create(title: "due soon", due: clock.now().adding(.milliseconds(300)), now: clock.now())
        fixture.runner.notify()

        try expectCompletedWithinASecond(task, store)

        #expect(fixture.stop())
        let log = try fixture.logText()
        #expect(log.contains("[job:completeDueTasks] completed 1 task in "))
        #expect(log.contains("[jobs] job thread started: completeDueTasks every 1h"))
        #expect(log.contains("[jobs] job thread stopped"))
        #expect(try fixture.jobStore().recentRuns(job: "completeDueTasks", limit: 10).contains { $0.affected == 1 && $0.error == nil })
    }

    @Test func taskFromAnotherConnectionIsNoticedWithoutNotify() throws {
        let fixture = try RunnerFixture(jobs: completeDueTasks())
        fixture.runner.start()
        // Let the runner finish its start-up run, so only `changedElsewhere` can tell it about the task.
        let store = try openStore(fixture.databasePath)
        let jobs = try fixture.jobStore()
        #expect(try poll(deadline: 3) { try !jobs.recentRuns(job: "completeDueTasks", limit: 1).isEmpty })
        let task = try store.create(title: "from another worker", due: clock.now().adding(.milliseconds(300)), now: clock.now())

        try expectCompletedWithinASecond(task, store)
        #expect(fixture.stop())
    }

    @Test func overdueTasksAreCaughtUpAtStart() throws {
        let fixture = try RunnerFixture(jobs: completeDueTasks())
        let store = try openStore(fixture.databasePath)
        let before = clock.now()
        for index in 0..<3 { _ = try store.create(title: "missed \(index)", due: before.adding(.hours(-1)), now: before) }
        fixture.runner.start()
        #expect(try poll(deadline: 3) { try store.counts() == TaskCounts(pending: 0, completed: 3) })
        #expect(try store.list(.completed, limit: 10, offset: 0).allSatisfy { $0.actionAt! >= before })
        #expect(fixture.stop())
        #expect(try fixture.logText().contains("[job:completeDueTasks] completed 3 tasks in "))
    }

    @Test func failedRunIsLoggedAndRetriedAfterBackoff() throws {
        let runs = RunCounter()
        let fixture = try RunnerFixture(jobs: [ScheduledJob(FlakyJob(runs: runs), interval: .hours(1))])
        fixture.runner.start()
        #expect(poll(deadline: 4) { runs.value >= 2 })
        #expect(fixture.stop())
        #expect(runs.value == 2)

        let log = try fixture.logText()
        #expect(log.contains("ERROR [job:flaky] failed after "))
        #expect(log.contains(": the first run always fails (slot "))
        #expect(log.contains("INFO  [job:flaky] touched 1 task in "))

        // The retry resumes the same slot: one record, its second attempt, now successful.
        let history = try fixture.jobStore().recentRuns(job: "flaky", limit: 10)
        #expect(history.map(\.outcome) == [.ok])
        #expect(history.map(\.attempts) == [2])
        #expect(history.map(\.affected) == [1])
        #expect(log.contains("retrying in 1s"), "\(log)")
    }

    @Test func aDisabledJobBesideAFailingOneDoesNotCutItsBackoff() throws {
        let runs = RunCounter(), idle = RunCounter()
        let fixture = try RunnerFixture(jobs: [ScheduledJob(FlakyJob(runs: runs), interval: .hours(1)),
                                               ScheduledJob(CountingJob(runs: idle), interval: .hours(1), enabled: false)])
        let begin = monotonicMicroseconds()
        fixture.runner.start()
        #expect(poll(deadline: 4) { runs.value >= 2 })
        let elapsed = Double(monotonicMicroseconds() - begin) / 1_000_000
        #expect(fixture.stop())
        #expect(elapsed >= 0.95, "the retry came \(elapsed) s after the start; the backoff is 1 s")
        #expect(runs.value == 2)
        #expect(idle.value == 0)
    }

    @Test func runNowRunsTheNamedJob() throws {
        let runs = RunCounter()
        let fixture = try RunnerFixture(jobs: [ScheduledJob(CountingJob(runs: runs), interval: .hours(1))])
        fixture.runner.start()
        #expect(poll(deadline: 3) { runs.value == 1 })
        #expect(fixture.runner.runNow("counting"))
        #expect(!fixture.runner.runNow("noSuchJob"))
        #expect(poll(deadline: 3) { runs.value == 2 })
        #expect(fixture.stop())
    }

    @Test func restartsResumeTheDurableScheduleInsteadOfRunningAgain() throws {
        let runs = RunCounter()
        let fixture = try RunnerFixture(jobs: [ScheduledJob(CountingJob(runs: runs), interval: .hours(1))])
        fixture.runner.start()
        #expect(poll(deadline: 3) { runs.value == 1 })
        for _ in 0..<5 { #expect(fixture.restart()) }
        // Each new holder read the schedule: the next slot is an hour away, so nothing ran again.
        #expect(fixture.stop())
        #expect(runs.value == 1)
        let state = try #require(try fixture.jobStore().schedules()["counting"])
        #expect(state.nextRun == state.lastSlot!.adding(.hours(1)))
        #expect(state.lastOutcome == .ok)
        #expect(state.lastGeneration == 1)
        #expect(try fixture.jobStore().currentLease()?.generation == 6, "six acquisitions, six generations")
        #expect(try fixture.jobStore().recentRuns(job: "counting", limit: 10).count == 1)
    }

    @Test func aChangedScheduleTakesEffectAtTheNextStartAndIsLogged() throws {
        let runs = RunCounter()
        let fixture = try RunnerFixture(jobs: [ScheduledJob(CountingJob(runs: runs), interval: .hours(1))])
        fixture.runner.start()
        #expect(poll(deadline: 3) { runs.value == 1 })
        let cron = try CronExpression(parsing: "0 3 * * *")
        #expect(fixture.restart(jobs: [ScheduledJob(CountingJob(runs: runs), trigger: .cron(cron), misfire: .skip)]))
        #expect(fixture.stop())
        let state = try #require(try fixture.jobStore().schedules()["counting"])
        #expect(state.schedule == "cron 0 3 * * *")
        let next = Zone(identifier: "UTC")!.civilTime(at: state.nextRun)
        #expect(next.hour == 3 && next.minute == 0 && next.second == 0, "\(next)")
        #expect(state.nextRun > state.lastSlot! && state.nextRun.since(state.lastSlot!) <= .days(1))
        #expect(try fixture.logText().contains("[job:counting] schedule changed from every 1h to cron 0 3 * * *; next run at "))
        #expect(runs.value == 1, "a changed schedule does not run the job at once")
    }

    @Test func aLongRunKeepsItsLeaseBecauseEveryBatchRenewsIt() throws {
        // 12 batches 150 ms apart (1.8 s) under a 600 ms lease: renewed by the batches, never lost.
        let fixture = try RunnerFixture(jobs: [ScheduledJob(SlowJob(batches: 12, pause: .milliseconds(150)), interval: .hours(1))],
                                        leaseTTL: .milliseconds(600))
        let before = SystemClock().now()
        fixture.runner.start()
        #expect(poll(deadline: 3) { fixture.runner.status.running?.name == "slow" })
        var beats: Set<Int64> = []
        _ = poll(deadline: 5) {
            beats.insert(fixture.runner.status.heartbeat.milliseconds)
            return fixture.runner.status.running == nil
        }
        #expect(beats.count >= 5, "the heartbeat must move during the run: \(beats.count) values")
        #expect(fixture.stop())
        let log = try fixture.logText()
        #expect(log.contains("[job:slow] wrote 12 tasks in "), "\(log)")
        #expect(!log.contains("lease lost"), "\(log)")
        let titles = try openStore(fixture.databasePath).list(.all, limit: 20, offset: 0).map(\.title)
        #expect(titles.count == 12 && titles.allSatisfy { $0.hasPrefix("gen 1 ") }, "\(titles)")
        #expect(try fixture.jobStore().currentLease()?.generation == 1)
        #expect(fixture.runner.status.heartbeat >= before)
    }

    @Test func aBatchAfterTheLeaseWasTakenIsRefusedLoggedAndTheSlotResumed() throws {
        let runs = RunCounter()
        let robbed = try RunnerFixture(leaseTTL: .seconds(1)) { path in
            [ScheduledJob(RobbedJob(path: path, runs: runs), interval: .hours(1))]
        }
        robbed.runner.start()
        // Run 1 loses the lease after its first batch; once the thief's 500 ms lease expires, the
        // runner takes a new generation and resumes the same slot (run 2).
        #expect(poll(deadline: 6) { runs.value >= 2 && robbed.runner.status.running == nil })
        #expect(robbed.stop())
        let log = try robbed.logText()
        #expect(log.contains("[job:robbed] lease lost after "), "\(log)")
        #expect(log.contains("the next batch was refused and rolled back"), "\(log)")
        #expect(log.contains("was left unfinished by generation 1; resuming it"), "\(log)")
        let titles = try openStore(robbed.databasePath).list(.all, limit: 20, offset: 0).map(\.title).sorted()
        #expect(titles == ["run 1 first batch", "run 2 first batch", "run 2 second batch"], "the refused batch must not commit")
        let history = try robbed.jobStore().recentRuns(job: "robbed", limit: 10)
        #expect(history.count == 1 && history.first?.attempts == 2 && history.first?.outcome == .ok, "\(history)")
        #expect((history.first?.generation ?? 0) >= 3, "thief took generation 2; the resume runs under a later one")
    }

    @Test func stopsPromptlyAndKeepsAHeartbeat() throws {
        let fixture = try RunnerFixture(jobs: completeDueTasks())
        let before = clock.now()
        fixture.runner.start()
        #expect(poll(deadline: 3) { fixture.runner.status.heartbeat >= before })
        let begin = monotonicMicroseconds()
        #expect(fixture.stop())
        #expect(monotonicMicroseconds() - begin < 2_000_000)
    }
}
