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
    /// formatted on the stack and appended in one go. `element`: inside `<time datetime="…">`,
    /// the same wall-clock time with its offset (`2026-11-24T21:30:00+01:00`, `Z` for UTC), from
    /// the one zone lookup.
    static func write(_ instant: Instant, in zone: Zone, to html: inout HTML, element: Bool = false) {
        let (civil, offset, abbreviation) = zone.localWithOffset(at: instant)
        // HTML's date strings have four-digit years or more; the rare other year is shown bare.
        let element = element && civil.year >= 1 && civil.year <= 9999
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer in
            var text = StackText(buffer: buffer)
            if element { text.machine(civil, offset: offset) }
            text.put(weekdays[civil.weekday]); text.put(" ")
            text.put(civil.day, width: 1); text.put(" ")
            text.put(months[civil.month - 1]); text.put(" ")
            text.put(civil.year, width: 1); text.put(", ")
            text.put(civil.hour, width: 2); text.put(":")
            text.put(civil.minute, width: 2)
            if civil.second != 0 { text.put(":"); text.put(civil.second, width: 2) }
            text.put(" ")
            // Zone names are short letters, digits and signs: copied as they are when they are,
            // so a date is one append; anything else goes through the escaper.
            let plain = text.putPlain(abbreviation)
            if plain, element { text.put("</time>") }
            html.append(UnsafeBufferPointer(rebasing: buffer[..<text.count]))
            if !plain {
                html.text(abbreviation)
                if element { html.raw("</time>") }
            }
        }
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

/// ASCII written into a fixed stack buffer (large enough for any date line), appended to a page
/// in one go.
struct StackText {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    /// `<time datetime="2026-11-24T21:30:05+01:00">`: a valid global date and time string.
    mutating func machine(_ civil: CivilTime, offset: Int) {
        put("<time datetime=\"")
        two(civil.year / 100); two(civil.year % 100)
        byte("-"); two(civil.month)
        byte("-"); two(civil.day)
        byte("T"); two(civil.hour)
        byte(":"); two(civil.minute)
        byte(":"); two(civil.second)
        if offset == 0 {
            put("Z\">")
        } else {
            byte(offset < 0 ? "-" : "+"); two(abs(offset) / 3600)
            byte(":"); two(abs(offset) / 60 % 60); put("\">")
        }
    }

    /// `text` when it is at most 16 letters, digits, `+`, `-` or `:` (nothing to escape); false,
    /// writing nothing, otherwise.
    mutating func putPlain(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { source in
            guard source.count <= 16, count + source.count + 8 <= buffer.count else { return false }
            for unit in source {
                let letter = (unit | 0x20) >= UInt8(ascii: "a") && (unit | 0x20) <= UInt8(ascii: "z")
                let sign = unit == UInt8(ascii: "+") || unit == UInt8(ascii: "-") || unit == UInt8(ascii: ":")
                guard letter || sign || (unit >= UInt8(ascii: "0") && unit <= UInt8(ascii: "9")) else { return false }
            }
            UnsafeMutableRawPointer(buffer.baseAddress! + count).copyMemory(from: source.baseAddress!, byteCount: source.count)
            count += source.count
            return true
        } ?? false
    }

    /// Two digits of `value` (0…99).
    @inline(__always)
    private mutating func two(_ value: Int) {
        buffer[count] = UInt8(truncatingIfNeeded: value / 10) &+ UInt8(ascii: "0")
        buffer[count + 1] = UInt8(truncatingIfNeeded: value % 10) &+ UInt8(ascii: "0")
        count += 2
    }

    @inline(__always)
    private mutating func byte(_ ascii: Unicode.Scalar) {
        buffer[count] = UInt8(ascii: ascii)
        count += 1
    }

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
