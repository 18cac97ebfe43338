import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

/// Counts a job's runs across threads.
private final class RunCounter: Sendable {
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
    func run(_ store: TaskStore, now: Instant) throws -> Int {
        if runs.increment() == 1 { throw Failure() }
        return 1
    }
}

/// Succeeds every time, counting its runs.
private struct CountingJob: Job {
    let runs: RunCounter
    var name: String { "counting" }
    var verb: String { "counted" }
    func run(_ store: TaskStore, now: Instant) throws -> Int {
        _ = runs.increment()
        return 0
    }
}

/// A migrated database file, a log file and a runner over them, in a fresh folder.
private final class RunnerFixture {
    let folder: String
    let databasePath: String
    let logPath: String
    let log: Log
    let runner: JobRunner
    private var stopped = false

    init(jobs: [ScheduledJob], label: String = #function) throws {
        folder = try makeTempFolder(label)
        databasePath = folder + "/tasks.db"
        logPath = folder + "/taskfcgi.log"
        _ = try openStore(databasePath)
        log = try Log(path: logPath, level: .debug)
        let path = databasePath
        runner = JobRunner(jobs: jobs, log: log) { SQLiteTaskStore(try Connection(location: path)) }
    }

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
        #expect(try store.recentRuns(job: "completeDueTasks", limit: 10).contains { $0.affected == 1 && $0.error == nil })
    }

    @Test func taskFromAnotherConnectionIsNoticedWithoutNotify() throws {
        let fixture = try RunnerFixture(jobs: completeDueTasks())
        fixture.runner.start()
        // Let the runner finish its start-up run, so only `changedElsewhere` can tell it about the task.
        let store = try openStore(fixture.databasePath)
        #expect(try poll(deadline: 3) { try !store.recentRuns(job: "completeDueTasks", limit: 1).isEmpty })
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
        #expect(log.contains(": the first run always fails; retrying in "))
        #expect(log.contains("INFO  [job:flaky] touched 1 task in "))

        let history = try openStore(fixture.databasePath).recentRuns(job: "flaky", limit: 10)
        #expect(history.map(\.error) == [nil, "the first run always fails"])
        #expect(history.map(\.affected) == [1, 0])
        if history.count == 2 {
            let pause = history[0].startedAt.since(history[1].startedAt)
            #expect(pause >= .seconds(1), "retried after \(pause)")
        }
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
