/// `POST /api/jobs/{name}/pause` and `/resume`: the dashboard's buttons for programs, answering the
/// job's pause as `GET /api/jobs` shows it.
enum APIJobPause {
    /// Pauses the job; the optional JSON body may give `reason` (a string) and `until` (an RFC 3339
    /// instant in the future). 200 with the pause.
    static func pause(_ request: Request, _ app: AppContext, name: String, by who: Operator?) throws -> Response {
        let job = try JobPauseHandlers.known(name, app)
        let body = request.body.isEmpty ? [:] : try JSONInput.object(from: request)
        var problems: [FieldProblem] = []
        for field in body.keys.sorted() where field != "reason" && field != "until" {
            problems.append(FieldProblem(field: field, message: "Unknown field; a pause has reason and until."))
        }
        var reason: String?, until: Instant?
        switch body["reason"] {
        case .string(let text): reason = text
        case nil, .null?: break
        case let other?: problems.append(FieldProblem(field: "reason", message: "The reason must be a string; this is \(other.kind)."))
        }
        switch body["until"] {
        case .string(let text):
            if let instant = RFC3339.parse(text) { until = instant } else {
                problems.append(FieldProblem(field: "until", message: "Give the end of the pause as an RFC 3339 instant with its offset, e.g. 2026-12-01T09:00:00Z."))
            }
        case nil, .null?: break
        case let other?: problems.append(FieldProblem(field: "until", message: "The end of the pause must be a string; this is \(other.kind)."))
        }
        guard problems.isEmpty else { throw InvalidFields(problems: problems) }
        let pause: JobPause
        do {
            pause = try JobControl.pause(job, by: JobPauseHandlers.actor(who, request), reason: reason, until: until,
                                         store: app.jobStore, zone: app.zone, now: app.clock.now(), log: app.log)
        } catch let refusal as JobControl.Refusal {
            let field = refusal.message.hasPrefix("The reason") ? "reason" : "until"
            throw InvalidFields(problems: [FieldProblem(field: field, message: refusal.message)])
        }
        app.jobs?.pausesChanged()
        return APIResponse.json(200, answer(name, pause))
    }

    /// Resumes the job (200 whether or not it was paused), answering `"paused": null`.
    static func resume(_ request: Request, _ app: AppContext, name: String, by who: Operator?) throws -> Response {
        let job = try JobPauseHandlers.known(name, app)
        if !request.body.isEmpty { _ = try JSONInput.object(from: request) }
        _ = try JobControl.resume(job.job.name, by: JobPauseHandlers.actor(who, request), store: app.jobStore,
                                  now: app.clock.now(), log: app.log)
        app.jobs?.pausesChanged()
        return APIResponse.json(200, answer(name, nil))
    }

    /// `{"job": name, "paused": {since, by, reason, until} | null}`.
    static func answer(_ name: String, _ pause: JobPause?) -> String {
        var json = JSONText()
        json.field("job", name)
        guard let pause else {
            json.field("paused", json: "null")
            return json.object
        }
        var inner = JSONText()
        inner.field("since", pause.since.description)
        inner.field("by", pause.by)
        inner.field("reason", pause.reason)
        inner.field("until", pause.until?.description)
        json.field("paused", json: inner.object)
        return json.object
    }
}
