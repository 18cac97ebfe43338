import Foundation
import Testing
@testable import TaskFCGIKit

@Suite struct ZoneTests {
    @Test func unknownZoneIsNil() {
        #expect(Zone(identifier: "Europe/Atlantis") == nil)
        #expect(Zone(identifier: "") == nil)
    }

    @Test func identifierIsKeptAsGiven() {
        #expect(Zone(identifier: "Europe/Berlin")?.identifier == "Europe/Berlin")
        #expect(Zone(identifier: "UTC")?.identifier == "UTC")
    }

    @Test func offsets() throws {
        let berlin = try #require(Zone(identifier: "Europe/Berlin"))
        #expect(berlin.offset(at: utc(2026, 11, 24, 12)) == 3600)
        #expect(berlin.offset(at: utc(2026, 7, 1, 12)) == 7200)
        let newYork = try #require(Zone(identifier: "America/New_York"))
        #expect(newYork.offset(at: utc(2026, 11, 24, 12)) == -5 * 3600)
        #expect(newYork.offset(at: utc(2026, 7, 1, 12)) == -4 * 3600)
    }

    @Test func civilTimeAt() throws {
        let berlin = try #require(Zone(identifier: "Europe/Berlin"))
        #expect(berlin.civilTime(at: utc(2026, 11, 24, 20, 30, 5))
            == CivilTime(year: 2026, month: 11, day: 24, hour: 21, minute: 30, second: 5))
        // Just before 1970, floor division keeps the second right.
        let utcZone = try #require(Zone(identifier: "UTC"))
        #expect(utcZone.civilTime(at: Instant(milliseconds: -1))
            == CivilTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }

    @Test func berlinAbbreviations() throws {
        let berlin = try #require(Zone(identifier: "Europe/Berlin"))
        #expect(berlin.abbreviation(at: utc(2026, 11, 24, 12)) == "CET")
        #expect(berlin.abbreviation(at: utc(2026, 7, 1, 12)) == "CEST")
    }

    @Test func newYorkAbbreviations() throws {
        let newYork = try #require(Zone(identifier: "America/New_York"))
        #expect(newYork.abbreviation(at: utc(2026, 11, 24, 12)) == "EST")
        #expect(newYork.abbreviation(at: utc(2026, 7, 1, 12)) == "EDT")
    }

    // Foundation turns "UTC" into "GMT"; the abbreviations come from the identifier as configured.
    @Test func utcIsCalledUTC() throws {
        // The user configured "UTC" and should see "UTC", not "GMT" or "UTC+00:00".
        let zone = try #require(Zone(identifier: "UTC"))
        #expect(zone.abbreviation(at: utc(2026, 11, 24, 12)) == "UTC")
        #expect(zone.abbreviation(at: utc(2026, 7, 1, 12)) == "UTC")
    }

    @Test func etcUTCIsCalledUTC() throws {
        let zone = try #require(Zone(identifier: "Etc/UTC"))
        #expect(zone.abbreviation(at: utc(2026, 11, 24, 12)) == "UTC")
    }

    @Test func numericAbbreviationsFallBackToAnOffset() throws {
        // tzdata calls São Paulo's offset "-03", which says nothing a person can read as a zone.
        let saoPaulo = try #require(Zone(identifier: "America/Sao_Paulo"))
        #expect(saoPaulo.abbreviation(at: utc(2026, 11, 24, 12)) == "UTC-03:00")
        let kolkata = try #require(Zone(identifier: "Asia/Kolkata"))
        #expect(kolkata.abbreviation(at: utc(2026, 11, 24, 12)) == "IST")
        let kathmandu = try #require(Zone(identifier: "Asia/Kathmandu"))
        #expect(kathmandu.abbreviation(at: utc(2026, 11, 24, 12)) == "UTC+05:45")
    }

    @Test func resolveUniqueTime() throws {
        let berlin = try #require(Zone(identifier: "Europe/Berlin"))
        #expect(berlin.resolve(CivilTime(year: 2026, month: 11, day: 24, hour: 21, minute: 30)) == .unique(utc(2026, 11, 24, 20, 30)))
        #expect(berlin.resolve(CivilTime(year: 2026, month: 3, day: 29, hour: 2, minute: 30)) == .skipped)
    }

    // The offset table must say what Foundation says: around every transition, at random instants,
    // and outside the table's years. Zones with odd histories: a skipped day (Apia), DST abolished
    // (São Paulo), Ramadan breaks (Casablanca), a 30-minute DST (Lord Howe), LMT offsets in seconds.
    @Test(arguments: ["Europe/Berlin", "America/New_York", "Pacific/Apia", "America/Sao_Paulo",
                      "Africa/Casablanca", "Australia/Lord_Howe", "Asia/Kathmandu", "Europe/Dublin", "UTC"])
    func offsetTableAgreesWithFoundation(identifier: String) throws {
        let zone = try #require(Zone(identifier: identifier))
        let foundation = try #require(TimeZone(identifier: identifier))
        func check(_ seconds: Int64) {
            let expected = foundation.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
            #expect(zone.offset(at: Instant(milliseconds: seconds * 1000)) == expected, "\(identifier) at \(seconds)")
        }
        var after = Date(timeIntervalSince1970: -2_300_000_000)
        while let next = foundation.nextDaylightSavingTimeTransition(after: after), next.timeIntervalSince1970 < 7_400_000_000 {
            let seconds = Int64(next.timeIntervalSince1970.rounded(.down))
            for delta: Int64 in [-86_400, -1, 0, 1, 86_400] { check(seconds + delta) }
            after = next
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 { check(Int64.random(in: -3_000_000_000 ... 8_000_000_000, using: &random)) }
    }

    @Test func offsetTableAgreesWithFoundationInEveryZone() throws {
        for identifier in TimeZone.knownTimeZoneIdentifiers {
            guard let zone = Zone(identifier: identifier), let foundation = TimeZone(identifier: identifier) else { continue }
            var after = Date(timeIntervalSince1970: -2_300_000_000)
            while let next = foundation.nextDaylightSavingTimeTransition(after: after), next.timeIntervalSince1970 < 7_400_000_000 {
                let seconds = Int64(next.timeIntervalSince1970.rounded(.down))
                for delta: Int64 in [-1, 0] {
                    let expected = foundation.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds + delta)))
                    #expect(zone.offset(at: Instant(milliseconds: (seconds + delta) * 1000)) == expected, "\(identifier) at \(seconds + delta)")
                }
                after = next
            }
        }
    }

    @Test func tzifParserRejectsGarbage() {
        #expect(ZoneAbbreviations.parse([]) == nil)
        #expect(ZoneAbbreviations.parse(Array(repeating: 0, count: 64)) == nil)
        #expect(ZoneAbbreviations.parse(Array("TZif2".utf8) + Array(repeating: 0xff, count: 60)) == nil)
    }
}

@Suite struct CivilTimeTests {
    @Test func weekday() {
        #expect(CivilTime(year: 2026, month: 11, day: 24, hour: 0, minute: 0).weekday == 2)  // Tuesday
        #expect(CivilTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0).weekday == 4)    // Thursday
        #expect(CivilTime(year: 2000, month: 1, day: 1, hour: 0, minute: 0).weekday == 6)    // Saturday
        #expect(CivilTime(year: 1969, month: 12, day: 28, hour: 0, minute: 0).weekday == 0)  // Sunday
    }

    @Test func knownDayNumbers() {
        #expect(CivilTime.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilTime.daysFromCivil(year: 1969, month: 12, day: 31) == -1)
        #expect(CivilTime.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilTime.daysFromCivil(year: 2026, month: 11, day: 24) == 20_781)
        #expect(CivilTime.civilFromDays(-719_468) == (0, 3, 1))
    }

    @Test func dayNumbersRoundTrip() {
        // Every day around the epoch and a sample far before and after it (year -220 to 10183).
        let days = Array(Int64(-1000)...Int64(1000)) + Array(stride(from: Int64(-800_000), through: 3_000_000, by: 97))
        var mismatches: [Int64] = []
        for day in days {
            let (y, m, d) = CivilTime.civilFromDays(day)
            let valid = CivilTime(year: y, month: m, day: d, hour: 0, minute: 0).isValid
            if !valid || CivilTime.daysFromCivil(year: y, month: m, day: d) != day { mismatches.append(day) }
        }
        #expect(mismatches.isEmpty)
        // Consecutive days follow each other in the calendar, across month and year ends.
        let dates = (-1000...1000).map { CivilTime.civilFromDays(Int64($0)) }
        #expect(zip(dates, dates.dropFirst()).allSatisfy { $0 < $1 })
        #expect(CivilTime.civilFromDays(-1) == (1969, 12, 31))
        #expect(CivilTime.civilFromDays(59) == (1970, 3, 1))
    }

    @Test func secondsAsIfUTCRoundTrip() {
        for seconds in stride(from: Int64(-5_000_000_000), through: 5_000_000_000, by: 86_399 * 37 + 13) {
            let civil = CivilTime(secondsAsIfUTC: seconds)
            #expect(civil.isValid)
            #expect(civil.secondsAsIfUTC == seconds)
        }
    }

    @Test func validity() {
        #expect(CivilTime(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59).isValid)
        #expect(!CivilTime(year: 2023, month: 2, day: 29, hour: 0, minute: 0).isValid)
        #expect(!CivilTime(year: 2023, month: 6, day: 31, hour: 0, minute: 0).isValid)
        #expect(!CivilTime(year: 2023, month: 6, day: 30, hour: 24, minute: 0).isValid)
    }
}
