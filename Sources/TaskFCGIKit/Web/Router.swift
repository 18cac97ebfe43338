/// Maps a request to its handler, refusing cross-site posts first. HEAD is served as GET
/// (the FastCGI edge drops the body). `/api/` answers in JSON, errors included (see `APIRouter`).
public enum Router {
    public static func handle(_ request: Request, _ app: AppContext) throws -> Response {
        let (route, parameter) = Route.match(request.path)
        return try handle(request, app, route: route, parameter: parameter)
    }

    /// The same, for a path already matched (`App` matches once, for the router and the metrics).
    static func handle(_ request: Request, _ app: AppContext, route: Route, parameter: String?) throws -> Response {
        // The worker's own guard, before anything else about an operator route is looked at.
        let who = try OperatorAccess.check(request, app, route: route)
        if let api = APIRouter.handle(request, app, route: route, parameter: parameter, operator: who) { return api }
        if let refusal = CrossOrigin.refusal(request) {
            throw HTTPError(403, refusal + " To protect your tasks, forms are accepted only from this site’s own pages.")
        }
        let method = request.method == "HEAD" ? "GET" : request.method
        switch route {
        case .root:
            try allow(method, ["GET", "HEAD"])
            return .redirect("/tasks")
        case .healthz:
            try allow(method, ["GET", "HEAD"])
            return try OpsHandlers.health(request, app)
        case .status:
            try allow(method, ["GET", "HEAD"])
            return try OpsHandlers.status(request, app)
        case .metrics:
            try allow(method, ["GET", "HEAD"])
            return try MetricsHandler.metrics(request, app)
        case .jobs:
            try allow(method, ["GET", "HEAD"])
            return try OpsHandlers.jobs(request, app)
        case .jobRun:
            try allow(method, ["POST"])
            return try OpsHandlers.runNow(request, app, name: parameter ?? "", by: who)
        case .jobPause:
            try allow(method, ["POST"])
            return try JobPauseHandlers.pause(request, app, name: parameter ?? "", by: who)
        case .jobResume:
            try allow(method, ["POST"])
            return try JobPauseHandlers.resume(request, app, name: parameter ?? "", by: who)
        case .queueRetry, .queueDiscard:
            try allow(method, ["POST"])
            _ = try QueueActions.apply(route == .queueRetry ? .retry : .discard, id: parameter ?? "", app, by: who)
            return .redirect("/jobs#queue")
        case .tasks:
            try allow(method, ["GET", "HEAD", "POST"])
            return method == "POST" ? try TaskHandlers.create(request, app) : try TaskHandlers.list(request, app)
        case .taskNew:
            try allow(method, ["GET", "HEAD"])
            return try TaskHandlers.new(request, app)
        case .task:
            let id = try taskID(parameter)
            try allow(method, ["GET", "HEAD", "POST"])
            return method == "POST" ? try TaskHandlers.update(request, app, id: id) : try TaskHandlers.show(request, app, id: id)
        case .taskEdit:
            let id = try taskID(parameter)
            try allow(method, ["GET", "HEAD"])
            return try TaskHandlers.edit(request, app, id: id)
        case .taskDelete:
            let id = try taskID(parameter)
            try allow(method, ["POST"])
            return try TaskHandlers.delete(request, app, id: id)
        case .taskChanges:
            try allow(method, ["GET", "HEAD"])
            return try ChangeToken.response(request, app)
        case .asset:
            try allow(method, ["GET", "HEAD"])
            guard let asset = Assets.named(parameter ?? "") else { throw HTTPError.notFound() }
            return asset.response
        case .apiTasks, .apiTask, .apiJobs, .apiJobRun, .apiJobPause, .apiJobResume, .apiOpenAPI, .apiUnknown, .apiAudit,
             .apiQueue, .apiQueueRetry, .apiQueueDiscard, .unknown:
            throw HTTPError.notFound()
        }
    }

    /// Throws 405 with `Allow` unless `method` is allowed.
    static func allow(_ method: String, _ allowed: [String]) throws {
        guard allowed.contains(method) else { throw HTTPError.methodNotAllowed(allowed) }
    }

    /// A task id: digits only, 1 … Int64.max; anything else is a page that does not exist.
    static func taskID(_ text: String?) throws -> Int64 {
        guard let text, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let id = Int64(text), id > 0 else {
            throw HTTPError.notFound("There is no task with this number.")
        }
        return id
    }
}
