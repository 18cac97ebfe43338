/// "due in 3 min", "completed 2 min ago": what a person reads at a glance, next to the absolute
/// time. `live.js` refreshes these texts with the same rules (keep `span` in step with its `span`),
/// telling the two kinds apart by their first word.
enum RelativeTime {
    /// What the instant is: a due time, or when the job completed the task.
    enum Kind { case due, done }

    /// The text for `instant` seen at `now` (what `HTML.relative` writes).
    static func text(_ kind: Kind, _ instant: Instant, now: Instant) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            var out = StackText(buffer: buffer)
            out.relative(kind, instant.milliseconds - now.milliseconds)
            return String(decoding: buffer[..<out.count], as: UTF8.self)
        }
    }
}

// A list page writes fifty of each: every piece is built on the stack and appended in one go.
extension HTML {
    /// `<time datetime="2026-11-30T14:13:05+01:00">Mon 30 Nov 2026, 14:13:05 CET</time>`: the
    /// absolute time in the app's zone, for people and (with its offset) for machines.
    mutating func time(_ instant: Instant, in zone: Zone) {
        DateText.write(instant, in: zone, to: &self, element: true)
    }

    /// ` <small>due in 3 min</small>`, after a `time`.
    mutating func relative(_ kind: RelativeTime.Kind, _ instant: Instant, now: Instant) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            var out = StackText(buffer: buffer)
            out.put(" <small>")
            out.relative(kind, instant.milliseconds - now.milliseconds)
            out.put("</small>")
            append(UnsafeBufferPointer(rebasing: buffer[..<out.count]))
        }
    }
}

extension StackText {
    /// The words for an instant `distance` milliseconds from now (negative: in the past).
    mutating func relative(_ kind: RelativeTime.Kind, _ distance: Int64) {
        if abs(distance) < 1000 {
            put(kind == .due ? "due now" : "completed just now")
            return
        }
        let ahead = kind == .due && distance > 0
        put(kind == .done ? "completed " : ahead ? "due in " : "due ")
        span(distance)
        if !ahead { put(" ago") }
    }

    /// Whole seconds under a minute, minutes under an hour, hours under two days, then days.
    private mutating func span(_ milliseconds: Int64) {
        let seconds = Int(abs(milliseconds) / 1000)
        switch seconds {
        case ..<60: put(seconds, width: 1); put(" s")
        case ..<3600: put(seconds / 60, width: 1); put(" min")
        case ..<172_800: put(seconds / 3600, width: 1); put(" h")
        default: put(seconds / 86_400, width: 1); put(" days")
        }
    }
}
