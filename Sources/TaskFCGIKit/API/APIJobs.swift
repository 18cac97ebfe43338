import Foundation

/// `/api/jobs`: the job dashboard's twin in JSON, from the same status and durable schedules.
enum APIJobs {
    /// `GET /api/jobs`: each job as `/status` shows it, whether this worker holds the lease, and the lease.
    static func list(_ request: Request, _ app: AppContext) throws -> Response {
        let status = app.jobs?.status
        let schedules = try app.jobStore.schedules()
        var body: [String: Any] = ["holdsLease": status?.holdsLease ?? false,
                                   "jobs": (status?.jobs ?? []).map { OpsHandlers.jobEntry($0, schedules[$0.name], app) }]
        if let lease = try app.jobStore.currentLease() {
            body["lease"] = ["holder": lease.holder, "host": lease.host, "generation": lease.generation,
                             "acquiredAt": lease.acquiredAt.description, "expiresAt": lease.expiresAt.description]
        }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        return APIResponse.json(200, String(decoding: data, as: UTF8.self))
    }

    /// Like the dashboard's "Run now" (and, like it, localhost only in `deploy/nginx.conf`).
    static func run(_ request: Request, _ app: AppContext, name: String) throws -> Response {
        if !request.body.isEmpty { _ = try JSONInput.object(from: request) }
        guard let jobs = app.jobs, jobs.status.jobs.contains(where: { $0.name == name && $0.enabled }) else {
            throw HTTPError.notFound("There is no enabled job called “\(name)”.")
        }
        guard jobs.status.holdsLease else {
            throw HTTPError(409, "This worker is standing by; the worker holding the job lease runs the jobs.")
        }
        _ = jobs.runNow(name)
        let paused = JobPreview.activePause(try app.jobStore.schedules()[name], now: app.clock.now()) != nil
        var json = JSONText()
        json.field("job", name)
        json.field("status", "queued")
        // Said, not refused: a paused job runs once by hand and stays paused.
        json.field("paused", paused)
        return APIResponse.json(202, json.object)
    }
}
