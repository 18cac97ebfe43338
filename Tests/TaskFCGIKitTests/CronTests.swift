import Testing
@testable import TaskFCGIKit

// Field forms, macros, the day rule, errors and the calendar, in UTC. The time zone cases are in
// CronZoneTests.swift (an extension of this suite, so `--filter CronTests` runs both).
@Suite struct CronTests {
    /// The next `count` slots of `text` after `start`, as `2027-03-28 03:00 CEST` in `zone`.
    func slots(_ text: String, after start: Instant, in zone: Zone = Self.utcZone, count: Int = 4) throws -> [String] {
        let cron = try CronExpression(parsing: text)
        var result: [String] = [], from = start
        for _ in 0..<count {
            guard let next = cron.nextSlot(after: from, in: zone) else { break }
            #expect(next.milliseconds % 60_000 == 0, "\(text): \(next) is not on a whole minute")
            result.append(Self.show(next, in: zone))
            from = next
        }
        return result
    }

    /// An instant as its wall-clock minute and zone name in `zone`.
    static func show(_ instant: Instant, in zone: Zone) -> String {
        let (civil, name) = zone.local(at: instant)
        return "\(civil.year)-\(UTCText.pad(civil.month, 2))-\(UTCText.pad(civil.day, 2)) "
            + "\(UTCText.pad(civil.hour, 2)):\(UTCText.pad(civil.minute, 2)) \(name)"
    }

    /// UTC, where most cases here are evaluated.
    static let utcZone = Zone(identifier: "UTC")!

    /// Monday 4 January 2027, midnight UTC: the start of most cases here.
    static let monday = utc(2027, 1, 4)

    // MARK: field forms

    @Test func numbers() throws {
        #expect(try slots("5 10 * * *", after: Self.monday, count: 2) == ["2027-01-04 10:05 UTC", "2027-01-05 10:05 UTC"])
        #expect(try slots("05 09 * * *", after: Self.monday, count: 1) == ["2027-01-04 09:05 UTC"])
    }

    @Test func lists() throws {
        #expect(try slots("0,30 9,17 * * *", after: Self.monday, count: 5) == [
            "2027-01-04 09:00 UTC", "2027-01-04 09:30 UTC", "2027-01-04 17:00 UTC", "2027-01-04 17:30 UTC",
            "2027-01-05 09:00 UTC",
        ])
    }

    @Test func ranges() throws {
        #expect(try slots("0 9-11 * * *", after: Self.monday) == [
            "2027-01-04 09:00 UTC", "2027-01-04 10:00 UTC", "2027-01-04 11:00 UTC", "2027-01-05 09:00 UTC",
        ])
    }

    @Test func everyNthMinute() throws {
        #expect(try slots("*/15 * * * *", after: utc(2027, 1, 4, 10, 7), count: 5) == [
            "2027-01-04 10:15 UTC", "2027-01-04 10:30 UTC", "2027-01-04 10:45 UTC", "2027-01-04 11:00 UTC",
            "2027-01-04 11:15 UTC",
        ])
    }

    @Test func rangeWithStep() throws {
        #expect(try slots("10-50/20 * * * *", after: utc(2027, 1, 4, 10, 0)) == [
            "2027-01-04 10:10 UTC", "2027-01-04 10:30 UTC", "2027-01-04 10:50 UTC", "2027-01-04 11:10 UTC",
        ])
    }

    @Test func numberWithStepRunsToTheFieldsEnd() throws {
        #expect(try slots("5/20 * * * *", after: utc(2027, 1, 4, 10, 0)) == [
            "2027-01-04 10:05 UTC", "2027-01-04 10:25 UTC", "2027-01-04 10:45 UTC", "2027-01-04 11:05 UTC",
        ])
        #expect(try slots("0 20/2 * * *", after: Self.monday, count: 3) == [
            "2027-01-04 20:00 UTC", "2027-01-04 22:00 UTC", "2027-01-05 20:00 UTC",
        ])
    }

    @Test func monthNamesInAnyCase() throws {
        #expect(try slots("0 0 1 jan,JUL *", after: Self.monday, count: 2) == ["2027-07-01 00:00 UTC", "2028-01-01 00:00 UTC"])
        #expect(try slots("0 0 1 Nov-dec *", after: Self.monday, count: 3)
            == ["2027-11-01 00:00 UTC", "2027-12-01 00:00 UTC", "2028-11-01 00:00 UTC"])
    }

    @Test func dayNamesInAnyCase() throws {
        // 8 January 2027 is a Friday.
        #expect(try slots("0 12 * * Mon-FRI", after: utc(2027, 1, 8)) == [
            "2027-01-08 12:00 UTC", "2027-01-11 12:00 UTC", "2027-01-12 12:00 UTC", "2027-01-13 12:00 UTC",
        ])
        #expect(try slots("0 12 * * sat,SUN", after: utc(2027, 1, 8), count: 3)
            == ["2027-01-09 12:00 UTC", "2027-01-10 12:00 UTC", "2027-01-16 12:00 UTC"])
    }

    @Test func sevenIsSunday() throws {
        let sundays = ["2027-01-10 00:00 UTC", "2027-01-17 00:00 UTC"]
        #expect(try slots("0 0 * * 7", after: Self.monday, count: 2) == sundays)
        #expect(try slots("0 0 * * 0", after: Self.monday, count: 2) == sundays)
        #expect(try slots("0 0 * * sun", after: Self.monday, count: 2) == sundays)
        #expect(try slots("0 0 * * 5-7", after: Self.monday) == [
            "2027-01-08 00:00 UTC", "2027-01-09 00:00 UTC", "2027-01-10 00:00 UTC", "2027-01-15 00:00 UTC",
        ])
        // 1/2 is 1, 3, 5 and 7: Monday, Wednesday, Friday and Sunday.
        #expect(try slots("0 0 * * 1/2", after: Self.monday) == [
            "2027-01-06 00:00 UTC", "2027-01-08 00:00 UTC", "2027-01-10 00:00 UTC", "2027-01-11 00:00 UTC",
        ])
    }

    @Test func spacesAndTabsSeparateFieldsAndTheTextIsTrimmed() throws {
        let cron = try CronExpression(parsing: " \t0  9\t* *   *\n")
        #expect(cron.text == "0  9\t* *   *")
        #expect(cron.description == cron.text)
        #expect(cron.nextSlot(after: Self.monday, in: Self.utcZone) == utc(2027, 1, 4, 9))
    }

    @Test func sameTextParsesEqual() throws {
        #expect(try CronExpression(parsing: "*/5 * * * *") == CronExpression(parsing: "*/5 * * * *"))
        #expect(try CronExpression(parsing: "*/5 * * * *") != CronExpression(parsing: "*/10 * * * *"))
    }

    // MARK: macros

    @Test(arguments: [
        ("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@DAILY", "0 0 * * *"),
    ])
    func macroMeansItsExpression(_ macro: String, _ expression: String) throws {
        #expect(try CronExpression(parsing: macro).text == macro)
        #expect(try slots(macro, after: Self.monday, count: 3) == slots(expression, after: Self.monday, count: 3))
    }

    @Test func macroSlots() throws {
        #expect(try slots("@hourly", after: utc(2027, 1, 4, 10, 30), count: 2) == ["2027-01-04 11:00 UTC", "2027-01-04 12:00 UTC"])
        #expect(try slots("@daily", after: Self.monday, count: 2) == ["2027-01-05 00:00 UTC", "2027-01-06 00:00 UTC"])
        #expect(try slots("@weekly", after: Self.monday, count: 2) == ["2027-01-10 00:00 UTC", "2027-01-17 00:00 UTC"])
        #expect(try slots("@monthly", after: Self.monday, count: 2) == ["2027-02-01 00:00 UTC", "2027-03-01 00:00 UTC"])
        #expect(try slots("@yearly", after: Self.monday, count: 2) == ["2028-01-01 00:00 UTC", "2029-01-01 00:00 UTC"])
    }

    // MARK: day of month and day of week

    @Test func bothDayFieldsRestrictedMeansEither() throws {
        // Fridays in January 2027 are the 8th, 15th, 22nd; the 13th is a Wednesday.
        #expect(try slots("0 0 13 * fri", after: Self.monday) == [
            "2027-01-08 00:00 UTC", "2027-01-13 00:00 UTC", "2027-01-15 00:00 UTC", "2027-01-22 00:00 UTC",
        ])
    }

    @Test func aStarDayFieldMeansBoth() throws {
        // `*/2` starts with `*`, so it narrows the weekdays instead: odd-numbered Fridays only.
        #expect(try slots("0 0 */2 * fri", after: Self.monday, count: 3)
            == ["2027-01-15 00:00 UTC", "2027-01-29 00:00 UTC", "2027-02-05 00:00 UTC"])
        #expect(try slots("0 0 13 * *", after: Self.monday, count: 2) == ["2027-01-13 00:00 UTC", "2027-02-13 00:00 UTC"])
        #expect(try slots("0 0 * * fri", after: Self.monday, count: 2) == ["2027-01-08 00:00 UTC", "2027-01-15 00:00 UTC"])
    }

    // MARK: the calendar

    @Test func dayThirtyOneSkipsShorterMonths() throws {
        #expect(try slots("0 0 31 * *", after: Self.monday, count: 5) == [
            "2027-01-31 00:00 UTC", "2027-03-31 00:00 UTC", "2027-05-31 00:00 UTC", "2027-07-31 00:00 UTC",
            "2027-08-31 00:00 UTC",
        ])
    }

    @Test func leapDay() throws {
        #expect(try slots("0 0 29 2 *", after: utc(2027, 1, 1), count: 2) == ["2028-02-29 00:00 UTC", "2032-02-29 00:00 UTC"])
        // 2100 is not a leap year: the longest gap there is, eight years.
        #expect(try slots("0 0 29 2 *", after: utc(2096, 3, 1), count: 1) == ["2104-02-29 00:00 UTC"])
    }

    @Test func neverMatchingIsRefusedWithTheReason() throws {
        let cases = [
            ("0 0 30 2 *", "never matches: February has no day 30"),
            ("0 0 31 4 *", "never matches: April has no day 31"),
            ("0 0 30,31 2 *", "never matches: February has no day 30 or 31"),
            ("0 0 31 4,6,9,11 *", "never matches: April, June, September and November have no day 31"),
            ("*/5 * 31 feb *", "never matches: February has no day 31"),
        ]
        for (text, message) in cases {
            #expect(throws: CronError(message), "\(text)") { try CronExpression(parsing: text) }
        }
        // Either day field suffices when both are restricted, so a weekday rescues day 30 of February.
        #expect(try CronExpression(parsing: "0 0 30 2 mon").nextSlot(after: Self.monday, in: Self.utcZone) != nil)
    }

    @Test func leapDayOnAWeekdayIsFoundDecadesAhead() throws {
        // 29 February on a Sunday (day of week `*/7` is 0 and 7): the eight-year search missed it.
        #expect(try slots("0 0 29 2 */7", after: utc(2026, 12, 7), count: 2) == ["2032-02-29 00:00 UTC", "2060-02-29 00:00 UTC"])
        // Across 2100, which is no leap year: 2088, then 2128 (40 years).
        #expect(try slots("0 0 29 2 */7", after: utc(2088, 3, 1), count: 1) == ["2128-02-29 00:00 UTC"])
    }

    @Test func strictlyAfter() throws {
        let cron = try CronExpression(parsing: "* * * * *")
        #expect(cron.nextSlot(after: utc(2027, 1, 4, 10, 0), in: Self.utcZone) == utc(2027, 1, 4, 10, 1))
        #expect(cron.nextSlot(after: utc(2027, 1, 4, 10, 0, 30), in: Self.utcZone) == utc(2027, 1, 4, 10, 1))
        #expect(cron.nextSlot(after: Instant(milliseconds: utc(2027, 1, 4, 10, 0, 59).milliseconds + 999), in: Self.utcZone)
            == utc(2027, 1, 4, 10, 1))
        let hourly = try CronExpression(parsing: "0 * * * *")
        #expect(hourly.nextSlot(after: utc(2027, 1, 4, 10), in: Self.utcZone) == utc(2027, 1, 4, 11))
        // Across the year's end.
        #expect(hourly.nextSlot(after: utc(2027, 12, 31, 23, 0, 1), in: Self.utcZone) == utc(2028, 1, 1))
    }

    @Test func instantsBeyondYear9999AreNil() throws {
        let cron = try CronExpression(parsing: "* * * * *")
        #expect(cron.nextSlot(after: Instant(milliseconds: .max), in: Self.utcZone) == nil)
        #expect(cron.nextSlot(after: Instant(milliseconds: .min), in: Self.utcZone) == nil)
        #expect(cron.nextSlot(after: utc(9999, 12, 31, 23, 58), in: Self.utcZone) == utc(9999, 12, 31, 23, 59))
    }

    // MARK: errors

    @Test func hourOutOfRangeMessage() {
        #expect(throws: CronError("field 2 (hour): 25 is out of range 0–23")) { try CronExpression(parsing: "0 25 * * *") }
        #expect(CronError("x").description == "x")
    }

    @Test(arguments: [
        ("x * * * *", "field 1 (minute): \"x\" is not a number"),
        ("٥ * * * *", "field 1 (minute): \"٥\" is not a number"),
        ("0 jan * * *", "field 2 (hour): \"jan\" is not a number"),
        ("0 0 * foo *", "field 4 (month): \"foo\" is not a number or a month name (jan–dec)"),
        ("0 0 * * monday", "field 5 (day of week): \"monday\" is not a number or a day name (sun–sat)"),
        ("60 * * * *", "field 1 (minute): 60 is out of range 0–59"),
        ("0 0 0 * *", "field 3 (day of month): 0 is out of range 1–31"),
        ("0 0 1 13 *", "field 4 (month): 13 is out of range 1–12"),
        ("0 0 * * 8", "field 5 (day of week): 8 is out of range 0–7"),
        ("99999999999999999999 * * * *", "field 1 (minute): 99999999999999999999 is out of range 0–59"),
        ("0 0 */0 * *", "field 3 (day of month): step 0 must be at least 1"),
        ("*/60 * * * *", "field 1 (minute): step 60 is too large for 0–59"),
        ("*/x * * * *", "field 1 (minute): step \"x\" is not a number"),
        ("1/2/3 * * * *", "field 1 (minute): step \"2/3\" is not a number"),
        ("5/ * * * *", "field 1 (minute): \"5/\" is missing a step after \"/\""),
        ("50-10 * * * *", "field 1 (minute): range 50-10 is backwards"),
        ("0 0 * * fri-mon", "field 5 (day of week): range fri-mon is backwards"),
        ("-5 * * * *", "field 1 (minute): \"-5\" is missing a number"),
        ("0 1- * * *", "field 2 (hour): \"1-\" is missing a number"),
        ("1,,2 * * * *", "field 1 (minute): empty item in the list \"1,,2\""),
        ("0 0 1, * *", "field 3 (day of month): empty item in the list \"1,\""),
    ])
    func fieldErrors(_ text: String, _ message: String) {
        #expect(throws: CronError(message)) { try CronExpression(parsing: text) }
    }

    @Test(arguments: [
        ("0 0 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or a macro like @daily; got 6"),
        ("0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week) or a macro like @daily; got 4"),
        ("@often", "unknown macro \"@often\"; use @hourly, @daily, @weekly, @monthly or @yearly"),
        ("@daily 0", "unknown macro \"@daily 0\"; use @hourly, @daily, @weekly, @monthly or @yearly"),
        ("", "the cron expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a macro like @daily"),
        (" \t ", "the cron expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a macro like @daily"),
    ])
    func expressionErrors(_ text: String, _ message: String) {
        #expect(throws: CronError(message)) { try CronExpression(parsing: text) }
    }
}
