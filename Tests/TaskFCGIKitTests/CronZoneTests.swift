import Testing
@testable import TaskFCGIKit

// Cron slots in zones with daylight saving time. Fixed-time expressions: a skipped time runs once
// at the end of the gap, a repeated time once at its first occurrence. Wildcard expressions (minute
// or hour starting with `*`): by the wall clock, through the repeated hour, nothing for skipped times.
extension CronTests {
    /// The zones with transitions in 2027 that the cases below name.
    static let berlin = Zone(identifier: "Europe/Berlin")!
    static let newYork = Zone(identifier: "America/New_York")!
    static let lordHowe = Zone(identifier: "Australia/Lord_Howe")!

    // MARK: Europe/Berlin: 2027-03-28 02:00 CET becomes 03:00 CEST; 2027-10-31 03:00 CEST becomes 02:00 CET.

    @Test func berlinSkippedTimeRunsOnceAtTheEndOfTheGap() throws {
        let before = utc(2027, 3, 27, 12)
        #expect(try slots("30 2 * * *", after: before, in: Self.berlin, count: 2)
            == ["2027-03-28 03:00 CEST", "2027-03-29 02:30 CEST"])
        #expect(try CronExpression(parsing: "30 2 * * *").nextSlot(after: before, in: Self.berlin) == utc(2027, 3, 28, 1))
        // A wildcard minute: the skipped 02:xx times do not happen that day, as in Vixie cron.
        #expect(try slots("*/15 2 * * *", after: before, in: Self.berlin, count: 3)
            == ["2027-03-29 02:00 CEST", "2027-03-29 02:15 CEST", "2027-03-29 02:30 CEST"])
        // 03:00 matches itself as well: still one slot.
        #expect(try slots("*/15 2,3 * * *", after: before, in: Self.berlin, count: 3)
            == ["2027-03-28 03:00 CEST", "2027-03-28 03:15 CEST", "2027-03-28 03:30 CEST"])
        #expect(try slots("*/30 * * * *", after: utc(2027, 3, 27, 23, 45), in: Self.berlin)
            == ["2027-03-28 01:00 CET", "2027-03-28 01:30 CET", "2027-03-28 03:00 CEST", "2027-03-28 03:30 CEST"])
    }

    @Test func berlinRepeatedTimeRunsOnceAtItsFirstOccurrenceUnlessWildcard() throws {
        // 2027-10-31 01:45 CEST is 23:45 UTC the day before. A wildcard job runs through both passes.
        #expect(try slots("*/30 * * * *", after: utc(2027, 10, 30, 23, 45), in: Self.berlin)
            == ["2027-10-31 02:00 CEST", "2027-10-31 02:30 CEST", "2027-10-31 02:00 CET", "2027-10-31 02:30 CET"])
        #expect(try slots("30 2 * * *", after: utc(2027, 10, 30, 12), in: Self.berlin, count: 2)
            == ["2027-10-31 02:30 CEST", "2027-11-01 02:30 CET"])
        // From inside the second pass (02:10 CET): the wall clock goes on; a fixed time already ran.
        #expect(try slots("*/30 * * * *", after: utc(2027, 10, 31, 1, 10), in: Self.berlin, count: 1) == ["2027-10-31 02:30 CET"])
        #expect(try slots("30 2 * * *", after: utc(2027, 10, 31, 1, 10), in: Self.berlin, count: 1) == ["2027-11-01 02:30 CET"])
    }

    @Test func dailyAcrossTheGapAndTheOverlapRunsOnceThatDay() throws {
        let cron = try CronExpression(parsing: "30 2 * * *")
        func slots(from start: Instant, to end: Instant) -> [Instant] {
            var result: [Instant] = [], from = start
            while let next = cron.nextSlot(after: from, in: Self.berlin), next < end { result.append(next); from = next }
            return result
        }
        // Local midnight to midnight: 2027-03-28 is 23 hours long, 2027-10-31 25 hours.
        #expect(slots(from: utc(2027, 3, 27, 23), to: utc(2027, 3, 28, 22)) == [utc(2027, 3, 28, 1)])
        #expect(slots(from: utc(2027, 10, 30, 22), to: utc(2027, 10, 31, 23)) == [utc(2027, 10, 31, 0, 30)])
    }

    // MARK: America/New_York: 2027-03-14 02:00 EST becomes 03:00 EDT; 2027-11-07 02:00 EDT becomes 01:00 EST.

    @Test func newYork() throws {
        #expect(try slots("30 2 * * *", after: utc(2027, 3, 13, 12), in: Self.newYork, count: 2)
            == ["2027-03-14 03:00 EDT", "2027-03-15 02:30 EDT"])
        #expect(try CronExpression(parsing: "30 2 * * *").nextSlot(after: utc(2027, 3, 13, 12), in: Self.newYork)
            == utc(2027, 3, 14, 7))
        #expect(try slots("30 1 * * *", after: utc(2027, 11, 6, 12), in: Self.newYork, count: 2)
            == ["2027-11-07 01:30 EDT", "2027-11-08 01:30 EST"])
        #expect(try slots("*/20 1 * * *", after: utc(2027, 11, 7, 4, 50), in: Self.newYork, count: 7)
            == ["2027-11-07 01:00 EDT", "2027-11-07 01:20 EDT", "2027-11-07 01:40 EDT",
                "2027-11-07 01:00 EST", "2027-11-07 01:20 EST", "2027-11-07 01:40 EST", "2027-11-08 01:00 EST"])
    }

    // MARK: Australia/Lord_Howe: 30-minute shifts, found by scanning the zone rather than assumed.

    @Test func lordHoweHalfHourGap() throws {
        let gap = try #require(Self.transitions(in: Self.lordHowe, year: 2027).first { $0.change == 1800 })
        let start = Self.lordHowe.civilTime(at: gap.instant.adding(.seconds(-1))) // the last second before the gap
        let after = Self.lordHowe.civilTime(at: gap.instant)
        #expect((start.minute + 1) % 60 == (after.minute + 60 - 30) % 60, "the clock jumps 30 minutes")
        let hour = start.minute == 59 ? (start.hour + 1) % 24 : start.hour
        let firstSkipped = (start.minute + 1) % 60
        let day = Interval.days(1)
        // One skipped time, several with the first minute after the gap, and that minute alone: each
        // runs once at the jump, then at its next time.
        let cases = [
            ("\(firstSkipped + 15) \(hour) * * *", gap.instant.adding(day).adding(.minutes(-15))),
            ("*/10 \(hour) * * *", gap.instant.adding(.minutes(10))),
            ("\(after.minute) \(after.hour) * * *", gap.instant.adding(day)),
        ]
        for (text, following) in cases {
            let cron = try CronExpression(parsing: text)
            let slot = cron.nextSlot(after: gap.instant.adding(.hours(-20)), in: Self.lordHowe)
            #expect(slot == gap.instant, "\(text)")
            #expect(slot.flatMap { cron.nextSlot(after: $0, in: Self.lordHowe) } == following, "\(text)")
        }
    }

    @Test func lordHoweHalfHourOverlap() throws {
        let overlap = try #require(Self.transitions(in: Self.lordHowe, year: 2027).first { $0.change == -1800 })
        let X = overlap.instant
        let repeated = Self.lordHowe.civilTime(at: X) // the first repeated minute, e.g. 01:30
        let hour = repeated.hour
        let every15 = try CronExpression(parsing: "*/15 * * * *")
        var found: [Instant] = [], from = X.adding(.minutes(-60))
        for _ in 0..<4 {
            let next = try #require(every15.nextSlot(after: from, in: Self.lordHowe))
            found.append(next)
            from = next
        }
        // A wildcard job runs by the wall clock: the repeated half hour again from X, its second pass.
        #expect(found == [X.adding(.minutes(-45)), X.adding(.minutes(-30)), X.adding(.minutes(-15)), X])
        #expect(every15.nextSlot(after: X, in: Self.lordHowe) == X.adding(.minutes(15)))
        let lastRepeated = try CronExpression(parsing: "\(repeated.minute + 15) \(hour) * * *")
        let first = lastRepeated.nextSlot(after: X.adding(.hours(-20)), in: Self.lordHowe)
        #expect(first == X.adding(.minutes(-15)))
        #expect(first.flatMap { lastRepeated.nextSlot(after: $0, in: Self.lordHowe) } == X.adding(.days(1)).adding(.minutes(15)))
    }

    /// The instants in `year` at which `zone`'s offset changes, and by how many seconds.
    static func transitions(in zone: Zone, year: Int) -> [(instant: Instant, change: Int)] {
        var result: [(instant: Instant, change: Int)] = []
        var hour = utc(year, 1, 1)
        while hour < utc(year + 1, 1, 1) {
            let next = hour.adding(.hours(1))
            let (before, after) = (zone.offset(at: hour), zone.offset(at: next))
            if before != after {
                var (low, high) = (hour.milliseconds / 1000, next.milliseconds / 1000)
                while high - low > 1 {
                    let middle = (low + high) / 2
                    if zone.offset(at: Instant(milliseconds: middle * 1000)) == before { low = middle } else { high = middle }
                }
                result.append((Instant(milliseconds: high * 1000), after - before))
            }
            hour = next
        }
        return result
    }
}
