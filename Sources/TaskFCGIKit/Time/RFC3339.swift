/// RFC 3339 instants, as the JSON API takes them: `2026-12-01T09:00:00Z`, `…T10:00:00.250+01:00`.
/// An offset (or `Z`) is required, so no zone is ever guessed; the text names one instant.
public enum RFC3339 {
    /// The instant `text` names, or nil when it is not an RFC 3339 `date-time` or falls outside the
    /// years 0000–9999 in UTC (so every instant taken is written back in the same form). Fractions
    /// finer than a millisecond are dropped; a leap second (`:60`) is read as the second after `:59`.
    public static func parse(_ text: String) -> Instant? {
        let bytes = Array(text.utf8)
        func at(_ index: Int, _ character: Character) -> Bool { index < bytes.count && bytes[index] == character.asciiValue! }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, at(4, "-"), at(7, "-"), at(10, "T") || at(10, "t"), at(13, ":"), at(16, ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...CivilTime.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second <= 60 else { return nil }
        var index = 19
        var milliseconds = 0
        if at(index, ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            guard index > start else { return nil }
            for (position, byte) in bytes[start..<min(index, start + 3)].enumerated() {
                milliseconds += Int(byte - 48) * [100, 10, 1][position]
            }
        }
        guard let offsetMinutes = offset(bytes, from: index) else { return nil }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        let instant = Instant(milliseconds: seconds * 1000 + Int64(milliseconds))
        return range.contains(instant.milliseconds) ? instant : nil
    }

    /// 0000-01-01T00:00:00Z up to, not including, 10000-01-01T00:00:00Z, in Unix milliseconds.
    static let range: Range<Int64> = -62_167_219_200_000 ..< 253_402_300_800_000

    /// Minutes east of UTC from `Z` or `±HH:MM` ending the text at `index`.
    private static func offset(_ bytes: [UInt8], from index: Int) -> Int? {
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") { return index + 1 == bytes.count ? 0 : nil }
        guard bytes.count == index + 6, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
              bytes[index + 3] == UInt8(ascii: ":") else { return nil }
        let digits = [1, 2, 4, 5].map { bytes[index + $0] }
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let hours = Int(digits[0] - 48) * 10 + Int(digits[1] - 48), minutes = Int(digits[2] - 48) * 10 + Int(digits[3] - 48)
        guard hours < 24, minutes < 60 else { return nil }
        return (bytes[index] == UInt8(ascii: "-") ? -1 : 1) * (hours * 60 + minutes)
    }
}

extension RFC3339 {
    /// `instant` as the wall clock in `zone` reads it, with the offset: `2024-11-03T01:45:00-04:00`
    /// (whole seconds; `+00:00` in UTC). Two instants of a repeated hour differ by their offsets,
    /// which is why slot previews print this rather than a zone name.
    public static func format(_ instant: Instant, in zone: Zone) -> String {
        let (civil, offset, _) = zone.localWithOffset(at: instant)
        let pad = UTCText.pad
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        return "\(pad(civil.year, 4))-\(pad(civil.month, 2))-\(pad(civil.day, 2))T\(pad(civil.hour, 2)):\(pad(civil.minute, 2))"
            + ":\(pad(civil.second, 2))\(sign)\(pad(minutes / 60, 2)):\(pad(minutes % 60, 2))"
    }
}
