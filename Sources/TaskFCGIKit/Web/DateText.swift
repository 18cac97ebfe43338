/// Instants as people read them in the app's zone: `Tue 24 Nov 2026, 21:30 CET`.
public enum DateText {
    private static let weekdays: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Day, date, time to the minute (seconds when not zero) and zone abbreviation.
    public static func display(_ instant: Instant, in zone: Zone) -> String {
        var html = HTML(capacity: 32)
        html.date(instant, in: zone)
        return String(decoding: html.bytes, as: UTF8.self)
    }

    /// Writes `display` straight into a page: list pages show a hundred dates, so no strings in between.
    static func write(_ instant: Instant, in zone: Zone, to html: inout HTML) {
        let civil = zone.civilTime(at: instant)
        html.raw(weekdays[civil.weekday])
        html.raw(" ")
        html.number(civil.day)
        html.raw(" ")
        html.raw(months[civil.month - 1])
        html.raw(" ")
        html.number(civil.year)
        html.raw(", ")
        html.digits(civil.hour, 2)
        html.raw(":")
        html.digits(civil.minute, 2)
        if civil.second != 0 {
            html.raw(":")
            html.digits(civil.second, 2)
        }
        html.raw(" ")
        html.text(zone.abbreviation(at: instant))
    }

    /// A rough distance such as `3 s`, `5 min`, `2 h`, `4 days`.
    public static func span(_ interval: Interval) -> String {
        let seconds = abs(interval.milliseconds) / 1000
        if seconds < 1 { return "\(abs(interval.milliseconds)) ms" }
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86_400) days"
    }
}

extension HTML {
    /// An instant as `DateText.display` shows it.
    public mutating func date(_ instant: Instant, in zone: Zone) {
        DateText.write(instant, in: zone, to: &self)
    }
}
