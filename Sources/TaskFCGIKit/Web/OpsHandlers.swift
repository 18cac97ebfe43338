/// Health checks for load balancers and monitoring.
enum OpsHandlers {
    /// 200 `ok` when the database answers and the job thread is alive, else 503 with the reason.
    static func health(_ request: Request, _ app: AppContext) throws -> Response {
        do { _ = try app.store.earliestPendingDue() } catch {
            return .text(503, "database unavailable: \(error)\n")
        }
        if let jobs = app.jobs, app.clock.now().since(jobs.lastHeartbeat) > .seconds(10) {
            return .text(503, "job thread has not run for \(DateText.span(app.clock.now().since(jobs.lastHeartbeat)))\n")
        }
        return .text(200, "ok\n")
    }
}
