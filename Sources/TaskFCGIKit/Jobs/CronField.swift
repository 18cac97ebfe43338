/// One of the five fields of a cron expression: the values it allows, as a bit set.
struct CronField: Equatable, Sendable {
    /// Bit `n` is set when the value `n` matches.
    let values: UInt64
    /// The field's text starts with `*` (`*`, `*/15`): Vixie cron's day rule looks at this.
    let isStar: Bool

    /// True when `value` matches.
    func contains(_ value: Int) -> Bool {
        (0..<64).contains(value) && values >> UInt64(value) & 1 == 1
    }

    /// The smallest matching value at or after `value`, or nil when there is none.
    func next(atOrAfter value: Int) -> Int? {
        let from = max(value, 0)
        guard from < 64 else { return nil }
        let rest = values >> UInt64(from)
        return rest == 0 ? nil : from + rest.trailingZeroBitCount
    }
}

/// What one field position accepts, and how its errors name it.
struct CronFieldKind: Sendable {
    /// The field's position, 1 to 5, as errors count it.
    let number: Int
    /// The field's name in errors, e.g. `day of month`.
    let name: String
    /// The values a person may write (day of week allows 7 for Sunday).
    let range: ClosedRange<Int>
    /// Three-letter names for the values from `range.lowerBound` on; empty where names are not allowed.
    let names: [String]
    /// How errors describe a name, e.g. `month name (jan–dec)`.
    let nameHint: String?

    /// Field 1, 0–59.
    static let minute = CronFieldKind(number: 1, name: "minute", range: 0...59, names: [], nameHint: nil)
    /// Field 2, 0–23.
    static let hour = CronFieldKind(number: 2, name: "hour", range: 0...23, names: [], nameHint: nil)
    /// Field 3, 1–31.
    static let dayOfMonth = CronFieldKind(number: 3, name: "day of month", range: 1...31, names: [], nameHint: nil)
    /// Field 4, 1–12 or jan–dec.
    static let month = CronFieldKind(
        number: 4, name: "month", range: 1...12,
        names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        nameHint: "month name (jan–dec)")
    /// Field 5, 0–7 (0 and 7 are Sunday) or sun–sat.
    static let dayOfWeek = CronFieldKind(
        number: 5, name: "day of week", range: 0...7,
        names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], nameHint: "day name (sun–sat)")

    /// An error about this field, prefixed with its number and name.
    func error(_ problem: String) -> CronError {
        CronError("field \(number) (\(name)): \(problem)")
    }

    /// The range as errors show it, with an en dash: `0–23`.
    var rangeText: String { "\(range.lowerBound)–\(range.upperBound)" }
}

extension CronField {
    /// Parses one field's text, a comma list of items such as `*/15`, `1-5`, `mon-fri` or `7`.
    init(parsing text: Substring, as kind: CronFieldKind) throws(CronError) {
        var values: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw kind.error("empty item in the list \"\(text)\"") }
            values |= try Self.parseItem(item, as: kind)
        }
        // Day of week 7 is Sunday as well as 0; keeping one bit lets matching use `weekday` as is.
        if kind.number == CronFieldKind.dayOfWeek.number, values & (1 << 7) != 0 {
            values = values & ~(1 << 7) | 1
        }
        self.init(values: values, isStar: text.hasPrefix("*"))
    }

    /// The values of one item: a base (`*`, `a`, `a-b`) with an optional `/step`.
    private static func parseItem(_ item: Substring, as kind: CronFieldKind) throws(CronError) -> UInt64 {
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let stepped = parts.count == 2
        let (low, high) = try bounds(parts[0], item: item, as: kind, stepped: stepped)
        let step = stepped ? try parseStep(parts[1], item: item, as: kind) : 1
        var bits: UInt64 = 0
        for value in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(value) }
        return bits
    }

    /// The values an item's base covers. With a step, a lone number runs to the field's end:
    /// crontab(5) reads `5/15` in the minute field as 5, 20, 35, 50.
    private static func bounds(_ base: Substring, item: Substring, as kind: CronFieldKind,
                               stepped: Bool) throws(CronError) -> (Int, Int) {
        if base == "*" { return (kind.range.lowerBound, kind.range.upperBound) }
        let ends = base.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let low = try parseValue(ends[0], item: item, as: kind)
        guard ends.count == 2 else { return (low, stepped ? kind.range.upperBound : low) }
        let high = try parseValue(ends[1], item: item, as: kind)
        guard low <= high else { throw kind.error("range \(base) is backwards") }
        return (low, high)
    }

    /// A step after `/`: at least 1 and no wider than the field, where it could only ever match the start.
    private static func parseStep(_ text: Substring, item: Substring, as kind: CronFieldKind) throws(CronError) -> Int {
        guard !text.isEmpty else { throw kind.error("\"\(item)\" is missing a step after \"/\"") }
        guard let step = decimal(text) else { throw kind.error("step \"\(text)\" is not a number") }
        guard step >= 1 else { throw kind.error("step \(text) must be at least 1") }
        guard step <= kind.range.upperBound - kind.range.lowerBound else {
            throw kind.error("step \(text) is too large for \(kind.rangeText)")
        }
        return step
    }

    /// A number in the field's range, or a name where the field has names (any case).
    private static func parseValue(_ text: Substring, item: Substring, as kind: CronFieldKind) throws(CronError) -> Int {
        guard !text.isEmpty else { throw kind.error("\"\(item)\" is missing a number") }
        if let index = kind.names.firstIndex(of: text.lowercased()) { return kind.range.lowerBound + index }
        guard let value = decimal(text) else {
            throw kind.error("\"\(text)\" is not a number" + (kind.nameHint.map { " or a \($0)" } ?? ""))
        }
        guard kind.range.contains(value) else { throw kind.error("\(text) is out of range \(kind.rangeText)") }
        return value
    }

    /// ASCII digits as a number; too many digits read as `Int.max`, so they are out of range, not junk.
    private static func decimal(_ text: Substring) -> Int? {
        guard text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return text.utf8.count > 18 ? Int.max : Int(text)
    }
}
