/// Instants as people read them in the app's zone: `Tue 24 Nov 2026, 21:30 CET`.
public enum DateText {
    // Three letters each, indexed by weekday (0 = Sunday) and month - 1: no array per lookup.
    private static let weekdayNames: StaticString = "SunMonTueWedThuFriSat"
    private static let monthNames: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"

    /// Day, date, time to the minute (seconds when not zero) and zone abbreviation.
    public static func display(_ instant: Instant, in zone: Zone) -> String {
        var html = HTML(capacity: 32)
        html.date(instant, in: zone)
        return String(decoding: html.bytes, as: UTF8.self)
    }

    /// Writes `display` straight into a page: list pages show a hundred dates, so the text, the
    /// zone's abbreviation included when it has nothing to escape, is formatted on the stack and
    /// appended in one go. `element`: inside `<time datetime="…">`, the same wall-clock time with
    /// its offset (`2026-11-24T21:30:00+01:00`, `Z` for UTC), from the one zone lookup.
    static func write(_ instant: Instant, in zone: Zone, to html: inout HTML, element: Bool = false) {
        let (civil, offset, abbreviation) = zone.localWithOffset(at: instant)
        // HTML's date strings have four-digit years or more; the rare other year is shown bare.
        let element = element && civil.year >= 1 && civil.year <= 9999
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer in
            var text = StackText(buffer: buffer)
            if element { text.machine(civil, offset: offset) }
            text.putName(weekdayNames, civil.weekday); text.put(" ")
            text.put(civil.day, width: 1); text.put(" ")
            text.putName(monthNames, civil.month - 1); text.put(" ")
            text.put(civil.year, width: 1); text.put(", ")
            text.putTwoDigits(civil.hour); text.put(":")
            text.putTwoDigits(civil.minute)
            if civil.second != 0 { text.put(":"); text.putTwoDigits(civil.second) }
            text.put(" ")
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
        putTwoDigits(civil.year / 100); putTwoDigits(civil.year % 100)
        byte("-"); putTwoDigits(civil.month)
        byte("-"); putTwoDigits(civil.day)
        byte("T"); putTwoDigits(civil.hour)
        byte(":"); putTwoDigits(civil.minute)
        byte(":"); putTwoDigits(civil.second)
        if offset == 0 {
            put("Z\">")
        } else {
            byte(offset < 0 ? "-" : "+"); putTwoDigits(abs(offset) / 3600)
            byte(":"); putTwoDigits(abs(offset) / 60 % 60); put("\">")
        }
    }

    @inline(__always)
    private mutating func byte(_ ascii: Unicode.Scalar) {
        buffer[count] = UInt8(ascii: ascii)
        count += 1
    }

    mutating func put(_ text: StaticString) {
        copyBytes(from: text.utf8Start, to: buffer.baseAddress! + count, text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    /// The three letters at `index` of `names`.
    mutating func putName(_ names: StaticString, _ index: Int) {
        let source = names.utf8Start + 3 * index, target = buffer.baseAddress! + count
        target[0] = source[0]
        target[1] = source[1]
        target[2] = source[2]
        count += 3
    }

    /// `value` as it is, if it fits (leaving room for a closing `</time>`) and has nothing HTML
    /// would escape; false (and nothing written) otherwise.
    mutating func putPlain(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            guard let source = bytes.baseAddress else { return true }
            guard bytes.count + 8 <= buffer.count - count, !bytes.contains(where: HTML.isSpecial) else { return false }
            copyBytes(from: source, to: buffer.baseAddress! + count, bytes.count)
            count += bytes.count
            return true
        }
    }

    /// 0…99 as two digits (hours, minutes, seconds).
    mutating func putTwoDigits(_ value: Int) {
        let base = buffer.baseAddress! + count
        base[0] = UInt8(truncatingIfNeeded: value / 10) &+ UInt8(ascii: "0")
        base[1] = UInt8(truncatingIfNeeded: value % 10) &+ UInt8(ascii: "0")
        count += 2
    }

    /// A whole number, zero-padded to `width` digits (years before 1 get a minus sign).
    mutating func put(_ value: Int, width: Int) {
        if value < 0 { put("-"); put(-value, width: width); return }
        if value < 10, width <= 1 {
            buffer.baseAddress![count] = UInt8(truncatingIfNeeded: value) &+ UInt8(ascii: "0")
            count += 1
            return
        }
        if value < 100, width <= 2 { putTwoDigits(value); return }
        var digits = 1, rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        let length = max(width, digits)
        var remaining = value
        var index = count + length
        while index > count {
            index -= 1
            buffer.baseAddress![index] = UInt8(truncatingIfNeeded: remaining % 10) &+ UInt8(ascii: "0")
            remaining /= 10
        }
        count += length
    }
}
