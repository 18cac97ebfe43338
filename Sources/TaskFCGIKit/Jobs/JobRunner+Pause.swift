/// What the job thread does for paused jobs: it notices a pause from any worker within a loop
/// turn, runs no slot and no wake-up while it holds, moves the schedule on past slots as they pass
/// (recorded as skipped, not misfires), and lifts a pause whose until-time has passed.
extension JobRunner {
    /// How often the loop reads the pauses when nothing here changed them.
    static let pauseReadInterval = Interval.milliseconds(250)

    /// Reads every job's pause into its plan, unless read within `pauseReadInterval` and not forced.
    func refreshPauses(_ plans: inout [JobPlan], _ session: JobSession, force: Bool) {
        let now = clock.now()
        if !force, let read = session.pausesRead, now.since(read) < Self.pauseReadInterval { return }
        do {
            let pauses = try session.store.pauses()
            for index in jobs.indices { plans[index].pause = pauses[jobs[index].job.name] }
            session.pausesRead = now
        } catch {
            log.debug("jobs", "could not read the job pauses: \(error)")
        }
    }

    /// Moves a paused job's schedule past the slots that have passed, counting them as skipped.
    func skipWhilePaused(_ scheduled: ScheduledJob, _ state: ScheduleState, _ plan: inout JobPlan,
                         _ session: JobSession) {
        let now = clock.now()
        guard state.nextRun <= now, let fence = session.lease.fence else { return }
        let (latest, passed) = SlotDecision.latest(from: state.nextRun, atOrBefore: now, scheduled.trigger, zone)
        var moved = state
        moved.nextRun = scheduled.trigger.nextSlot(after: latest, in: zone) ?? .never
        moved.skipped += passed + 1
        do {
            try session.store.saveSchedule(moved, fence: fence, now: now)
            plan.state = moved
            (plan.resume, plan.retryAt, plan.wakeAt) = (nil, nil, nil)
            log.info("job:\(scheduled.job.name)", "paused: skipped \(passed + 1) slot\(passed == 0 ? "" : "s") since \(state.nextRun); next slot \(moved.nextRun)")
        } catch is LeaseLost {
            session.lease.lost()
        } catch {
            log.warning("job:\(scheduled.job.name)", "paused, but could not record the skipped slot: \(error)")
        }
    }

    /// The pause's until-time passed: lift it (through `JobControl`, like any resume) so the job
    /// carries on with its next slot. Returns false when the job is still paused: someone paused it
    /// anew meanwhile (that pause is kept), or the pause could not be lifted.
    func liftExpiredPause(_ scheduled: ScheduledJob, _ pause: JobPause, _ plan: inout JobPlan, _ session: JobSession) -> Bool {
        let tag = "job:\(scheduled.job.name)"
        do {
            let lifted = try JobControl.resume(scheduled.job.name, by: JobControl.untilPassed, store: session.store,
                                               now: clock.now(), log: log, expired: pause)
            guard lifted != nil else {
                plan.pause = try session.store.pauses()[scheduled.job.name]
                return plan.pause == nil
            }
            plan.pause = nil
            log.info(tag, "resumed: its pause (by \(pause.by)) ran until \(pause.until?.description ?? "")")
            return true
        } catch {
            log.warning(tag, "could not lift its expired pause: \(error)")
            return false
        }
    }
}
