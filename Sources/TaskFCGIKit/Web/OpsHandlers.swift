import Foundation

/// Health checks, status and the job dashboard: what operators and load balancers read.
enum OpsHandlers {
    /// 200 `ok` when the database answers and the job thread is alive (holding the lease or
    /// standing by), else 503 with the reason, like PHP-FPM's ping page.
    static func health(_ request: Request, _ app: AppContext) throws -> Response {
        do { _ = try app.store.earliestPendingDue() } catch {
            return .text(503, "database unavailable: \(error)\n")
        }
        if let jobs = app.jobs {
            let silent = app.clock.now().since(jobs.status.heartbeat)
            if silent > .seconds(10) { return .text(503, "job thread has not run for \(DateText.span(silent))\n") }
        }
        return .text(200, "ok\n")
    }

    static func jobs(_ request: Request, _ app: AppContext) throws -> Response {
        guard let jobs = app.jobs else { throw HTTPError.notFound("This worker runs no jobs.") }
        let status = jobs.status
        var runs: [String: [JobRun]] = [:]
        for job in status.jobs { runs[job.name] = try app.store.recentRuns(job: job.name, limit: 40) }
        let model = JobsPages.Model(status: status, runs: runs, lease: try app.store.currentLease(),
                                    now: app.clock.now(), zone: app.zone)
        return JobsPages.dashboard(model)
    }

    static func runNow(_ request: Request, _ app: AppContext, name: String) throws -> Response {
        guard let jobs = app.jobs, jobs.status.jobs.contains(where: { $0.name == name && $0.enabled }) else {
            throw HTTPError.notFound("There is no enabled job called “\(name)”.")
        }
        guard jobs.status.holdsLease else {
            throw HTTPError(409, "This worker is standing by; the worker holding the job lease runs the jobs. See /jobs.")
        }
        _ = jobs.runNow(name)
        return .redirect("/jobs")
    }

    /// Like PHP-FPM's status page, as JSON.
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
        }
        if let jobs = app.jobs?.status {
            body["jobs"] = jobs.jobs.map { job -> [String: Any] in
                var entry: [String: Any] = ["name": job.name, "enabled": job.enabled, "interval": job.interval.description,
                                            "runs": job.runs, "failures": job.failedRuns, "failuresInARow": job.failures]
                entry["nextRun"] = job.nextRun?.description
                if let last = job.lastRun {
                    entry["lastRun"] = ["startedAt": last.startedAt.description, "durationMs": Double(last.durationMicroseconds) / 1000,
                                        "affected": last.affected, "error": last.error as Any]
                }
                return entry
            }
            body["holdsLease"] = jobs.holdsLease
            body["heartbeat"] = jobs.heartbeat.description
        }
        if let lease = try app.store.currentLease() {
            body["lease"] = ["holder": lease.holder, "pid": lease.pid, "host": lease.host,
                             "acquiredAt": lease.acquiredAt.description, "expiresAt": lease.expiresAt.description]
        }
        body["lateness"] = latenessSummary(try app.store.recentLateness(limit: 1000))
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .prettyPrinted])
        return Response(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                        body: [UInt8](data) + [10])
    }

    /// Nearest-rank percentiles of the lateness of recently completed tasks, in ms.
    static func latenessSummary(_ values: [Int64]) -> [String: Any] {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return ["count": 0] }
        func rank(_ p: Double) -> Int64 { sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))] }
        return ["count": sorted.count, "p50Ms": rank(0.5), "p99Ms": rank(0.99), "maxMs": sorted.last!]
    }
}
