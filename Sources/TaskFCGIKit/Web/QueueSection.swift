/// The queue on `/jobs`: counts by state, the next waiting jobs, recent failures with their error
/// and next attempt, discarded ones with "Retry" and "Discard", and disabled webhook endpoints.
/// Every value is escaped; a job's arguments are never shown (a hook's URL may carry its token).
enum QueueSection {
    static func write(_ html: inout HTML, _ view: QueueActions.View, zone: Zone) {
        html.raw("<section class=\"card\" id=\"queue\"><h2>Queue</h2><p>")
        html.text(QueueState.allCases.map { "\($0.rawValue) \(view.counts[$0])" }.joined(separator: " · "))
        html.raw("</p>")
        if !view.disabledEndpoints.isEmpty {
            html.raw("<p>Disabled endpoints (a retried delivery enables its endpoint again):</p><ul>")
            for endpoint in view.disabledEndpoints {
                html.raw("<li>")
                html.text("\(WebhookDelivery.shown(endpoint.url)) — \(endpoint.reason), since ")
                html.date(endpoint.at, in: zone)
                html.raw("</li>")
            }
            html.raw("</ul>")
        }
        table(&html, "Next up", view.upcoming, zone: zone, actions: false)
        table(&html, "Recent failures", view.failures, zone: zone, actions: true)
        html.raw("</section>")
    }

    private static func table(_ html: inout HTML, _ title: String, _ jobs: [QueuedJob], zone: Zone, actions: Bool) {
        html.raw("<h3>")
        html.text(title)
        html.raw("</h3>")
        guard !jobs.isEmpty else {
            html.raw("<p class=\"muted\">None.</p>")
            return
        }
        html.raw("<table class=\"runs\"><thead><tr><th>Job</th><th>What</th><th>State</th><th>Attempt</th><th>Runs at</th><th>Last error</th>")
        if actions { html.raw("<th>Actions</th>") }
        html.raw("</tr></thead><tbody>")
        for job in jobs {
            html.raw("<tr><td>")
            html.text("\(job.id)")
            for cell in [QueueActions.summary(job), job.state.rawValue, "\(job.attempt) of \(job.maxAttempts)"] {
                html.raw("</td><td>")
                html.text(cell)
            }
            html.raw("</td><td>")
            if job.state == .discarded { html.text("—") } else { html.date(job.runAt, in: zone) }
            html.raw("</td><td>")
            html.text(job.lastError ?? "")
            html.raw("</td>")
            if actions {
                html.raw("<td>")
                for (action, label) in [("retry", "Retry"), ("discard", "Discard")] {
                    html.raw("<form method=\"post\" action=\"")
                    html.text("/jobs/queue/\(job.id)/\(action)")
                    html.raw("\"><button type=\"submit\">")
                    html.text(label)
                    html.raw("</button></form>")
                }
                html.raw("</td>")
            }
            html.raw("</tr>")
        }
        html.raw("</tbody></table>")
    }
}
