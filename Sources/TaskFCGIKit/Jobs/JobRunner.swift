import Foundation
import Synchronization

/// The job thread: one detached thread with its own stores, running every job on its durable
/// schedule while this process holds the job lease (stand-by otherwise). It sleeps until the next
/// slot or known work, is woken early by `notify()` and `stop()`, and never sleeps longer than
/// `maxWait`: each time round it re-reads the clock (a wall-clock jump cannot stall it) and asks
/// the store whether another process changed the tasks (then it looks for new work).
public final class JobRunner: Sendable {
    /// The jobs with their settings; a reload (SIGHUP) may replace them, same jobs in the same order.
    private let settings: Mutex<[ScheduledJob]>
    /// The jobs as they are set now.
    var jobs: [ScheduledJob] { settings.withLock { $0 } }
    let openStores: @Sendable () throws -> (TaskStore, JobStore)
    let log: Log
    let clock: any WallClock
    let zone: Zone
    private let maxWait: Interval
    let leaseTTL: Interval
    /// Where runs, misfires, lease takeovers and lateness are counted for `/metrics`.
    let metrics: JobMetrics?
    /// How many runs the history keeps per job (`jobs.history`), trimmed after each of its runs.
    let history: Int
    /// `jobs.history` when the config leaves it out.
    public static let defaultHistory = 1000

    struct Signals {
        var replan = false, stopping = false, woken = false, pausesChanged = false, reloaded = false
        var runNow: Set<String> = []
    }
    let signals = Mutex(Signals())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    let published: Mutex<JobsStatus>
    /// When the loop next wakes by itself (Unix ms). `Int64.max` while it is planning, so a task
    /// created meanwhile always wakes it; `Int64.min` while standing by (no job to run).
    private let plannedWake = Atomic<Int64>(Int64.max)

    public init(jobs: [ScheduledJob], log: Log, clock: any WallClock = SystemClock(), zone: Zone = .current,
                maxWait: Interval = .milliseconds(250), leaseTTL: Interval = .seconds(15), metrics: JobMetrics? = nil,
                history: Int = JobRunner.defaultHistory,
                openStores: @escaping @Sendable () throws -> (TaskStore, JobStore)) {
        (self.log, self.clock, self.zone, self.metrics) = (log, clock, zone, metrics)
        settings = Mutex(jobs)
        self.history = max(history, 1)
        (self.maxWait, self.leaseTTL, self.openStores) = (maxWait, leaseTTL, openStores)
        published = Mutex(JobsStatus(jobs: jobs.map {
            JobStatus(name: $0.job.name, enabled: $0.enabled, schedule: $0.trigger.description, misfire: $0.misfire,
                      timeout: $0.timeout)
        }, leaseTTL: leaseTTL))
        // A worker that has just started is healthy: /healthz must not call a job thread that has
        // not had its first turn yet silent since 1970.
        beat(clock.now())
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

    /// Tasks changed in this process: look again for the next due date now. A burst of calls
    /// wakes the thread once.
    public func notify() {
        let first = signals.withLock { state in
            defer { state.replan = true; state.woken = true }
            return !state.woken
        }
        if first { wakeup.signal() }
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

    /// A job was paused or resumed in this process: read the pauses again now, not at the next look.
    public func pausesChanged() {
        signals.withLock { $0.pausesChanged = true }
        wakeup.signal()
    }

    /// Takes reloaded settings for the same jobs (schedule, `enabled`, `misfire`, `timeout` and the
    /// job's own options such as `retain`); the job thread applies them at its next turn, writing a
    /// changed schedule to `job_schedule` and logging it as at start. Returns the changes, for the
    /// log; nil (nothing taken) when the jobs are not the same ones in the same order.
    public func reload(_ newJobs: [ScheduledJob]) -> [String]? {
        let old = jobs
        guard newJobs.map(\.job.name) == old.map(\.job.name) else { return nil }
        var changes: [String] = []
        for (before, after) in zip(old, newJobs) {
            let name = before.job.name
            if before.trigger != after.trigger { changes.append("\(name): \(before.trigger) → \(after.trigger)") }
            if before.enabled != after.enabled { changes.append("\(name): \(after.enabled ? "enabled" : "disabled")") }
            if before.misfire != after.misfire { changes.append("\(name): misfire \(before.misfire.rawValue) → \(after.misfire.rawValue)") }
            if before.timeout != after.timeout { changes.append("\(name): timeout \(before.timeout) → \(after.timeout)") }
        }
        settings.withLock { $0 = newJobs }
        published.withLock { status in
            for (index, job) in newJobs.enumerated() where index < status.jobs.count {
                status.jobs[index].schedule = job.trigger.description
                (status.jobs[index].enabled, status.jobs[index].misfire, status.jobs[index].timeout) = (job.enabled, job.misfire, job.timeout)
            }
        }
        signals.withLock { $0.reloaded = true }
        wakeup.signal()
        return changes
    }

    /// Forgets the plans of jobs whose schedule or `enabled` changed, so they are read and written
    /// anew under the lease (a changed schedule is written and logged as at start).
    private func applyReload(from applied: [ScheduledJob], _ plans: inout [JobPlan]) -> [ScheduledJob] {
        let current = jobs
        for index in current.indices where index < applied.count {
            if current[index].trigger != applied[index].trigger || current[index].enabled != applied[index].enabled {
                plans[index] = JobPlan()
            }
        }
        return current
    }

    /// Asks the thread to finish its current batch and exit; true if it did within `timeout` seconds.
    public func stop(timeout: Double) -> Bool {
        signals.withLock { $0.stopping = true }
        wakeup.signal()
        return finished.wait(timeout: .now() + timeout) == .success
    }

    /// What the job thread is doing, as of its last heartbeat.
    public var status: JobsStatus { published.withLock { $0 } }

    var isStopping: Bool { signals.withLock { $0.stopping } }

    private func loop() {
        log.info("jobs", "job thread started: " + jobs.map {
            "\($0.job.name) " + ($0.enabled ? "\($0.trigger)" : "disabled")
        }.joined(separator: ", "))
        guard let (tasks, store) = openStoresRetrying() else { return }
        let session = JobSession(tasks: tasks, store: store, lease: LeaseKeeper(ttl: leaseTTL, now: clock.now()))
        let lease = session.lease
        var plans = jobs.map { _ in JobPlan() }
        var applied = jobs
        while true {
            plannedWake.store(Int64.max, ordering: .relaxed)
            let pending = signals.withLock { state -> Signals in
                defer { state.replan = false; state.woken = false; state.runNow = []; state.pausesChanged = false; state.reloaded = false }
                return state
            }
            if pending.stopping { break }
            if pending.reloaded { applied = applyReload(from: applied, &plans) }
            let now = clock.now()
            if updateLease(lease, store, now: now) == .acquired {
                plans = load(session, now: now)
            } else if lease.holds(at: now), zip(jobs, plans).contains(where: { $0.0.enabled && !$0.1.loaded }) {
                plans = load(session, now: now, keeping: plans)  // the rows that could not be read before
            }
            if lease.holds(at: now) {
                if pending.replan || changedElsewhere(store) || plans.contains(where: \.loadedJustNow) { replan(&plans, session) }
                refreshPauses(&plans, session, force: pending.pausesChanged)
                for index in jobs.indices where jobs[index].enabled && plans[index].loaded {
                    guard lease.holds(at: clock.now()), !isStopping else { break }
                    step(index, &plans[index], manual: pending.runNow.contains(jobs[index].job.name), session)
                }
            }
            publish(plans, lease, heartbeat: clock.now())
            sleep(plans, lease)
        }
        lease.release(store)
        log.info("jobs", "job thread stopped")
    }

    /// Sleeps until the next slot, known work, retry or lease attempt, at most `maxWait`.
    private func sleep(_ plans: [JobPlan], _ lease: LeaseKeeper) {
        let now = clock.now()
        let jobsNext = lease.holds(at: now)
            ? zip(jobs, plans).filter { $0.0.enabled && $0.1.loaded }.compactMap { $0.1.nextEvent }.min() : nil
        let next = min(jobsNext ?? lease.nextAttempt, lease.nextAttempt)
        // Only known work wakes the thread early; while standing by, nothing does.
        plannedWake.store(jobsNext?.milliseconds ?? Int64.min, ordering: .relaxed)
        let wait = min(max(next.since(now), .milliseconds(0)), maxWait)
        if wait.milliseconds > 0 { _ = wakeup.wait(timeout: .now() + .milliseconds(Int(wait.milliseconds))) }
    }

    private func updateLease(_ lease: LeaseKeeper, _ store: JobStore, now: Instant) -> LeaseKeeper.Change {
        let failuresBefore = lease.failures
        let (change, error) = lease.refresh(store, now: now)
        // The first failure and the recovery are logged, not every retry.
        if let error, failuresBefore == 0 { log.warning("jobs", "cannot reach the job lease: \(error); retrying with backoff") }
        if failuresBefore > 0, lease.failures == 0 {
            log.info("jobs", "the job lease is reachable again after \(failuresBefore) failed attempt\(failuresBefore == 1 ? "" : "s")")
        }
        let current = { (try? store.currentLease()).flatMap { $0 } }
        let holder = { current().map { "\($0.holder) (generation \($0.generation))" } ?? "nobody" }
        switch change {
        case .none: break
        case .acquired:
            metrics?.leaseAcquired()
            log.info("jobs", "holding the job lease (\(lease.identity.holder), generation \(lease.fence?.generation ?? 0)); running jobs")
        case .lost:
            if let row = current(), row.holder != lease.identity.holder {
                log.warning("jobs", "lost the job lease to \(row.holder) (generation \(row.generation)); standing by")
            } else {
                // Nobody took it: our renewals failed (a pause, the database out of reach) until it ran out.
                log.warning("jobs", "the job lease expired before it could be renewed; standing by until it is taken anew")
            }
        case .standingBy: log.info("jobs", "standing by: \(holder()) holds the job lease")
        }
        return change
    }

    private func publish(_ plans: [JobPlan], _ lease: LeaseKeeper, heartbeat: Instant) {
        let holding = lease.holds(at: heartbeat)
        published.withLock { status in
            status.heartbeat = heartbeat
            status.holdsLease = holding
            status.holder = lease.identity.holder
            status.generation = holding ? lease.fence?.generation ?? 0 : 0
            for index in plans.indices {
                let plan = plans[index]
                status.jobs[index].nextRun = holding && jobs[index].enabled && plan.loaded ? plan.nextEvent : nil
                status.jobs[index].failures = plan.failures
            }
        }
    }

    /// After every committed batch: the thread is alive, even in the middle of a long run.
    func beat(_ now: Instant) { published.withLock { $0.heartbeat = now } }

    private func changedElsewhere(_ store: JobStore) -> Bool {
        do { return try store.changedElsewhere() } catch {
            log.debug("jobs", "could not check for changes: \(error)")
            return false
        }
    }

    private func openStoresRetrying() -> (TaskStore, JobStore)? {
        var failures = 0
        while true {
            do { return try openStores() } catch {
                failures += 1
                let pause = retryBackoff(failures: failures)
                log.error("jobs", "cannot open the database: \(error); retrying in \(pause)")
                _ = wakeup.wait(timeout: .now() + .milliseconds(Int(pause.milliseconds)))
                if isStopping { return nil }
            }
        }
    }

    /// Microseconds as milliseconds: `1.2`, or `0.023` below one millisecond.
    static func milliseconds(_ micros: Int64) -> String {
        if micros < 1000 { return "0." + UTCText.pad(Int(micros), 3) }
        return "\(micros / 1000).\(micros % 1000 / 100)"
    }
}
