/// Instants as people read them in the app's zone: `Tue 24 Nov 2026, 21:30 CET`.
public enum DateText {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Day, date, time to the minute (seconds when not zero) and zone abbreviation.
    public static func display(_ instant: Instant, in zone: Zone) -> String {
        let civil = zone.civilTime(at: instant)
        var text = weekdays[civil.weekday] + " " + String(civil.day) + " " + months[civil.month - 1] + " "
            + String(civil.year) + ", " + UTCText.pad(civil.hour, 2) + ":" + UTCText.pad(civil.minute, 2)
        if civil.second != 0 { text += ":" + UTCText.pad(civil.second, 2) }
        return text + " " + zone.abbreviation(at: instant)
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
