import Foundation

/// Health checks, status and the job dashboard: what operators and load balancers read.
enum OpsHandlers {
    /// 200 `ok` when the database answers and the job thread is alive (holding the lease or
    /// standing by), else 503 with the reason, like PHP-FPM's ping page.
    static func health(_ request: Request, _ app: AppContext) throws -> Response {
        do { _ = try app.store.earliestPendingDue() } catch {
            return .text(503, "database unavailable: \(error)\n")
        }
        if let status = app.jobs?.status {
            // A run past twice its time limit is stuck: name it, so whoever replaces the worker knows why.
            if let running = status.running, let stuck = running.stuck(at: app.clock.now()) {
                return .text(503, "job \(running.name) is stuck: running for \(DateText.span(stuck)), twice its time limit is \(Interval(milliseconds: 2 * running.limit.milliseconds))\n")
            }
            // The heartbeat moves after every batch too, so a long run keeps the worker healthy.
            let silent = app.clock.now().since(status.heartbeat)
            if silent > status.stuckAfter { return .text(503, "job thread has not run for \(DateText.span(silent))\n") }
        }
        return .text(200, "ok\n")
    }

    static func jobs(_ request: Request, _ app: AppContext) throws -> Response {
        guard let jobs = app.jobs else { throw HTTPError.notFound("This worker runs no jobs.") }
        let status = jobs.status
        var runs: [String: [JobRun]] = [:]
        for job in status.jobs { runs[job.name] = try app.jobStore.recentRuns(job: job.name, limit: 40) }
        let schedules = try app.jobStore.schedules()
        var model = JobsPages.Model(status: status, runs: runs, schedules: schedules,
                                    lease: try app.jobStore.currentLease(), now: app.clock.now(), zone: app.zone,
                                    audit: try app.jobStore.recentAudit(limit: 100), queue: try QueueActions.view(app))
        for job in status.jobs { model.nextSlots[job.name] = JobPreview.nextSlots(job.name, schedules[job.name], app) }
        // Only a job's own name is echoed, never other text from the address.
        let ran = try request.queryParameters()["ran-while-paused"]
        model.ranWhilePaused = status.jobs.first { $0.name == ran }?.name
        return JobsPages.dashboard(model)
    }

    static func runNow(_ request: Request, _ app: AppContext, name: String, by who: Operator?) throws -> Response {
        let paused = try startRun(app, name: name, by: who, standingBy: "See /jobs.")
        return .redirect(paused ? "/jobs?ran-while-paused=" + name + "#job-" + name : "/jobs")
    }

    /// "Run now" from the page or the API: wakes the job thread, and leaves an audit entry
    /// whatever the outcome (started, no such job, or this worker standing by). True when the job
    /// is paused (it runs this once all the same).
    @discardableResult
    static func startRun(_ app: AppContext, name: String, by who: Operator?, standingBy advice: String) throws -> Bool {
        func audit(_ outcome: String) {
            app.audit(AuditEntry(at: app.clock.now(), user: who?.user ?? "-", peer: who?.peer ?? "-", action: "run",
                                 job: name, outcome: outcome))
        }
        guard let jobs = app.jobs, jobs.status.jobs.contains(where: { $0.name == name && $0.enabled }) else {
            audit("not-found")
            throw HTTPError.notFound("There is no enabled job called “\(name)”.")
        }
        guard jobs.status.holdsLease else {
            audit("standing-by")
            throw HTTPError(409, "This worker is standing by; the worker holding the job lease runs the jobs." + (advice.isEmpty ? "" : " " + advice))
        }
        _ = jobs.runNow(name)
        audit("ok")
        // A paused job runs once by hand and stays paused: the caller says so.
        return JobPreview.activePause(try app.jobStore.schedules()[name], now: app.clock.now()) != nil
    }

    /// Like PHP-FPM's status page (`?full`: each thread's request), as JSON.
    static func status(_ request: Request, _ app: AppContext) throws -> Response {
        let now = app.clock.now()
        var body: [String: Any] = ["pid": Int(getpid()), "version": Options.version, "now": now.description]
        if let stats = app.stats {
            let counts = stats.snapshot
            body["startTime"] = stats.startedAt.description
            body["uptimeSeconds"] = now.since(stats.startedAt).milliseconds / 1000
            body["acceptedRequests"] = counts.accepted
            body["threads"] = stats.threads
            body["activeThreads"] = counts.active
            body["idleThreads"] = stats.threads - counts.active
            body["maxActiveThreads"] = counts.maxActive
            body["responses"] = Dictionary(uniqueKeysWithValues: (1...5).map { ("\($0)xx", counts.byClass[$0]) })
            body["requestThreads"] = StatusThreads.requestThreads(stats.board.entries, now: now, monotonic: monotonicNanoseconds())
        }
        if let jobs = app.jobs?.status {
            let schedules = try app.jobStore.schedules()
            body["jobs"] = jobs.jobs.map { jobEntry($0, schedules[$0.name], app) }
            body["holdsLease"] = jobs.holdsLease
            body["heartbeat"] = jobs.heartbeat.description
            body["runningJob"] = jobs.running?.name as Any
            body["runningSince"] = jobs.running?.since.description as Any
            body["jobThread"] = StatusThreads.jobThread(jobs.running, now: now)
        }
        if let lease = try app.jobStore.currentLease() {
            body["lease"] = ["holder": lease.holder, "pid": lease.pid, "host": lease.host, "machine": lease.machine,
                             "generation": lease.generation,
                             "acquiredAt": lease.acquiredAt.description, "expiresAt": lease.expiresAt.description]
        }
        body["lateness"] = latenessSummary(try app.jobStore.recentLateness(limit: 1000))
        let data = try RequestPhases.rendering { try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .prettyPrinted]) }
        return Response(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                        body: [UInt8](data) + [10])
    }

    /// One job in `/status`: this process's counts, and the durable schedule every worker shares,
    /// with its pause and its next slots.
    static func jobEntry(_ job: JobStatus, _ schedule: ScheduleState?, _ app: AppContext) -> [String: Any] {
        var entry: [String: Any] = ["name": job.name, "enabled": job.enabled, "schedule": job.schedule,
                                    "misfire": job.misfire.rawValue, "runs": job.runs, "failures": job.failedRuns,
                                    "timeouts": job.timeouts, "timeout": job.timeout.description,
                                    "failuresInARow": job.failures]
        entry["nextRun"] = job.enabled ? (job.nextRun ?? schedule?.nextRun)?.description : nil
        if let schedule {
            entry["misfires"] = schedule.misfires
            entry["lastSlot"] = schedule.lastSlot?.description
            entry["lastSlotOutcome"] = schedule.lastOutcome?.rawValue
            entry["lastSlotGeneration"] = schedule.lastGeneration
            entry["lastSlotHolder"] = schedule.lastHolder
            entry["skippedWhilePaused"] = schedule.skipped
        }
        entry["paused"] = JobPreview.pauseJSON(JobPreview.activePause(schedule, now: app.clock.now()))
        entry["nextSlots"] = JobPreview.slotsJSON(JobPreview.nextSlots(job.name, schedule, app), zone: app.zone)
        if let last = job.lastRun {
            entry["lastRun"] = ["startedAt": last.startedAt.description, "durationMs": Double(last.durationMicroseconds) / 1000,
                                "affected": last.affected, "error": last.error as Any, "kind": last.kind.rawValue,
                                "outcome": last.outcome.rawValue, "generation": last.generation]
        }
        return entry
    }

    /// Nearest-rank percentiles of the lateness of recently completed tasks, in ms.
    static func latenessSummary(_ values: [Int64]) -> [String: Any] {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return ["count": 0] }
        func rank(_ p: Double) -> Int64 { sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))] }
        return ["count": sorted.count, "p50Ms": rank(0.5), "p99Ms": rank(0.99), "maxMs": sorted.last!]
    }
}
