/// One job's plan in the job thread while it holds the lease: its durable schedule row as last
/// written, plus what only this holder knows (work it can see coming, retries after failures).
struct JobPlan {
    /// The `job_schedule` row; nil until read under the current lease.
    var state: ScheduleState?
    var loaded: Bool { state != nil }
    /// Read just now: look for work at once (tasks may have fallen due while nobody held the lease).
    var loadedJustNow = false
    /// A slot an earlier holder claimed but did not finish: run it again first.
    var resume: Instant?
    /// Work known to come before the next slot (the next due task).
    var wakeAt: Instant?
    /// When to try a failed run again.
    var retryAt: Instant?
    /// Failures in a row.
    var failures = 0
    /// The job's pause as last read (each time round the loop, at most every 250 ms).
    var pause: JobPause?

    /// The earliest thing this plan waits for; while it backs off after a failure, only the retry;
    /// while paused, only the next slot (to record it skipped) and the pause's end.
    var nextEvent: Instant? {
        if let pause { return [state?.nextRun, pause.until].compactMap { $0 }.min() }
        if let retryAt { return retryAt }
        return [resume, state?.nextRun, wakeAt].compactMap { $0 }.min()
    }
}

extension JobRunner {
    /// Reads every enabled job's schedule row under a freshly taken lease (or, with `keeping`, only
    /// those that could not be read before), creating or updating it when the job is new or its
    /// schedule changed in the config.
    func load(_ session: JobSession, now: Instant, keeping: [JobPlan]? = nil) -> [JobPlan] {
        let kept = keeping ?? jobs.map { _ in JobPlan() }
        guard let fence = session.lease.fence else { return kept }
        let rows: [String: ScheduleState]
        do { rows = try session.store.schedules() } catch {
            log.error("jobs", "cannot read the job schedules: \(error); retrying")
            return kept
        }
        return zip(jobs, kept).map { scheduled, kept in
            var plan = JobPlan()
            guard !kept.loaded else { return kept }
            guard scheduled.enabled, session.lease.holds(at: now) else { return plan }
            do {
                plan.state = try schedule(scheduled, row: rows[scheduled.job.name], session.store, fence, now: now)
                (plan.loadedJustNow, plan.pause) = (true, plan.state?.pause)
            } catch is LeaseLost {
                session.lease.lost()
            } catch {
                log.error("job:\(scheduled.job.name)", "cannot write its schedule: \(error); retrying")
            }
            if let state = plan.state, state.lastOutcome == .running, let slot = state.lastSlot,
               state.lastGeneration != fence.generation {
                log.warning("job:\(scheduled.job.name)", "slot \(slot) was left unfinished by generation \(state.lastGeneration ?? 0); resuming it")
                plan.resume = slot
            }
            return plan
        }
    }

    private func schedule(_ scheduled: ScheduledJob, row: ScheduleState?, _ store: JobStore, _ fence: Fence,
                          now: Instant) throws -> ScheduleState {
        let tag = "job:\(scheduled.job.name)", written = scheduled.trigger.description
        guard var state = row else {
            let first = scheduled.trigger.firstSlot(now: now, lastSlot: nil, in: zone)
            let state = ScheduleState(job: scheduled.job.name, schedule: written, nextRun: first)
            try store.saveSchedule(state, fence: fence, now: now)
            log.info(tag, "new schedule \(written); first run at \(first)")
            return state
        }
        guard state.schedule == written else {
            state.nextRun = scheduled.trigger.firstSlot(now: now, lastSlot: state.lastSlot, in: zone)
            log.info(tag, "schedule changed from \(state.schedule) to \(written); next run at \(state.nextRun)")
            state.schedule = written
            try store.saveSchedule(state, fence: fence, now: now)
            return state
        }
        log.debug(tag, "resuming schedule \(written): next run at \(state.nextRun)")
        return state
    }

    /// Looks for work that comes before each job's next slot (a task due sooner).
    func replan(_ plans: inout [JobPlan], _ session: JobSession) {
        for index in jobs.indices where plans[index].loaded {
            plans[index].loadedJustNow = false
            do {
                if let work = try jobs[index].job.nextWork(session.tasks), plans[index].failures == 0 {
                    plans[index].wakeAt = min(plans[index].wakeAt ?? work, work)
                }
            } catch {
                log.warning("job:\(jobs[index].job.name)", "could not look for new work: \(error)")
            }
        }
    }

    /// Does whatever one job has due now: a manual run, an interrupted slot, a retry, a slot, or work.
    func step(_ index: Int, _ plan: inout JobPlan, manual: Bool, _ session: JobSession) {
        guard let state = plan.state else { return }
        let scheduled = jobs[index], now = clock.now()
        // "Run now" runs even a paused job, once; the log and the API say it stays paused.
        if manual {
            if plan.pause?.isActive(at: now) == true {
                log.info("job:\(scheduled.job.name)", "paused, but run once by hand (Run now); it stays paused")
            }
            return execute(scheduled, slot: nil, kind: .manual, &plan, session)
        }
        if let pause = plan.pause {
            if pause.isActive(at: now) { return skipWhilePaused(scheduled, state, &plan, session) }
            guard liftExpiredPause(scheduled, pause, &plan, session) else { return }
        }
        if let retry = plan.retryAt {
            guard retry <= now else { return }
            plan.retryAt = nil
            // A failed slot is retried until the next one is due; that one then does the work.
            if state.lastOutcome == .failed, let slot = state.lastSlot, state.nextRun > now {
                return runSlot(scheduled, slot, state, &plan, session)
            }
        }
        if let slot = plan.resume {
            return runSlot(scheduled, slot, state, &plan, session)
        }
        switch SlotDecision.decide(next: state.nextRun, now: now, trigger: scheduled.trigger, zone: zone, policy: scheduled.misfire) {
        case .run(let slot, let missed, let next):
            var moved = state
            (moved.nextRun, moved.misfires) = (next, state.misfires + missed)
            if missed > 0 {
                metrics?.misfired(scheduled.job.name, slots: missed)
                log.warning("job:\(scheduled.job.name)", "\(missed) slot\(missed == 1 ? "" : "s") since \(state.nextRun) passed without a run; running once for \(slot)")
            }
            runSlot(scheduled, slot, moved, &plan, session)
        case .skip(let missed, let next):
            skip(scheduled, missed: missed, next: next, state, &plan, session)
        case .wait:
            if let wake = plan.wakeAt, wake <= now { execute(scheduled, slot: nil, kind: .wake, &plan, session) }
        }
    }

    private func skip(_ scheduled: ScheduledJob, missed: Int, next: Instant, _ state: ScheduleState,
                      _ plan: inout JobPlan, _ session: JobSession) {
        guard let fence = session.lease.fence else { return }
        var moved = state
        (moved.nextRun, moved.misfires) = (next, state.misfires + missed)
        do {
            try session.store.saveSchedule(moved, fence: fence, now: clock.now())
            plan.state = moved
            metrics?.misfired(scheduled.job.name, slots: missed)
            log.warning("job:\(scheduled.job.name)", "skipped \(missed) missed slot\(missed == 1 ? "" : "s") since \(state.nextRun) (misfire: skip); next run at \(next)")
        } catch {
            failed(scheduled, claiming: state.nextRun, error, &plan, session)
        }
    }

    /// Claims `slot` (moving the schedule on to `moved.nextRun` in the same transaction), then runs it.
    private func runSlot(_ scheduled: ScheduledJob, _ slot: Instant, _ moved: ScheduleState, _ plan: inout JobPlan,
                         _ session: JobSession) {
        guard let fence = session.lease.fence else { return }
        let attempt: Int?
        do { attempt = try session.store.claim(slot: slot, moved, fence: fence, now: clock.now()) } catch let paused as JobIsPaused {
            // Paused by another worker or the command line since the loop last looked.
            plan.pause = paused.pause
            return
        } catch {
            return failed(scheduled, claiming: slot, error, &plan, session)
        }
        (plan.state, plan.resume) = (moved, nil)
        plan.state?.lastSlot = slot
        guard let attempt else {
            plan.state?.lastOutcome = .ok
            log.info("job:\(scheduled.job.name)", "slot \(slot) already ran; next run at \(moved.nextRun)")
            return
        }
        plan.state?.lastOutcome = .running
        execute(scheduled, slot: slot, kind: .schedule, attempt: attempt, &plan, session)
    }

    private func failed(_ scheduled: ScheduledJob, claiming slot: Instant, _ error: Error, _ plan: inout JobPlan, _ session: JobSession) {
        if error is LeaseLost {
            session.lease.lost()
            log.warning("job:\(scheduled.job.name)", "could not claim slot \(slot): \(error)")
            return
        }
        plan.failures += 1
        plan.retryAt = clock.now().adding(retryBackoff(failures: plan.failures))
        log.error("job:\(scheduled.job.name)", "could not claim slot \(slot): \(error); retrying in \(retryBackoff(failures: plan.failures))")
    }
}
