/// What `/jobs` and `/api/queue` show of the queue and do to it, in one place: the page and the
/// API draw the same view and take the same two actions, each audited like "Run now".
enum QueueActions {
    /// How many failures and upcoming jobs a view lists.
    static let listed = 20

    /// The queue as operators see it.
    struct View {
        let counts: QueueCounts
        let upcoming: [QueuedJob]
        /// Retryable and discarded jobs, newest first.
        let failures: [QueuedJob]
        let disabledEndpoints: [(url: String, at: Instant, reason: String)]
    }

    static func view(_ app: AppContext) throws -> View {
        let queue = app.jobStore.queue
        return View(counts: try queue.counts(), upcoming: try queue.upcoming(limit: listed),
                    failures: try queue.list(states: [.retryable, .discarded], limit: listed),
                    disabledEndpoints: try WebhookEndpoints.all(queue.reader))
    }

    enum Action: String { case retry, discard }

    /// Retries or discards job `id` for `who`: the job as it is after, or 404 (no such job) or
    /// 409 (not in a state the action applies to). Retrying a delivery to a disabled endpoint
    /// enables the endpoint again.
    static func apply(_ action: Action, id text: String, _ app: AppContext, by who: Operator?) throws -> QueuedJob? {
        let now = app.clock.now()
        func audit(_ outcome: String) {
            app.audit(AuditEntry(at: now, user: who?.user ?? "-", peer: who?.peer ?? "-", action: "queue-\(action.rawValue)",
                                 job: "queue job \(text)", outcome: outcome))
        }
        let queue = app.jobStore.queue
        guard let id = Int64(text), id > 0, let job = try queue.job(id: id) else {
            audit("not-found")
            throw HTTPError(404, "There is no queued job \(text).")
        }
        let done: Bool
        switch action {
        case .retry:
            done = try queue.write { db in
                guard try QueueSQL.retry(db, id: id, now: now) else { return false }
                if job.kind == WebhookDelivery.kindName, let args = WebhookDelivery.Args(json: job.args) {
                    _ = try WebhookEndpoints.enable(db, url: args.url)
                }
                return true
            }
        case .discard: done = try queue.discard(id: id, now: now)
        }
        guard done else {
            audit("refused")
            throw HTTPError(409, "Job \(id) is \(job.state.rawValue); only a waiting, discarded or cancelled job can be \(action == .retry ? "retried" : "discarded").")
        }
        audit("ok")
        if action == .retry { app.queueChanged() }
        return try queue.job(id: id)
    }

    /// What a job is about, without its arguments (a webhook URL may carry a token): its kind's summary.
    static func summary(_ job: QueuedJob) -> String {
        guard job.kind == WebhookDelivery.kindName, let args = WebhookDelivery.Args(json: job.args) else { return job.kind }
        let type = (try? JSONValue.parse(Array(args.body.utf8))).flatMap { value -> String? in
            if case .object(let fields) = value, case .string(let type)? = fields["type"] { return type }
            return nil
        } ?? "event"
        return "\(type) → \(WebhookDelivery.shown(args.url))"
    }

    /// A job as the API writes it.
    static func json(_ job: QueuedJob) -> String {
        var json = JSONText()
        json.field("id", job.id)
        json.field("kind", job.kind)
        json.field("summary", summary(job))
        json.field("state", job.state.rawValue)
        json.field("attempt", job.attempt)
        json.field("maxAttempts", job.maxAttempts)
        json.field("runAt", job.runAt.description)
        json.field("uniqueKey", job.uniqueKey)
        json.field("createdAt", job.createdAt.description)
        json.field("finishedAt", job.finishedAt?.description)
        json.field("lastError", job.lastError)
        json.field("errors", json: JSONText.array(job.errors.map { error in
            var item = JSONText()
            item.field("attempt", error.attempt)
            item.field("at", error.at.description)
            item.field("message", error.message)
            return item.object
        }))
        return json.object
    }

    /// The whole view as the API writes it.
    static func json(_ view: View) -> String {
        var counts = JSONText()
        for state in QueueState.allCases { counts.field(state.rawValue, view.counts[state]) }
        var json = JSONText()
        json.field("counts", json: counts.object)
        json.field("upcoming", json: JSONText.array(view.upcoming.map { Self.json($0) }))
        json.field("failures", json: JSONText.array(view.failures.map { Self.json($0) }))
        json.field("disabledEndpoints", json: JSONText.array(view.disabledEndpoints.map { endpoint in
            var item = JSONText()
            item.field("endpoint", WebhookDelivery.shown(endpoint.url))
            item.field("since", endpoint.at.description)
            item.field("reason", endpoint.reason)
            return item.object
        }))
        return json.object
    }
}
