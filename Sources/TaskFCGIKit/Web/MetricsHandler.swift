/// `GET /metrics`: everything an operator graphs, from counters kept in memory plus the one kept
/// count of tasks (two rows), so a scrape never scans the tasks.
enum MetricsHandler {
    /// The scrape, in the format `Accept` asks for.
    static func metrics(_ request: Request, _ app: AppContext) throws -> Response {
        let format = Exposition.Format.negotiated(accept: request.header("accept"))
        var out = Exposition(format: format)
        out.info("taskfcgi_build", "Version and storage backend of this worker.",
                 [("version", Options.version), ("backend", app.metrics?.backend ?? "sqlite")])
        if let stats = app.stats { server(&out, stats) }
        if let metrics = app.metrics { requests(&out, metrics.requests.merged()) }
        let counts = try app.store.counts()
        out.gauge("taskfcgi_tasks", "Tasks by state, from the kept counts.",
                  [([("state", "pending")], Double(counts.pending)), ([("state", "completed")], Double(counts.completed))])
        if let metrics = app.metrics { jobs(&out, metrics.jobs.snapshot, held: app.jobs?.status.holdsLease ?? false) }
        let queued = try app.jobStore.queue.counts()
        out.gauge("taskfcgi_queue_jobs", "Queued jobs by state, in the database (every worker's).",
                  QueueState.allCases.map { ([("state", $0.rawValue)], Double(queued[$0])) })
        if let metrics = app.metrics { queue(&out, metrics.queue.snapshot) }
        return Response(status: 200, headers: [("Content-Type", format.contentType), ("Cache-Control", "no-store")],
                        body: Array(out.finished().utf8))
    }

    private static func server(_ out: inout Exposition, _ stats: ServerStats) {
        let counts = stats.snapshot
        out.gauge("process_start_time_seconds", "When this worker process started, in Unix seconds.",
                  [([], Double(stats.startedAt.milliseconds) / 1000)])
        out.counter("taskfcgi_accepted_connections", "FastCGI connections accepted from nginx.", [([], UInt64(counts.accepted))])
        out.gauge("taskfcgi_request_threads", "Request threads now serving a request (active) or waiting for one (idle).",
                  [([("state", "active")], Double(counts.active)), ([("state", "idle")], Double(stats.threads - counts.active))])
        out.gauge("taskfcgi_request_threads_max", "Request threads configured.", [([], Double(stats.threads))])
        out.gauge("taskfcgi_request_threads_max_active", "The most request threads busy at once since the start.",
                  [([], Double(counts.maxActive))])
    }

    private static func requests(_ out: inout Exposition, _ routes: [RouteCounts]) {
        var answered: [(Exposition.Labels, UInt64)] = []
        var durations: [(Exposition.Labels, HistogramCounts)] = []
        for route in Route.allCases where routes[route.rawValue].duration.count > 0 {
            let counts = routes[route.rawValue]
            for status in 1...5 where counts.byClass[status] > 0 {
                answered.append(([("route", route.template), ("code", "\(status)xx")], counts.byClass[status]))
            }
            durations.append(([("route", route.template)], counts.duration))
        }
        out.counter("taskfcgi_http_requests", "Requests answered by the app, by route template and status class.", answered)
        out.histogram("taskfcgi_http_request_duration_seconds", "Time the app took to answer, by route template.", durations)
    }

    private static func queue(_ out: inout Exposition, _ queue: QueueMetrics.Snapshot) {
        var attempts: [(Exposition.Labels, UInt64)] = []
        for kind in queue.finished.keys.sorted() {
            for state in [QueueState.completed, .retryable, .discarded, .cancelled] {
                attempts.append(([("kind", kind), ("outcome", state.rawValue)], queue.finished[kind]?[state] ?? 0))
            }
        }
        out.counter("taskfcgi_queue_attempts", "Queued job attempts this worker finished, by kind and the state they left the job in (webhook deliveries: completed = delivered).", attempts)
        out.counter("taskfcgi_queue_rescued", "Claims this worker's rescuer took back (the claiming worker died or overran).", [([], queue.rescued)])
        out.histogram("taskfcgi_queue_enqueue_to_completion_seconds", "From enqueue to completion, for jobs this worker completed.",
                      [([], queue.enqueueToCompletion)])
    }

    private static func jobs(_ out: inout Exposition, _ jobs: JobMetrics.Snapshot, held: Bool) {
        let names = jobs.jobs.keys.sorted()
        func each<T>(_ value: (JobMetrics.PerJob) -> T) -> [(Exposition.Labels, T)] {
            names.map { ([("job", $0)], value(jobs.jobs[$0]!)) }
        }
        out.counter("taskfcgi_job_runs", "Job runs that ended in this process, any outcome.", each(\.runs))
        out.counter("taskfcgi_job_failures", "Job runs that failed or lost the lease.", each(\.failures))
        out.counter("taskfcgi_job_timeouts", "Job runs that reached their time limit (jobs.NAME.timeout); the next run does the rest.",
                    each(\.timeouts))
        out.histogram("taskfcgi_job_duration_seconds", "How long job runs took.", each(\.duration))
        out.counter("taskfcgi_job_misfires", "Schedule slots that passed while no worker ran the job.", each(\.misfires))
        out.gauge("taskfcgi_job_lease_held", "1 while this worker holds the job lease and runs the jobs, else 0.",
                  [([], held ? 1 : 0)])
        out.counter("taskfcgi_job_lease_takeovers", "Times this worker took the job lease (at start or from a holder that went away).",
                    [([], jobs.leaseAcquisitions)])
        out.histogram("taskfcgi_task_lateness_seconds", "From a task's due date to its action date, for tasks this worker completed.",
                      [([], jobs.lateness)])
    }
}
