import Foundation
import Synchronization

/// The job thread: one detached thread with its own store, running every job on its schedule.
/// It sleeps until the next job is due, is woken early by `notify()` and `stop()`, and never sleeps
/// longer than `maxWait`: each time round it re-reads the clock (a wall-clock jump cannot stall it)
/// and asks the store whether another process changed the tasks (then it plans again).
public final class JobRunner: Sendable {
    private let jobs: [ScheduledJob]
    private let openStore: @Sendable () throws -> TaskStore
    private let log: Log
    private let clock: any WallClock
    private let maxWait: Interval
    /// How many runs the history keeps.
    public static let historyLimit = 1000

    private struct Signals { var replan = false; var stopping = false; var runNow: Set<String> = [] }
    private let signals = Mutex(Signals())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Last time the loop went round (Unix ms), for health checks.
    private let heartbeat = Atomic<Int64>(0)

    public init(jobs: [ScheduledJob], log: Log, clock: any WallClock = SystemClock(), maxWait: Interval = .milliseconds(250),
                openStore: @escaping @Sendable () throws -> TaskStore) {
        self.jobs = jobs
        self.log = log
        self.clock = clock
        self.maxWait = maxWait
        self.openStore = openStore
    }

    /// Starts the detached job thread.
    public func start() {
        let thread = Thread { [self] in loop(); finished.signal() }
        thread.name = "taskfcgi-jobs"
        thread.start()
    }

    /// Tasks changed in this process: look again for the next due date now.
    public func notify() {
        signals.withLock { $0.replan = true }
        wakeup.signal()
    }

    /// Runs the named job as soon as the thread is free; false if no such job is enabled.
    @discardableResult
    public func runNow(_ name: String) -> Bool {
        guard jobs.contains(where: { $0.job.name == name }) else { return false }
        signals.withLock { _ = $0.runNow.insert(name) }
        wakeup.signal()
        return true
    }

    /// Asks the thread to finish its current run and exit; true if it did within `timeout` seconds.
    public func stop(timeout: Double) -> Bool {
        signals.withLock { $0.stopping = true }
        wakeup.signal()
        return finished.wait(timeout: .now() + timeout) == .success
    }

    /// The last time the loop was alive.
    public var lastHeartbeat: Instant { Instant(milliseconds: heartbeat.load(ordering: .relaxed)) }

    private func loop() {
        log.info("jobs", "job thread started: " + jobs.map { "\($0.job.name) every \($0.interval)" }.joined(separator: ", "))
        guard let store = openStoreRetrying() else { return }
        var schedules = jobs.map { JobSchedule(interval: $0.interval, start: clock.now()) }
        while true {
            let now = clock.now()
            heartbeat.store(now.milliseconds, ordering: .relaxed)
            let pending = signals.withLock { state -> Signals in
                defer { state.replan = false; state.runNow = [] }
                return state
            }
            if pending.stopping { break }
            if pending.replan || changedElsewhere(store) { replan(&schedules, store) }
            for (index, scheduled) in jobs.enumerated()
            where schedules[index].nextRun <= now || pending.runNow.contains(scheduled.job.name) {
                run(scheduled, &schedules[index], store)
            }
            let next = schedules.map(\.nextRun).min() ?? now.adding(maxWait)
            let wait = min(max(next.since(clock.now()), Interval(milliseconds: 0)), maxWait)
            if wait.milliseconds > 0 { _ = wakeup.wait(timeout: .now() + .milliseconds(Int(wait.milliseconds))) }
        }
        log.info("jobs", "job thread stopped")
    }

    private func run(_ scheduled: ScheduledJob, _ schedule: inout JobSchedule, _ store: TaskStore) {
        let job = scheduled.job
        let started = clock.now()
        let begin = monotonicMicroseconds()
        var affected = 0
        var failure: String?
        do {
            affected = try job.run(store, now: started)
            schedule.succeeded(at: clock.now(), nextWork: try job.nextWork(store))
        } catch {
            failure = "\(error)"
            schedule.failed(at: clock.now())
        }
        let micros = monotonicMicroseconds() - begin
        let tag = "job:\(job.name)"
        if let failure {
            log.error(tag, "failed after \(Self.milliseconds(micros)) ms: \(failure); retrying in \(schedule.nextRun.since(clock.now()))")
        } else {
            log.info(tag, "\(job.verb) \(affected) task\(affected == 1 ? "" : "s") in \(Self.milliseconds(micros)) ms")
        }
        let record = JobRun(job: job.name, startedAt: started, durationMicroseconds: micros, affected: affected, error: failure)
        do { try store.record(record, keep: Self.historyLimit) } catch {
            log.warning(tag, "could not record the run in job_runs: \(error)")
        }
    }

    private func replan(_ schedules: inout [JobSchedule], _ store: TaskStore) {
        for (index, scheduled) in jobs.enumerated() {
            do {
                if let work = try scheduled.job.nextWork(store) { schedules[index].workAppeared(at: work) }
            } catch {
                log.warning("job:\(scheduled.job.name)", "could not look for new work: \(error)")
            }
        }
    }

    private func changedElsewhere(_ store: TaskStore) -> Bool {
        do { return try store.changedElsewhere() } catch {
            log.debug("jobs", "could not check for changes: \(error)")
            return false
        }
    }

    private func openStoreRetrying() -> TaskStore? {
        var failures = 0
        while true {
            do { return try openStore() } catch {
                failures += 1
                let pause = JobSchedule.backoff(failures: failures)
                log.error("jobs", "cannot open the database: \(error); retrying in \(pause)")
                _ = wakeup.wait(timeout: .now() + .milliseconds(Int(pause.milliseconds)))
                if signals.withLock({ $0.stopping }) { return nil }
            }
        }
    }

    /// Microseconds as milliseconds with one decimal, e.g. `1.2`.
    static func milliseconds(_ micros: Int64) -> String {
        "\(micros / 1000).\(micros % 1000 / 100)"
    }
}
