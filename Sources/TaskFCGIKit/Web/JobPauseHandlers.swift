/// The dashboard's Pause and Resume buttons: same-origin form posts (the router refuses cross-site
/// ones, as for "Run now"), back to `/jobs` with the job's section in view.
enum JobPauseHandlers {
    /// `POST /jobs/{name}/pause` with optional `reason` and `until` (a `datetime-local` value in `timeZone`).
    static func pause(_ request: Request, _ app: AppContext, name: String, by who: Operator?) throws -> Response {
        let job = try known(name, app)
        let form = try request.form()
        var until: Instant?
        if let text = form["until"], !text.trimmed().isEmpty {
            switch DueDate.parse(text, in: app.zone) {
            case .success(let instant): until = instant
            case .failure(let problem): throw HTTPError(422, "Pause until: " + problem.message)
            }
        }
        do {
            _ = try JobControl.pause(job, by: actor(who, request), reason: form["reason"], until: until, store: app.jobStore,
                                     zone: app.zone, now: app.clock.now(), log: app.log)
        } catch let refusal as JobControl.Refusal {
            throw HTTPError(422, refusal.message)
        }
        app.jobs?.pausesChanged()
        return .redirect("/jobs#job-" + name)
    }

    /// `POST /jobs/{name}/resume`: lifts the pause (nothing to do when it is not paused).
    static func resume(_ request: Request, _ app: AppContext, name: String, by who: Operator?) throws -> Response {
        let job = try known(name, app)
        _ = try JobControl.resume(job.job.name, by: actor(who, request), store: app.jobStore, now: app.clock.now(), log: app.log)
        app.jobs?.pausesChanged()
        return .redirect("/jobs#job-" + name)
    }

    /// The operator the gate let in (always set on these operator routes), else the peer alone.
    static func actor(_ who: Operator?, _ request: Request) -> Operator {
        who ?? Operator(user: "-", peer: request.remoteAddress ?? "-")
    }

    /// The job this worker runs under `name`, or a 404.
    static func known(_ name: String, _ app: AppContext) throws -> ScheduledJob {
        guard let job = app.jobs?.scheduledJob(name) else { throw HTTPError.notFound("There is no job called “\(name)”.") }
        return job
    }
}
