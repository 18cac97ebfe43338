/// The `/jobs` dashboard: each job's schedule, the lease holder and recent runs with a chart.
enum JobsPages {
    struct Model {
        var status: JobsStatus
        /// Recent runs per job, newest first, from the shared history (any process's runs).
        var runs: [String: [JobRun]]
        /// The durable schedule rows, by job (the same on every worker).
        var schedules: [String: ScheduleState]
        var lease: Lease?
        var now: Instant
        var zone: Zone
        /// The newest audit entries, newest first.
        var audit: [AuditEntry] = []
        /// The durable queue (nil in tests without one).
        var queue: QueueActions.View?
        /// Each job's next slots (see `JobPreview`).
        var nextSlots: [String: [Instant]] = [:]
        /// A job "Run now" just ran although paused, to say so.
        var ranWhilePaused: String?
    }

    static func dashboard(_ model: Model) -> Response {
        Layout.page(title: "Jobs") { html in
            html.raw("<h1>Jobs</h1><p class=\"card\">")
            leaseLine(&html, model)
            html.raw("</p>")
            if let name = model.ranWhilePaused { ranWhilePausedNotice(&html, name) }
            for job in model.status.jobs { section(&html, job, model) }
            if let queue = model.queue { QueueSection.write(&html, queue, zone: model.zone) }
            AuditSection.write(&html, model.audit, zone: model.zone)
        }
    }

    private static func leaseLine(_ html: inout HTML, _ model: Model) {
        guard let lease = model.lease, lease.expiresAt > model.now else {
            html.raw("No worker holds the job lease right now.")
            return
        }
        html.raw(lease.holder == model.status.holder ? "<strong>This worker</strong> runs the jobs" : "Stand-by: another worker runs the jobs")
        html.raw(" — lease holder pid ")
        html.number(lease.pid)
        html.raw(" on ")
        html.text(lease.host)
        html.raw(", generation ")
        html.number(lease.generation)
        html.raw(", since ")
        html.date(lease.acquiredAt, in: model.zone)
        html.raw(".")
    }

    private static func section(_ html: inout HTML, _ job: JobStatus, _ model: Model) {
        let runs = model.runs[job.name] ?? []
        html.raw("<section class=\"card\" id=\"job-")
        html.text(job.name)
        html.raw("\"><h2>")
        html.text(job.name)
        html.raw("</h2><dl><dt>Enabled</dt><dd>")
        html.raw(job.enabled ? "yes" : "no")
        html.raw("</dd><dt>Schedule</dt><dd>")
        html.text(job.schedule)
        html.raw(" <span class=\"muted\">(misfire: ")
        html.text(job.misfire.rawValue)
        html.raw(")</span></dd><dt>Time limit</dt><dd>")
        html.text(job.timeout.description)
        if job.timeouts > 0 {
            html.raw(" <span class=\"muted\">(")
            html.number(job.timeouts)
            html.raw(" timed out here)</span>")
        }
        html.raw("</dd><dt>Next run</dt><dd>")
        let schedule = model.schedules[job.name]
        if job.enabled, let next = job.nextRun ?? schedule?.nextRun {
            html.text(next <= model.now ? "now" : DateText.display(next, in: model.zone))
        } else {
            html.raw(job.enabled ? "<span class=\"muted\">when a worker holds the lease</span>" : "<span class=\"muted\">never</span>")
        }
        html.raw("</dd>")
        if let schedule { slotLines(&html, schedule, model.zone) }
        let pause = JobPreview.activePause(schedule, now: model.now)
        if job.enabled {
            pauseLines(&html, pause, skipped: schedule?.skipped ?? 0, model.zone)
            slotLines(&html, model.nextSlots[job.name] ?? [], model.zone)
        }
        html.raw("</dl>")
        if !runs.isEmpty { chart(&html, runs) }
        table(&html, runs, model.zone)
        if job.enabled {
            html.raw("<form method=\"post\" action=\"/jobs/")
            html.text(job.name)
            html.raw("/run\"><button type=\"submit\">Run now</button></form>")
            pauseForm(&html, job.name, paused: pause != nil)
        }
        html.raw("</section>")
    }

    /// The last slot claimed, by which holder and generation, and the misfires so far.
    private static func slotLines(_ html: inout HTML, _ schedule: ScheduleState, _ zone: Zone) {
        if let slot = schedule.lastSlot {
            html.raw("<dt>Last slot</dt><dd>")
            html.date(slot, in: zone)
            html.raw(" — ")
            html.text(schedule.lastOutcome?.rawValue ?? "unknown")
            html.raw(", generation ")
            html.number(schedule.lastGeneration ?? 0)
            html.raw(" (")
            html.text(schedule.lastHolder ?? "")
            html.raw(")</dd>")
        }
        html.raw("<dt>Misfires</dt><dd>")
        html.number(schedule.misfires)
        html.raw("</dd>")
    }

    /// Durations of the recent runs as bars, oldest on the left; failures in red.
    private static func chart(_ html: inout HTML, _ runs: [JobRun]) {
        let shown = Array(runs.prefix(40).reversed())
        let longest = max(shown.map(\.durationMicroseconds).max() ?? 1, 1)
        let width = 8, gap = 2, height = 60
        html.raw("<svg role=\"img\" width=\"")
        html.number(shown.count * (width + gap))
        html.raw("\" height=\"")
        html.number(height)
        html.raw("\" viewBox=\"0 0 ")
        html.number(shown.count * (width + gap))
        html.raw(" 60\"><title>Durations of the last runs (longest ")
        html.text(JobRunner.milliseconds(longest))
        html.raw(" ms)</title>")
        for (index, run) in shown.enumerated() {
            let bar = max(1, Int(run.durationMicroseconds * Int64(height) / longest))
            html.raw("<rect x=\"")
            html.number(index * (width + gap))
            html.raw("\" y=\"")
            html.number(height - bar)
            html.raw("\" width=\"8\" height=\"")
            html.number(bar)
            html.raw(run.error == nil ? "\" fill=\"#2456d3\"/>" : "\" fill=\"#b00020\"/>")
        }
        html.raw("</svg>")
    }

    private static func table(_ html: inout HTML, _ runs: [JobRun], _ zone: Zone) {
        guard !runs.isEmpty else {
            html.raw("<p class=\"muted\">No runs recorded yet.</p>")
            return
        }
        html.raw("<table class=\"runs\"><thead><tr><th>Started</th><th>Run</th><th>Duration</th><th>Tasks</th><th>Error</th></tr></thead><tbody>")
        for run in runs.prefix(10) {
            html.raw("<tr><td>")
            html.date(run.startedAt, in: zone)
            html.raw("</td><td>")
            html.text(run.kind.rawValue)
            html.raw(" · ")
            html.text(run.outcome.rawValue)
            html.raw(" · gen ")
            html.number(run.generation)
            html.raw("</td><td>")
            html.text(JobRunner.milliseconds(run.durationMicroseconds))
            html.raw(" ms</td><td>")
            html.number(run.affected)
            html.raw("</td><td class=\"title\">")
            if let error = run.error { html.text(error) }
            html.raw("</td></tr>")
        }
        html.raw("</tbody></table>")
    }
}
