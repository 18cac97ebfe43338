/// Where the router asks the operator gate: the routes that show holders, hosts and pids, the
/// audit, or start work. `/healthz` stays open for load balancers; tasks have no accounts.
enum OperatorAccess {
    /// Whether `route` (at `path`) is an operator route. Unknown addresses under `/jobs/` and
    /// `/api/jobs/` count too, so a 404 there says nothing to a stranger either.
    static func isOperator(_ route: Route, path: String) -> Bool {
        // Every route is named: a new one must be placed on one side or the other.
        switch route {
        case .status, .metrics, .jobs, .jobRun, .jobPause, .jobResume, .apiJobs, .apiJobRun, .apiJobPause, .apiJobResume,
             .apiAudit, .queueRetry, .queueDiscard, .apiQueue, .apiQueueRetry, .apiQueueDiscard:
            return true
        case .apiUnknown: return path.hasPrefix("/api/jobs/") || path.hasPrefix("/api/audit/") || path.hasPrefix("/api/queue/")
        case .unknown: return path.hasPrefix("/jobs/")
        case .root, .healthz, .tasks, .taskNew, .task, .taskEdit, .taskDelete, .taskChanges, .asset, .apiTasks, .apiTask,
             .apiOpenAPI:
            return false
        }
    }

    /// The operator for an operator route (nil for any other route); throws the 401, 403 or 429
    /// otherwise, after writing the audit entry for a refused or throttled sign-in.
    static func check(_ request: Request, _ app: AppContext, route: Route) throws -> Operator? {
        guard isOperator(route, path: request.path) else { return nil }
        switch app.operators.admit(request, route: route, now: app.clock.now()) {
        case .allowed(let who): return who
        case .refused(let error, let entry):
            if let entry { app.audit(entry) }
            throw error
        }
    }
}
