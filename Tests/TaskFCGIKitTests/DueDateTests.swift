import Testing
@testable import TaskFCGIKit

@Suite struct DueDateTests {
    private let utcZone = Zone(identifier: "UTC")!
    private let berlin = Zone(identifier: "Europe/Berlin")!
    private let newYork = Zone(identifier: "America/New_York")!

    private func parse(_ text: String, _ zone: Zone) -> Result<Instant, DueDate.Problem> {
        DueDate.parse(text, in: zone)
    }

    // MARK: well-formed input

    @Test func minutesInUTC() {
        #expect(parse("2026-11-24T21:30", utcZone) == .success(utc(2026, 11, 24, 21, 30)))
    }

    @Test func secondsAndFractionsInUTC() {
        #expect(parse("2026-11-24T21:30:05", utcZone) == .success(utc(2026, 11, 24, 21, 30, 5)))
        // Browsers may add milliseconds; they are dropped, never rounded up.
        #expect(parse("2026-11-24T21:30:05.999", utcZone) == .success(utc(2026, 11, 24, 21, 30, 5)))
        #expect(parse("2026-11-24T21:30:05.5", utcZone) == .success(utc(2026, 11, 24, 21, 30, 5)))
    }

    @Test func berlinWinterIsOneHourAhead() {
        #expect(parse("2026-11-24T21:30", berlin) == .success(utc(2026, 11, 24, 20, 30)))
        #expect(parse("2026-11-24T21:30:05.250", berlin) == .success(utc(2026, 11, 24, 20, 30, 5)))
    }

    @Test func berlinSummerIsTwoHoursAhead() {
        #expect(parse("2026-07-01T12:00", berlin) == .success(utc(2026, 7, 1, 10, 0)))
        #expect(parse("2026-07-01T12:00:59", berlin) == .success(utc(2026, 7, 1, 10, 0, 59)))
    }

    @Test func spaceSeparatorAndSurroundingWhitespaceAreAccepted() {
        #expect(parse("2026-11-24 21:30", utcZone) == .success(utc(2026, 11, 24, 21, 30)))
        #expect(parse("  2026-11-24T21:30\r\n", utcZone) == .success(utc(2026, 11, 24, 21, 30)))
    }

    @Test func farFutureIsAccepted() {
        #expect(parse("9999-12-31T23:59", utcZone) == .success(utc(9999, 12, 31, 23, 59)))
        #expect(parse("9999-12-31T23:59", berlin) == .success(utc(9999, 12, 31, 22, 59)))
    }

    @Test func leapDay() {
        #expect(parse("2028-02-29T10:00", utcZone) == .success(utc(2028, 2, 29, 10)))
        #expect(parse("2000-02-29T10:00", utcZone) == .success(utc(2000, 2, 29, 10)))
        #expect(parse("2026-02-29T10:00", utcZone) == .failure(.impossibleDate))
        #expect(parse("2100-02-29T10:00", utcZone) == .failure(.impossibleDate))
    }

    // MARK: refused input

    @Test(arguments: ["", "   ", "\t\n"])
    func emptyIsMissing(_ text: String) {
        #expect(parse(text, utcZone) == .failure(.missing))
    }

    @Test(arguments: [
        "2026-11-24", "24.11.2026 21:30", "2026-11-24T21:3", "2026-11-24T21:30:", "2026-11-24T21:30:5",
        "2026-11-24T21:30Z", "2026-11-24T21:30+01:00", "2026/11/24T21:30", "2026-11-24X21:30",
        "２０２６-11-24T21:30", "+026-11-24T21:30", "2026-11-24T21:30:05.", "2026-11-24T21:30:05.1234",
        "2026-11-24T21:30:05,5", "2026-11-24T 21:30", "0000-01-01T00:00", "tomorrow",
    ])
    func malformed(_ text: String) {
        #expect(parse(text, utcZone) == .failure(.malformed))
    }

    @Test(arguments: ["2026-13-01T00:00", "2026-00-10T00:00", "2026-02-30T10:00", "2026-04-31T10:00",
                      "2026-11-00T10:00", "2026-11-24T24:00", "2026-11-24T21:60", "2026-11-24T21:30:60"])
    func impossibleDates(_ text: String) {
        #expect(parse(text, utcZone) == .failure(.impossibleDate))
    }

    // MARK: daylight saving time

    @Test func berlinSpringGapIsSkipped() {
        #expect(parse("2026-03-29T02:30", berlin) == .failure(.skipped(zone: "Europe/Berlin")))
        #expect(parse("2026-03-29T02:00", berlin) == .failure(.skipped(zone: "Europe/Berlin")))
        #expect(parse("2026-03-29T01:59", berlin) == .success(utc(2026, 3, 29, 0, 59)))
        #expect(parse("2026-03-29T03:00", berlin) == .success(utc(2026, 3, 29, 1, 0)))
        #expect(DueDate.Problem.skipped(zone: "Europe/Berlin").message.contains("Europe/Berlin"))
    }

    @Test func berlinAutumnOverlapMeansTheEarlierInstant() {
        #expect(parse("2026-10-25T02:30", berlin) == .success(utc(2026, 10, 25, 0, 30)))
        #expect(berlin.resolve(CivilTime(year: 2026, month: 10, day: 25, hour: 2, minute: 30))
            == .ambiguous(earlier: utc(2026, 10, 25, 0, 30), later: utc(2026, 10, 25, 1, 30)))
        #expect(parse("2026-10-25T03:00", berlin) == .success(utc(2026, 10, 25, 2, 0)))
    }

    @Test func newYorkGapAndOverlap() {
        #expect(parse("2026-03-08T02:30", newYork) == .failure(.skipped(zone: "America/New_York")))
        #expect(parse("2026-03-08T03:30", newYork) == .success(utc(2026, 3, 8, 7, 30)))
        #expect(parse("2026-11-01T01:30", newYork) == .success(utc(2026, 11, 1, 5, 30)))
        #expect(newYork.resolve(CivilTime(year: 2026, month: 11, day: 1, hour: 1, minute: 30))
            == .ambiguous(earlier: utc(2026, 11, 1, 5, 30), later: utc(2026, 11, 1, 6, 30)))
        #expect(parse("2026-11-24T16:30", newYork) == .success(utc(2026, 11, 24, 21, 30)))
    }

    @Test func problemsHaveMessages() {
        #expect(DueDate.Problem.missing.message == "Enter a due date and time.")
        #expect(DueDate.Problem.malformed.message.contains("YYYY-MM-DDTHH:MM"))
        #expect(DueDate.Problem.impossibleDate.message.contains("does not exist"))
    }

    // MARK: inputValue

    @Test func inputValueOmitsZeroSeconds() {
        #expect(DueDate.inputValue(utc(2026, 11, 24, 20, 30), in: berlin) == "2026-11-24T21:30")
        #expect(DueDate.inputValue(utc(2026, 11, 24, 20, 30, 5), in: berlin) == "2026-11-24T21:30:05")
        #expect(DueDate.inputValue(utc(2026, 7, 1, 10), in: berlin) == "2026-07-01T12:00")
        #expect(DueDate.inputValue(utc(2026, 11, 24, 21, 30).adding(.milliseconds(999)), in: utcZone) == "2026-11-24T21:30")
    }

    @Test(arguments: ["UTC", "Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Asia/Kolkata"])
    func inputValueRoundTrips(_ identifier: String) throws {
        let zone = try #require(Zone(identifier: identifier))
        // Every 7 h 13 min 17 s across several years, crossing many DST changes.
        var instant = utc(2024, 1, 1)
        let end = utc(2028, 1, 1)
        while instant < end {
            let text = DueDate.inputValue(instant, in: zone)
            let back = DueDate.parse(text, in: zone)
            if case .ambiguous(let earlier, let later) = zone.resolve(zone.civilTime(at: instant)) {
                // A repeated wall-clock time can only name its first occurrence.
                #expect(instant == earlier || instant == later)
                #expect(back == .success(earlier), "\(identifier) \(instant) → \(text)")
            } else {
                #expect(back == .success(instant), "\(identifier) \(instant) → \(text)")
            }
            instant = instant.adding(.seconds(7 * 3600 + 13 * 60 + 17))
        }
    }

    @Test func inputValueOfTheSecondPassThroughAnOverlapNamesTheFirst() {
        let later = utc(2026, 10, 25, 1, 30)
        #expect(DueDate.inputValue(later, in: berlin) == "2026-10-25T02:30")
        #expect(parse("2026-10-25T02:30", berlin) == .success(utc(2026, 10, 25, 0, 30)))
    }
}
