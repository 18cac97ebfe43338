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

    /// Writes `display` straight into a page: list pages show a hundred dates, so the text is
    /// formatted on the stack and appended in one go.
    static func write(_ instant: Instant, in zone: Zone, to html: inout HTML) {
        let (civil, abbreviation) = zone.local(at: instant)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            var text = StackText(buffer: buffer)
            text.put(weekdays[civil.weekday]); text.put(" ")
            text.put(civil.day, width: 1); text.put(" ")
            text.put(months[civil.month - 1]); text.put(" ")
            text.put(civil.year, width: 1); text.put(", ")
            text.put(civil.hour, width: 2); text.put(":")
            text.put(civil.minute, width: 2)
            if civil.second != 0 { text.put(":"); text.put(civil.second, width: 2) }
            text.put(" ")
            html.append(UnsafeBufferPointer(rebasing: buffer[..<text.count]))
        }
        html.text(abbreviation)
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

/// ASCII written into a fixed stack buffer (large enough for any date line).
private struct StackText {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    mutating func put(_ text: StaticString) {
        UnsafeMutableRawPointer(buffer.baseAddress! + count).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    /// A whole number, zero-padded to `width` digits (years before 1 get a minus sign).
    mutating func put(_ value: Int, width: Int) {
        if value < 0 { put("-"); put(-value, width: width); return }
        if value < 100, width <= 2 { // day, hour, minute, second: no loops
            if value >= 10 || width == 2 { buffer[count] = UInt8(value / 10) + UInt8(ascii: "0"); count += 1 }
            buffer[count] = UInt8(value % 10) + UInt8(ascii: "0"); count += 1
            return
        }
        var digits = 1, rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        let length = max(width, digits)
        var remaining = value
        for index in stride(from: count + length - 1, through: count, by: -1) {
            buffer[index] = UInt8(remaining % 10) + UInt8(ascii: "0")
            remaining /= 10
        }
        count += length
    }
}
