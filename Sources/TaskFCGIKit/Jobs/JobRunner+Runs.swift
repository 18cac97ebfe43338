extension JobRunner {
    /// Runs a job once under the current lease and records how it ended.
    func execute(_ scheduled: ScheduledJob, slot: Instant?, kind: RunKind, attempt: Int = 1, _ plan: inout JobPlan,
                 _ session: JobSession) {
        guard let fence = session.lease.fence, let validUntil = session.lease.validUntil else { return }
        let job = scheduled.job
        let started = clock.now()
        let begin = monotonicMicroseconds()
        let context = JobContext(job: job.name, slot: slot, kind: kind, fence: fence, startedAt: started, leaseValidUntil: validUntil,
                                 timeLimit: scheduled.timeout, tasks: session.tasks, store: session.store, clock: clock, stopping: { [self] in isStopping },
                                 renewed: { [self] now in session.lease.renewed(at: now); beat(now) }, metrics: metrics)
        // `/healthz` reads these to tell a run stuck past twice its limit.
        // Starting a run is a sign of life too: a first run that hangs is reported as stuck, not as
        // a thread that never beat.
        published.withLock { ($0.running, $0.heartbeat) = (RunningJob(name: job.name, since: started, limit: scheduled.timeout), started) }
        defer { published.withLock { $0.running = nil } }
        var run = JobRun(job: job.name, startedAt: started, durationMicroseconds: 0, affected: 0, error: nil)
        (run.slot, run.kind, run.generation, run.holder, run.attempts) = (slot, kind, fence.generation, fence.holder, attempt)
        do {
            run.affected = try job.run(context)
        } catch let lost as LeaseLost {
            (run.outcome, run.error) = (.leaseLost, "\(lost)")
        } catch let reached as TimeLimitReached {
            (run.outcome, run.error) = (.timedOut, "\(reached)")
        } catch {
            (run.outcome, run.error) = (.failed, "\(error)")
        }
        run.durationMicroseconds = monotonicMicroseconds() - begin
        record(run, verb: job.verb, context, &plan, session)
        settle(scheduled, run, &plan, session)
        published.withLock { $0.record(run) }
    }

    /// Writes the run's outcome (fenced) and says in the log how it went.
    private func record(_ run: JobRun, verb: String, _ context: JobContext, _ plan: inout JobPlan, _ session: JobSession) {
        let tag = "job:\(run.job)", took = Self.milliseconds(run.durationMicroseconds)
        metrics?.finished(run)
        var fields: [LogField] = [("job", .string(run.job)), ("affected", .int(Int64(run.affected))),
                                  ("durationMs", .milliseconds(Double(run.durationMicroseconds) / 1000)), ("outcome", .string(run.outcome.rawValue))]
        if let slot = run.slot { fields.append(("slot", .string(slot.description))) }
        let slotText = run.slot.map { " (slot \($0), generation \(run.generation)\(run.attempts > 1 ? ", attempt \(run.attempts)" : ""))" } ?? ""
        switch run.outcome {
        case .leaseLost:
            session.lease.lost()
            log.warning(tag, "lease lost after \(took) ms and \(context.batches) committed batch\(context.batches == 1 ? "" : "es"): the next batch was refused and rolled back\(slotText); the next holder resumes the work", fields: fields)
            return
        case .failed:
            let pause = retryBackoff(failures: plan.failures + 1)
            log.error(tag, "failed after \(took) ms: \(run.error ?? "")\(slotText); retrying in \(pause)", fields: fields)
        case .timedOut:
            log.warning(tag, "timed out after \(took) ms (limit \(context.timeLimit)) and \(context.batches) committed batch\(context.batches == 1 ? "" : "es")\(slotText); the next run picks up the rest", fields: fields)
        case .ok, .running:
            log.info(tag, "\(verb) \(run.affected) task\(run.affected == 1 ? "" : "s") in \(took) ms\(slotText)", fields: fields)
        }
        guard let fence = session.lease.fence else { return }
        do { try session.store.finish(run, fence: fence, now: clock.now(), keep: history) } catch is LeaseLost {
            session.lease.lost()
            log.warning(tag, "lease lost before the run could be recorded\(slotText); the next holder resumes the slot")
        } catch {
            log.warning(tag, "could not record the run in job_runs: \(error)")
        }
    }

    /// Plans what comes after the run: retries with backoff after a failure, else the next known work.
    private func settle(_ scheduled: ScheduledJob, _ run: JobRun, _ plan: inout JobPlan, _ session: JobSession) {
        if run.slot != nil { plan.state?.lastOutcome = run.outcome }
        switch run.outcome {
        case .failed:
            plan.failures += 1
            let retry = clock.now().adding(retryBackoff(failures: plan.failures))
            if run.slot != nil { plan.retryAt = retry } else { plan.wakeAt = retry }
        case .ok, .running, .timedOut:
            // A timed-out run's batches kept their progress: known work left wakes the next run.
            plan.failures = 0
            plan.wakeAt = nil
            do { plan.wakeAt = try scheduled.job.nextWork(session.tasks) } catch {
                log.warning("job:\(scheduled.job.name)", "could not look for new work: \(error)")
            }
        case .leaseLost:
            break
        }
    }
}
