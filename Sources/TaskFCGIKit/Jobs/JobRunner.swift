import Foundation
import Synchronization

/// The job thread: one detached thread with its own store, running every job on its schedule
/// while this process holds the job lease (stand-by otherwise). It sleeps until the next job is
/// due, is woken early by `notify()` and `stop()`, and never sleeps longer than `maxWait`: each
/// time round it re-reads the clock (a wall-clock jump cannot stall it) and asks the store whether
/// another process changed the tasks (then it plans again).
public final class JobRunner: Sendable {
    private let jobs: [ScheduledJob]
    private let openStore: @Sendable () throws -> TaskStore
    private let log: Log
    private let clock: any WallClock
    private let maxWait: Interval
    private let leaseTTL: Interval
    /// How many runs the history keeps.
    public static let historyLimit = 1000

    private struct Signals { var replan = false; var stopping = false; var runNow: Set<String> = [] }
    private let signals = Mutex(Signals())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let published: Mutex<JobsStatus>
    /// When the loop next wakes by itself (Unix ms). `Int64.max` while it is planning, so a task
    /// created meanwhile always wakes it; `Int64.min` while standing by (no job to run).
    private let plannedWake = Atomic<Int64>(Int64.max)

    public init(jobs: [ScheduledJob], log: Log, clock: any WallClock = SystemClock(),
                maxWait: Interval = .milliseconds(250), leaseTTL: Interval = .seconds(15),
                openStore: @escaping @Sendable () throws -> TaskStore) {
        self.jobs = jobs
        self.log = log
        self.clock = clock
        self.maxWait = maxWait
        self.leaseTTL = leaseTTL
        self.openStore = openStore
        published = Mutex(JobsStatus(
            jobs: jobs.map { JobStatus(name: $0.job.name, enabled: $0.enabled, interval: $0.interval) },
            leaseTTL: leaseTTL))
    }

    /// Starts the detached job thread.
    public func start() {
        let thread = Thread { [self] in
            CurrentThread.setName("taskfcgi-jobs")
            loop()
            finished.signal()
        }
        thread.start()
    }

    /// Tasks changed in this process: look again for the next due date now.
    public func notify() {
        signals.withLock { $0.replan = true }
        wakeup.signal()
    }

    /// A task was created or moved to `due`: wake the thread only if that is sooner than it plans
    /// to wake anyway, so a burst of far-future tasks costs no context switches.
    public func notify(due: Instant) {
        if due.milliseconds < plannedWake.load(ordering: .relaxed) { notify() }
    }

    /// Runs the named job as soon as the thread is free (if this process holds the lease);
    /// false if no such job is enabled.
    @discardableResult
    public func runNow(_ name: String) -> Bool {
        guard jobs.contains(where: { $0.job.name == name && $0.enabled }) else { return false }
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

    /// What the job thread is doing, as of its last time round the loop.
    public var status: JobsStatus { published.withLock { $0 } }

    private func loop() {
        log.info("jobs", "job thread started: " + jobs.map {
            "\($0.job.name) " + ($0.enabled ? "every \($0.interval)" : "disabled")
        }.joined(separator: ", "))
        guard let store = openStoreRetrying() else { return }
        var schedules = jobs.map { JobSchedule(interval: $0.interval, start: clock.now()) }
        var lease = LeaseKeeper(ttl: leaseTTL, now: clock.now())
        while true {
            plannedWake.store(Int64.max, ordering: .relaxed)
            let now = clock.now()
            let pending = signals.withLock { state -> Signals in
                defer { state.replan = false; state.runNow = [] }
                return state
            }
            if pending.stopping { break }
            updateLease(&lease, &schedules, store, now: now)
            if lease.holds(at: now) {
                if pending.replan || changedElsewhere(store) { replan(&schedules, store) }
                for (index, scheduled) in jobs.enumerated() where scheduled.enabled
                && (schedules[index].nextRun <= now || pending.runNow.contains(scheduled.job.name)) {
                    run(scheduled, &schedules[index], store)
                }
            }
            publish(schedules, lease, store, heartbeat: now)
            let jobsNext = lease.holds(at: clock.now())
                ? zip(jobs, schedules).filter { $0.0.enabled }.map(\.1.nextRun).min() : nil
            let next = min(jobsNext ?? lease.nextAttempt, lease.nextAttempt)
            // Only the due-task job wakes early for new work; while standing by, nothing does.
            plannedWake.store(jobsNext?.milliseconds ?? Int64.min, ordering: .relaxed)
            let wait = min(max(next.since(clock.now()), .milliseconds(0)), maxWait)
            if wait.milliseconds > 0 { _ = wakeup.wait(timeout: .now() + .milliseconds(Int(wait.milliseconds))) }
        }
        lease.release(store)
        log.info("jobs", "job thread stopped")
    }

    private func updateLease(_ lease: inout LeaseKeeper, _ schedules: inout [JobSchedule], _ store: TaskStore, now: Instant) {
        let failuresBefore = lease.failures
        let (change, error) = lease.refresh(store, now: now)
        // The first failure and the recovery are logged, not every retry.
        if let error, failuresBefore == 0 { log.warning("jobs", "cannot reach the job lease: \(error); retrying with backoff") }
        if failuresBefore > 0, lease.failures == 0 {
            log.info("jobs", "the job lease is reachable again after \(failuresBefore) failed attempt\(failuresBefore == 1 ? "" : "s")")
        }
        switch change {
        case .none: break
        case .acquired:
            log.info("jobs", "holding the job lease (\(lease.identity.holder)); running jobs")
            // Catch up at once: tasks may have fallen due while no process held the lease.
            schedules = jobs.map { JobSchedule(interval: $0.interval, start: now) }
        case .lost:
            let holder = (try? store.currentLease())?.map { "\($0.holder)" } ?? "nobody"
            log.warning("jobs", "lost the job lease to \(holder); standing by")
        case .standingBy:
            let holder = (try? store.currentLease())?.map { "\($0.holder)" } ?? "nobody"
            log.info("jobs", "standing by: \(holder) holds the job lease")
        }
    }

    private func run(_ scheduled: ScheduledJob, _ schedule: inout JobSchedule, _ store: TaskStore) {
        let job = scheduled.job
        let started = clock.now()
        let begin = monotonicMicroseconds()
        var affected = 0
        var failure: String?
        let ended: Instant
        do {
            affected = try job.run(store, now: started)
            let next = try job.nextWork(store)
            ended = clock.now()
            schedule.succeeded(at: ended, nextWork: next)
        } catch {
            failure = "\(error)"
            ended = clock.now()
            schedule.failed(at: ended)
        }
        let micros = monotonicMicroseconds() - begin
        let tag = "job:\(job.name)"
        if let failure {
            log.error(tag, "failed after \(Self.milliseconds(micros)) ms: \(failure); retrying in \(schedule.nextRun.since(ended))")
        } else {
            log.info(tag, "\(job.verb) \(affected) task\(affected == 1 ? "" : "s") in \(Self.milliseconds(micros)) ms")
        }
        let record = JobRun(job: job.name, startedAt: started, durationMicroseconds: micros, affected: affected, error: failure)
        published.withLock { $0.record(record) }
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

    private func publish(_ schedules: [JobSchedule], _ lease: LeaseKeeper, _ store: TaskStore, heartbeat: Instant) {
        let holding = lease.holds(at: heartbeat)
        published.withLock { status in
            status.heartbeat = heartbeat
            status.holdsLease = holding
            status.holder = lease.identity.holder
            for index in schedules.indices {
                status.jobs[index].nextRun = holding && jobs[index].enabled ? schedules[index].nextRun : nil
                status.jobs[index].failures = schedules[index].failures
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

    /// Microseconds as milliseconds: `1.2`, or `0.023` below one millisecond.
    static func milliseconds(_ micros: Int64) -> String {
        if micros < 1000 { return "0." + UTCText.pad(Int(micros), 3) }
        return "\(micros / 1000).\(micros % 1000 / 100)"
    }
}

/// One job as the dashboard and `/status` show it.
public struct JobStatus: Sendable {
    public var name: String
    public var enabled: Bool
    public var interval: Interval
    /// When it runs next; nil while this process stands by or the job is disabled.
    public var nextRun: Instant?
    /// Failures in a row.
    public var failures = 0
    public var runs = 0
    public var failedRuns = 0
    public var lastRun: JobRun?
}

/// The job thread's state, published each time round its loop.
public struct JobsStatus: Sendable {
    public var jobs: [JobStatus]
    public var leaseTTL: Interval
    /// When the loop last went round (zero before it started).
    public var heartbeat = Instant(milliseconds: 0)
    /// Whether this process runs the jobs (else it stands by).
    public var holdsLease = false
    /// This process's lease holder id.
    public var holder = ""

    mutating func record(_ run: JobRun) {
        guard let index = jobs.firstIndex(where: { $0.name == run.job }) else { return }
        jobs[index].runs += 1
        if run.error != nil { jobs[index].failedRuns += 1 }
        jobs[index].lastRun = run
    }
}
