/// Reads and writes due dates as `<input type="datetime-local">` sends them, in the app's zone.
public enum DueDate {
    /// Why a due date was refused; `message` is shown beside the form field.
    public enum Problem: Error, Equatable, Sendable {
        case missing
        case malformed
        case impossibleDate
        case skipped(zone: String)

        public var message: String {
            switch self {
            case .missing: return "Enter a due date and time."
            case .malformed: return "Enter the due date as YYYY-MM-DDTHH:MM, e.g. 2026-11-24T21:30."
            case .impossibleDate: return "That date does not exist in the calendar."
            case .skipped(let zone):
                return "That time does not exist in \(zone): the clocks skip it when daylight saving time starts. Choose a later time."
            }
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (or with a fraction of a second, dropped)
    /// as a wall-clock time in `zone`. A time that happens twice (clocks go back) means its earlier
    /// instant, unless `current` (the task's due instant, when editing) is the later one: the
    /// edit form shows that instant as the same wall-clock text, and saving it unchanged must not
    /// move the task an hour earlier. A time that never happens (clocks go forward) is refused.
    public static func parse(_ text: String, in zone: Zone, keeping current: Instant? = nil) -> Result<Instant, Problem> {
        let trimmed = text.trimmed()
        if trimmed.isEmpty { return .failure(.missing) }
        guard let civil = civilTime(trimmed) else { return .failure(.malformed) }
        guard civil.isValid else { return .failure(.impossibleDate) }
        switch zone.resolve(civil) {
        case .ambiguous(_, let later) where later == current: return .success(later)
        case .unique(let instant), .ambiguous(let instant, _): return .success(instant)
        case .skipped: return .failure(.skipped(zone: zone.identifier))
        }
    }

    /// The instant as a `datetime-local` value in `zone`, seconds included only when not zero.
    public static func inputValue(_ instant: Instant, in zone: Zone) -> String {
        let civil = zone.civilTime(at: instant)
        var text = UTCText.pad(civil.year, 4) + "-" + UTCText.pad(civil.month, 2) + "-" + UTCText.pad(civil.day, 2)
            + "T" + UTCText.pad(civil.hour, 2) + ":" + UTCText.pad(civil.minute, 2)
        if civil.second != 0 { text += ":" + UTCText.pad(civil.second, 2) }
        return text
    }

    /// Whether `text` is exactly a value a `datetime-local` field can hold (a real date and time):
    /// anything else is not echoed into the field, where HTML forbids it and browsers drop it.
    public static func isInputValue(_ text: String) -> Bool {
        civilTime(text)?.isValid ?? false
    }

    private static func civilTime(_ text: String) -> CivilTime? {
        var text = text
        return text.withUTF8(civilTime)
    }

    /// The fields of `YYYY-MM-DDTHH:MM[:SS[.fraction]]`, read from the text's bytes in place.
    private static func civilTime(_ bytes: UnsafeBufferPointer<UInt8>) -> CivilTime? {
        // Fixed positions: 0123-56-89T12:45[:78[.fraction]]
        guard bytes.count == 16 || bytes.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        func at(_ index: Int, _ ascii: UInt8) -> Bool { bytes[index] == ascii }
        guard at(4, UInt8(ascii: "-")), at(7, UInt8(ascii: "-")), at(10, UInt8(ascii: "T")) || at(10, UInt8(ascii: " ")),
              at(13, UInt8(ascii: ":")),
              let year = number(0..<4), year >= 1, let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16) else { return nil }
        var second = 0
        if bytes.count >= 19 {
            guard at(16, UInt8(ascii: ":")), let value = number(17..<19) else { return nil }
            second = value
            if bytes.count > 19 {
                // Browsers may send milliseconds for a step below one second; they are dropped.
                guard at(19, UInt8(ascii: ".")), bytes.count > 20, bytes.count <= 23, number(20..<bytes.count) != nil else { return nil }
            }
        }
        return CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }
}
