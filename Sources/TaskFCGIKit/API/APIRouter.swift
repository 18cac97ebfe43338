/// The JSON API under `/api/`: dispatch, the same cross-site rules as the forms, and every error
/// as problem details, so a client never has to parse an HTML page.
enum APIRouter {
    /// The API's response for an `/api/` route; nil for every other route.
    static func handle(_ request: Request, _ app: AppContext, route: Route, parameter: String?, operator who: Operator?) -> Response? {
        switch route {
        case .apiTasks, .apiTask, .apiJobs, .apiJobRun, .apiJobPause, .apiJobResume, .apiOpenAPI, .apiUnknown, .apiAudit,
             .apiQueue, .apiQueueRetry, .apiQueueDiscard: break
        default: return nil
        }
        do {
            if let refusal = CrossOrigin.refusal(request) {
                throw HTTPError(403, refusal + " The API accepts changes only from this site or from non-browser clients.")
            }
            return try dispatch(request, app, route: route, parameter: parameter, operator: who)
        } catch {
            return Problem.response(for: error, request: request, requestID: App.newRequestID, log: app.log)
        }
    }

    private static func dispatch(_ request: Request, _ app: AppContext, route: Route, parameter: String?,
                                 operator who: Operator?) throws -> Response {
        let method = request.method == "HEAD" ? "GET" : request.method
        switch route {
        case .apiTasks:
            try Router.allow(method, ["GET", "HEAD", "POST"])
            return method == "POST" ? try APITasks.create(request, app) : try APITasks.list(request, app)
        case .apiTask:
            let id = try Router.taskID(parameter)
            try Router.allow(method, ["GET", "HEAD", "PATCH", "DELETE"])
            switch method {
            case "PATCH": return try APITasks.update(request, app, id: id)
            case "DELETE": return try APITasks.delete(request, app, id: id)
            default: return try APITasks.show(request, app, id: id)
            }
        case .apiJobs:
            try Router.allow(method, ["GET", "HEAD"])
            return try APIJobs.list(request, app)
        case .apiJobRun:
            try Router.allow(method, ["POST"])
            return try APIJobs.run(request, app, name: parameter ?? "", by: who)
        case .apiAudit:
            try Router.allow(method, ["GET", "HEAD"])
            return try APIJobs.audit(request, app)
        case .apiJobPause:
            try Router.allow(method, ["POST"])
            return try APIJobPause.pause(request, app, name: parameter ?? "", by: who)
        case .apiJobResume:
            try Router.allow(method, ["POST"])
            return try APIJobPause.resume(request, app, name: parameter ?? "", by: who)
        case .apiQueue:
            try Router.allow(method, ["GET", "HEAD"])
            return try APIQueue.view(request, app)
        case .apiQueueRetry, .apiQueueDiscard:
            try Router.allow(method, ["POST"])
            return try APIQueue.act(route == .apiQueueRetry ? .retry : .discard, request, app, id: parameter ?? "", by: who)
        case .apiOpenAPI:
            try Router.allow(method, ["GET", "HEAD"])
            return Response(status: 200, headers: [("Content-Type", "application/json")] + APIResponse.headers,
                            body: Array(OpenAPIDocument.text.utf8))
        default:
            throw HTTPError.notFound("There is no API endpoint at this address; see /api/openapi.json.")
        }
    }
}
