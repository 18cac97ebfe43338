import Testing
@testable import TaskFCGIKit

/// Cron across the DST changes of zones north and south, with 30-minute and 2-hour shifts and gaps
/// at midnight: wildcard expressions by the wall clock, fixed-time ones once per local time.
@Suite struct CronDSTTests {
    /// `count` slots of `text` in `zone` strictly after `start`, as RFC 3339 text with offsets.
    private func slots(_ text: String, _ zone: String, after start: String, count: Int) throws -> [String] {
        let cron = try CronExpression(parsing: text)
        let zone = try #require(Zone(identifier: zone))
        var from = try #require(RFC3339.parse(start)), result: [String] = []
        while result.count < count, let next = cron.nextSlot(after: from, in: zone) {
            result.append(RFC3339.format(next, in: zone))
            from = next
        }
        return result
    }

    /// Known-good slots. The wildcard rows are what a minute-by-minute walk with Python's zoneinfo
    /// finds (every UTC minute whose local time matches); the fixed-time rows follow Vixie cron's
    /// rule (a skipped time at the gap's end, a repeated one once).
    static let knownGood: [(String, String, String, [String])] = [
        // America/New_York, 2024-11-03: 02:00 EDT becomes 01:00 EST.
        ("*/15 * * * *", "America/New_York", "2024-11-03T05:30:00Z",
         ["2024-11-03T01:45:00-04:00", "2024-11-03T01:00:00-05:00", "2024-11-03T01:15:00-05:00",
          "2024-11-03T01:30:00-05:00", "2024-11-03T01:45:00-05:00", "2024-11-03T02:00:00-05:00"]),
        ("0 * * * *", "America/New_York", "2024-11-03T04:30:00Z",
         ["2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00", "2024-11-03T03:00:00-05:00"]),
        ("30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", ["2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"]),
        // 2024-03-10: 02:00 EST becomes 03:00 EDT.
        ("*/30 * * * *", "America/New_York", "2024-03-10T06:00:00Z",
         ["2024-03-10T01:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-10T03:30:00-04:00", "2024-03-10T04:00:00-04:00"]),
        ("30 2 * * *", "America/New_York", "2024-03-09T12:00:00Z", ["2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"]),
        // Australia/Sydney (south): back on 2024-04-07 03:00, forward on 2024-10-06 02:00.
        ("*/30 * * * *", "Australia/Sydney", "2024-04-06T15:00:00Z",
         ["2024-04-07T02:30:00+11:00", "2024-04-07T02:00:00+10:00", "2024-04-07T02:30:00+10:00",
          "2024-04-07T03:00:00+10:00", "2024-04-07T03:30:00+10:00"]),
        ("*/30 * * * *", "Australia/Sydney", "2024-10-05T14:30:00Z",
         ["2024-10-06T01:00:00+10:00", "2024-10-06T01:30:00+10:00", "2024-10-06T03:00:00+11:00", "2024-10-06T03:30:00+11:00"]),
        ("30 2 * * *", "Australia/Sydney", "2024-04-06T12:00:00Z", ["2024-04-07T02:30:00+11:00", "2024-04-08T02:30:00+10:00"]),
        // Australia/Lord_Howe: half-hour shifts.
        ("*/15 * * * *", "Australia/Lord_Howe", "2024-04-06T14:15:00Z",
         ["2024-04-07T01:30:00+11:00", "2024-04-07T01:45:00+11:00", "2024-04-07T01:30:00+10:30",
          "2024-04-07T01:45:00+10:30", "2024-04-07T02:00:00+10:30", "2024-04-07T02:15:00+10:30"]),
        ("*/15 * * * *", "Australia/Lord_Howe", "2024-10-05T15:00:00Z",
         ["2024-10-06T01:45:00+10:30", "2024-10-06T02:30:00+11:00", "2024-10-06T02:45:00+11:00", "2024-10-06T03:00:00+11:00"]),
        ("15 2 * * *", "Australia/Lord_Howe", "2024-10-05T12:00:00Z", ["2024-10-06T02:30:00+11:00", "2024-10-07T02:15:00+11:00"]),
        // America/Havana: the gap and the repeat are at midnight.
        ("*/30 * * * *", "America/Havana", "2024-03-10T04:00:00Z",
         ["2024-03-09T23:30:00-05:00", "2024-03-10T01:00:00-04:00", "2024-03-10T01:30:00-04:00"]),
        ("0 0 * * *", "America/Havana", "2024-03-09T12:00:00Z", ["2024-03-10T01:00:00-04:00", "2024-03-11T00:00:00-04:00"]),
        ("0 * * * *", "America/Havana", "2024-11-03T03:30:00Z",
         ["2024-11-03T00:00:00-04:00", "2024-11-03T00:00:00-05:00", "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"]),
        ("0 0 * * *", "America/Havana", "2024-11-02T12:00:00Z", ["2024-11-03T00:00:00-04:00", "2024-11-04T00:00:00-05:00"]),
        // America/Santiago (south, midnight changes).
        ("0 * * * *", "America/Santiago", "2024-09-08T02:30:00Z",
         ["2024-09-07T23:00:00-04:00", "2024-09-08T01:00:00-03:00", "2024-09-08T02:00:00-03:00"]),
        ("0 * * * *", "America/Santiago", "2024-04-07T01:30:00Z",
         ["2024-04-06T23:00:00-03:00", "2024-04-06T23:00:00-04:00", "2024-04-07T00:00:00-04:00", "2024-04-07T01:00:00-04:00"]),
        ("0 0 * * *", "America/Santiago", "2024-09-07T12:00:00Z", ["2024-09-08T01:00:00-03:00", "2024-09-09T00:00:00-03:00"]),
        // Antarctica/Troll: two-hour shifts.
        ("0 * * * *", "Antarctica/Troll", "2024-03-31T00:30:00Z",
         ["2024-03-31T03:00:00+02:00", "2024-03-31T04:00:00+02:00", "2024-03-31T05:00:00+02:00"]),
        ("0 * * * *", "Antarctica/Troll", "2024-10-26T22:30:00Z",
         ["2024-10-27T01:00:00+02:00", "2024-10-27T02:00:00+02:00", "2024-10-27T01:00:00+00:00",
          "2024-10-27T02:00:00+00:00", "2024-10-27T03:00:00+00:00"]),
        ("30 1 * * *", "Antarctica/Troll", "2024-03-30T12:00:00Z", ["2024-03-31T03:00:00+02:00", "2024-04-01T01:30:00+02:00"]),
        // Europe/Dublin: negative DST in tzdata (winter is the "saving" time); the clocks still repeat 01:xx.
        ("*/30 * * * *", "Europe/Dublin", "2024-10-27T00:00:00Z",
         ["2024-10-27T01:30:00+01:00", "2024-10-27T01:00:00+00:00", "2024-10-27T01:30:00+00:00", "2024-10-27T02:00:00+00:00"]),
    ]

    @Test(arguments: 0..<knownGood.count)
    func knownGoodSlots(_ index: Int) throws {
        let (text, zone, start, expected) = Self.knownGood[index]
        #expect(try slots(text, zone, after: start, count: expected.count) == expected, "\(text) in \(zone) after \(start)")
    }

    /// Zones north and south, with 30-minute and 2-hour shifts and midnight gaps.
    static let zones = ["America/New_York", "Europe/Berlin", "Europe/Dublin", "Australia/Sydney", "Australia/Lord_Howe",
                        "America/Havana", "America/Santiago", "Antarctica/Troll", "Asia/Beirut"]
    static let expressions = ["*/15 * * * *", "0 * * * *", "* 2 * * *", "*/10 0-3 * * *", "30 2 * * *", "0 0 * * *",
                              "15 1,2 * * *", "@hourly", "@daily"]

    // Three days either side of every 2024 and 2025 transition: every slot is after the one before,
    // a fixed-time expression never runs twice in one local minute, and a wildcard one runs only at
    // instants whose wall clock matches.
    @Test(arguments: zones)
    func everySlotIsAfterTheLastAcrossTransitions(_ identifier: String) throws {
        let zone = try #require(Zone(identifier: identifier))
        let transitions = CronTests.transitions(in: zone, year: 2024) + CronTests.transitions(in: zone, year: 2025)
        #expect(transitions.count >= 2, "\(identifier) changes its clocks")
        for text in Self.expressions {
            let cron = try CronExpression(parsing: text)
            for transition in transitions {
                var previous = transition.instant.adding(.days(-3)), count = 0, minutes = Set<Int64>()
                var problems: [String] = []
                while let slot = cron.nextSlot(after: previous, in: zone), slot <= transition.instant.adding(.days(3)) {
                    let civil = zone.civilTime(at: slot)
                    if slot <= previous { problems.append("\(slot) is not after \(previous)") }
                    if cron.runsByWallClock, !cron.matches(civil) { problems.append("\(slot) does not match") }
                    if !cron.runsByWallClock, !minutes.insert(civil.secondsAsIfUTC / 60).inserted {
                        problems.append("\(slot) repeats a local minute")
                    }
                    (previous, count) = (slot, count + 1)
                }
                #expect(problems.isEmpty, "\(text) in \(identifier) around \(transition.instant): \(problems.prefix(3))")
                #expect(count >= 5, "\(text) in \(identifier) around \(transition.instant): only \(count) slots")
            }
        }
    }

    @Test func apiasSkippedDayRunsFixedTimesOnceAtTheJump() throws {
        // Pacific/Apia skipped 2011-12-30 entirely (from -10:00 to +14:00 at midnight).
        #expect(try slots("0 12 * * *", "Pacific/Apia", after: "2011-12-29T12:00:00Z", count: 3)
            == ["2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00"])
        #expect(try slots("0 */12 * * *", "Pacific/Apia", after: "2011-12-29T12:00:00Z", count: 3)
            == ["2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00"])
    }

    // Found by the "cron" fuzz target: past 2200 (where the zone's offset table ends) the offsets
    // came from Foundation but no transition was known, so a wildcard slot landed in the gap.
    @Test func wildcardSkipsGapsPastTheOffsetTable() throws {
        #expect(try slots("*/15 2 * * *", "Europe/Berlin", after: "2202-03-27T23:00:00Z", count: 2)
            == ["2202-03-29T02:00:00+02:00", "2202-03-29T02:15:00+02:00"])
        // 28 March on a Sunday is always the EU's last Sunday of March, whose 02:xx is skipped.
        let cron = try CronExpression(parsing: "*/15 2 28 3 */7")
        let berlin = try #require(Zone(identifier: "Europe/Berlin"))
        #expect(cron.nextSlot(after: try #require(RFC3339.parse("2027-03-28T00:11:19Z")), in: berlin) == nil)
    }

    @Test func wildcardIsDecidedByTheMinuteAndHourFields() throws {
        for text in ["* * * * *", "*/15 2 * * *", "0 * * * *", "0 */2 * * *", "@hourly"] {
            #expect(try CronExpression(parsing: text).runsByWallClock, "\(text)")
        }
        for text in ["30 2 * * *", "0 0 * * *", "0,30 1-3 * * *", "@daily", "@weekly", "0 9 * * mon-fri"] {
            #expect(try !CronExpression(parsing: text).runsByWallClock, "\(text)")
        }
    }
}
