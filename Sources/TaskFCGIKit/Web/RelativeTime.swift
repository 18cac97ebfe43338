import Glibc

/// "due in 3 min", "completed 2 min ago": what a person reads at a glance, next to the absolute
/// time. `live.js` refreshes these texts with the same rules (keep `span` in step with its `span`).
enum RelativeTime {
    /// What the instant is: a due time, or when the job completed the task.
    enum Kind { case due, done }

    /// The text for `instant` seen at `now`.
    static func text(_ kind: Kind, _ instant: Instant, now: Instant) -> String {
        let distance = instant.milliseconds - now.milliseconds
        let near = abs(distance) < 1000
        switch kind {
        case .due:
            if near { return "due now" }
            return distance > 0 ? "due in " + span(distance) : "due " + span(distance) + " ago"
        case .done:
            return near ? "completed just now" : "completed " + span(distance) + " ago"
        }
    }

    /// Whole seconds under a minute, minutes under an hour, hours under two days, then days.
    static func span(_ milliseconds: Int64) -> String {
        let seconds = abs(milliseconds) / 1000
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86_400) days"
    }
}

extension HTML {
    /// `<time datetime="2026-11-30T13:13:05Z">Mon 30 Nov 2026, 13:13:05 UTC</time>`: the absolute
    /// time in the app's zone for people, the instant in UTC for machines (and `live.js`).
    mutating func time(_ instant: Instant, in zone: Zone) {
        raw("<time datetime=\"")
        machineTime(instant)
        raw("\">")
        date(instant, in: zone)
        raw("</time>")
    }

    /// ` <small class="due">due in 3 min</small>` (or `class="done"`), after a `time`.
    mutating func relative(_ kind: RelativeTime.Kind, _ instant: Instant, now: Instant) {
        raw(kind == .due ? " <small class=\"due\">" : " <small class=\"done\">")
        text(RelativeTime.text(kind, instant, now: now))
        raw("</small>")
    }

    /// `2026-11-30T13:13:05Z`, with `.123` when the milliseconds are not zero; formatted on the
    /// stack (a list page writes a hundred).
    private mutating func machineTime(_ instant: Instant) {
        var seconds = time_t(instant.milliseconds.floorDiv(1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (1...9999).contains(year) else { // not a four-digit year: the rare slow way
            text(UTCText.iso8601(instant))
            return
        }
        let milliseconds = Int(instant.milliseconds.floorMod(1000))
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var at = 0
            func put(_ value: Int, _ width: Int, _ separator: UInt8) { UTCText.digits(value, width, then: separator, into: buffer, at: &at) }
            put(year, 4, UInt8(ascii: "-"))
            put(Int(parts.tm_mon) + 1, 2, UInt8(ascii: "-"))
            put(Int(parts.tm_mday), 2, UInt8(ascii: "T"))
            put(Int(parts.tm_hour), 2, UInt8(ascii: ":"))
            put(Int(parts.tm_min), 2, UInt8(ascii: ":"))
            if milliseconds == 0 {
                put(Int(parts.tm_sec), 2, UInt8(ascii: "Z"))
            } else {
                put(Int(parts.tm_sec), 2, UInt8(ascii: "."))
                put(milliseconds, 3, UInt8(ascii: "Z"))
            }
            append(UnsafeBufferPointer(rebasing: buffer[..<at]))
        }
    }
}
