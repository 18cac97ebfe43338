/// A standard 5-field cron expression (minute hour day-of-month month day-of-week) or a macro.
///
/// Fields are separated by spaces or tabs; each is a comma list of `*`, `n`, `a-b`, each optionally
/// with `/step` (`*/15`, `10-50/5`, and `5/15` for 5 to the field's end every 15). Months and days
/// of week may be written as three-letter names in any case (`jan`, `Mon-Fri`); day of week 0 and 7
/// are both Sunday. Macros: `@hourly`, `@daily` (`@midnight`), `@weekly` (Sunday 00:00), `@monthly`,
/// `@yearly` (`@annually`).
///
/// Day of month and day of week follow Vixie cron: when both fields are restricted (neither starts
/// with `*`) a day matches if EITHER matches (`0 0 1 * mon` runs on the 1st and on every Monday);
/// otherwise both must match, so a field starting with `*`, even `*/2`, narrows the other one.
public struct CronExpression: Equatable, Sendable, CustomStringConvertible {
    /// The expression as written in the config (trimmed), shown on /jobs and in the log.
    public let text: String
    let minutes: CronField
    let hours: CronField
    let daysOfMonth: CronField
    let months: CronField
    let daysOfWeek: CronField

    /// Parses `text`; throws a `CronError` with a message a person can act on.
    public init(parsing text: String) throws(CronError) {
        let trimmed = text.trimmed()
        let fields = try Self.fieldTexts(trimmed)
        self.text = trimmed
        minutes = try CronField(parsing: fields[0], as: .minute)
        hours = try CronField(parsing: fields[1], as: .hour)
        daysOfMonth = try CronField(parsing: fields[2], as: .dayOfMonth)
        months = try CronField(parsing: fields[3], as: .month)
        daysOfWeek = try CronField(parsing: fields[4], as: .dayOfWeek)
        // A job on 30 February would silently never run: refuse it like a field out of range.
        if let reason = neverMatchesReason() { throw CronError(reason) }
    }

    /// The expression as written.
    public var description: String { text }

    private static let expected = "expected 5 fields (minute hour day-of-month month day-of-week) or a macro like @daily"

    private static let macros: [String: String] = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]

    /// The five field texts of trimmed `text`, a macro expanded.
    private static func fieldTexts(_ text: String) throws(CronError) -> [Substring] {
        guard !text.isEmpty else { throw CronError("the cron expression is empty; " + expected) }
        if text.hasPrefix("@") {
            guard let expansion = macros[text.lowercased()] else {
                throw CronError("unknown macro \"\(text)\"; use @hourly, @daily, @weekly, @monthly or @yearly")
            }
            return expansion.split(separator: " ")
        }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 5 else { throw CronError(expected + "; got \(fields.count)") }
        return fields
    }
}

/// Why a cron expression was refused; the config layer prefixes the key it came from.
public struct CronError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the field (`field 2 (hour): 25 is out of range 0–23`) where there is one.
    public let message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
