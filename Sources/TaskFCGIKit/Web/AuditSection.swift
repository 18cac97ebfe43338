/// The audit trail on `/jobs`: who did what to which job, and refused sign-ins. Every value is
/// escaped: a refused sign-in's user name is whatever a stranger typed.
enum AuditSection {
    static func write(_ html: inout HTML, _ entries: [AuditEntry], zone: Zone) {
        html.raw("<section class=\"card\" id=\"audit\"><h2>Audit</h2>")
        guard !entries.isEmpty else {
            html.raw("<p class=\"muted\">No operator actions recorded yet.</p></section>")
            return
        }
        html.raw("<table class=\"runs\"><thead><tr><th>When</th><th>User</th><th>From</th><th>Action</th><th>Job</th><th>Outcome</th></tr></thead><tbody>")
        for entry in entries {
            html.raw("<tr><td>")
            html.date(entry.at, in: zone)
            for cell in [entry.user, entry.peer, entry.action, entry.job ?? "", entry.outcome] {
                html.raw("</td><td>")
                html.text(cell)
            }
            html.raw("</td></tr>")
        }
        html.raw("</tbody></table></section>")
    }
}
