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

    /// Like the dashboard's "Run now", guarded and audited the same way.
    static func run(_ request: Request, _ app: AppContext, name: String, by who: Operator?) throws -> Response {
        if !request.body.isEmpty { _ = try JSONInput.object(from: request) }
        let paused = try OpsHandlers.startRun(app, name: name, by: who, standingBy: "")
        var json = JSONText()
        json.field("job", name)
        json.field("status", "queued")
        // Said, not refused: a paused job runs once by hand and stays paused.
        json.field("paused", paused)
        return APIResponse.json(202, json.object)
    }
}

extension APIJobs {
    /// `GET /api/audit`: the newest 100 audit entries, newest first.
    static func audit(_ request: Request, _ app: AppContext) throws -> Response {
        let entries = try app.jobStore.recentAudit(limit: 100).map { entry in
            var json = JSONText()
            json.field("at", entry.at.description)
            json.field("user", entry.user)
            json.field("peer", entry.peer)
            json.field("action", entry.action)
            json.field("job", entry.job)
            json.field("outcome", entry.outcome)
            return json.object
        }
        var body = JSONText()
        body.field("entries", json: JSONText.array(entries))
        return APIResponse.json(200, body.object)
    }
}
