/// The dashboard's pause block, its Pause/Resume forms and the coming slots of each job.
extension JobsPages {
    /// "Paused since … by … (reason), until …" in the job's definition list.
    static func pauseLines(_ html: inout HTML, _ pause: JobPause?, skipped: Int, _ zone: Zone) {
        html.raw("<dt>Paused</dt><dd>")
        guard let pause else {
            html.raw("no")
            if skipped > 0 {
                html.raw(" <span class=\"muted\">(")
                html.number(skipped)
                html.raw(" slots skipped while paused before)</span>")
            }
            html.raw("</dd>")
            return
        }
        html.raw("<strong>paused</strong> since ")
        html.date(pause.since, in: zone)
        html.raw(" by ")
        html.text(pause.by)
        if let reason = pause.reason {
            html.raw(": “")
            html.text(reason)
            html.raw("”")
        }
        html.raw(pause.until == nil ? "; until resumed" : "; until ")
        if let until = pause.until { html.date(until, in: zone) }
        html.raw(". Slots that pass meanwhile are skipped (")
        html.number(skipped)
        html.raw(" so far).</dd>")
    }

    /// The next slots, in the zone and in UTC.
    static func slotLines(_ html: inout HTML, _ slots: [Instant], _ zone: Zone) {
        guard !slots.isEmpty else { return }
        html.raw("<dt>Next slots</dt><dd><ol class=\"slots\">")
        for slot in slots {
            html.raw("<li>")
            html.date(slot, in: zone)
            html.raw(" <span class=\"muted\">(")
            html.text(slot.description)
            html.raw(")</span></li>")
        }
        html.raw("</ol></dd>")
    }

    /// Resume for a paused job; else Pause with an optional reason and end time.
    static func pauseForm(_ html: inout HTML, _ name: String, paused: Bool) {
        html.raw("<form method=\"post\" action=\"/jobs/")
        html.text(name)
        if paused {
            html.raw("/resume\"><button type=\"submit\">Resume</button></form>")
            return
        }
        html.raw("/pause\" class=\"pause\"><label for=\"reason-")
        html.text(name)
        html.raw("\">Reason (optional)</label><input type=\"text\" name=\"reason\" maxlength=\"500\" id=\"reason-")
        html.text(name)
        html.raw("\"><label for=\"until-")
        html.text(name)
        html.raw("\">Until (optional)</label><input type=\"datetime-local\" name=\"until\" id=\"until-")
        html.text(name)
        html.raw("\"><button type=\"submit\">Pause</button></form>")
    }

    /// Said at the top after "Run now" ran a paused job.
    static func ranWhilePausedNotice(_ html: inout HTML, _ name: String) {
        html.raw("<p class=\"card\" role=\"status\">")
        html.text(name)
        html.raw(" is paused: “Run now” runs it once, and it stays paused.</p>")
    }
}
