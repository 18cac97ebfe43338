/// The dashboard's Pause and Resume buttons: same-origin form posts (the router refuses cross-site
/// ones, as for "Run now"), back to `/jobs` with the job's section in view.
enum JobPauseHandlers {
    /// Who the dashboard records as pausing or resuming. The FastCGI edge passes no user today;
    /// operator sign-in replaces this with the signed-in operator.
    static let actor = "dashboard"

    /// `POST /jobs/{name}/pause` with optional `reason` and `until` (a `datetime-local` value in `timeZone`).
    static func pause(_ request: Request, _ app: AppContext, name: String) throws -> Response {
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
            _ = try JobControl.pause(job, by: actor, reason: form["reason"], until: until, store: app.jobStore,
                                     zone: app.zone, now: app.clock.now())
        } catch let refusal as JobControl.Refusal {
            throw HTTPError(422, refusal.message)
        }
        app.jobs?.pausesChanged()
        return .redirect("/jobs#job-" + name)
    }

    /// `POST /jobs/{name}/resume`: lifts the pause (nothing to do when it is not paused).
    static func resume(_ request: Request, _ app: AppContext, name: String) throws -> Response {
        let job = try known(name, app)
        _ = try JobControl.resume(job.job.name, by: actor, store: app.jobStore, now: app.clock.now())
        app.jobs?.pausesChanged()
        return .redirect("/jobs#job-" + name)
    }

    /// The job this worker runs under `name`, or a 404.
    static func known(_ name: String, _ app: AppContext) throws -> ScheduledJob {
        guard let job = app.jobs?.scheduledJob(name) else { throw HTTPError.notFound("There is no job called “\(name)”.") }
        return job
    }
}
