import Testing
@testable import TaskFCGIKit

// Properties of `nextSlot` over a whole year, and a brute-force reference around each transition.
extension CronTests {
    /// Expressions and zones the property tests combine: steps, a daily time in a gap, a whole skipped hour, both day fields.
    static let propertyExpressions = [
        "*/30 * * * *", "15 2 * * *", "* 2 * * *", "*/20 1-3 * * *", "45 1 1,15 * sun", "0 */3 * * mon-fri",
        "0 0 29 2 *",
    ]
    static let propertyZones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]

    // Walking a year: instants strictly increase. A fixed-time expression's slot is its matching civil
    // minute's first instant or the end of a gap holding a matching minute, and no two share a
    // wall-clock minute; a wildcard expression's slot is an instant whose wall clock matches.
    @Test(arguments: propertyExpressions)
    func walkingAYear(_ text: String) throws {
        let cron = try CronExpression(parsing: text)
        for identifier in Self.propertyZones {
            let zone = try #require(Zone(identifier: identifier))
            var previous = utc(2027, 1, 1), seen = Set<Int64>(), problems: [String] = []
            while let slot = cron.nextSlot(after: previous, in: zone), slot < utc(2028, 1, 1) {
                let civil = zone.civilTime(at: slot)
                if slot <= previous { problems.append("\(slot) not after \(previous)") }
                if cron.runsByWallClock {
                    if !(cron.matches(civil) && civil.second == 0) { problems.append("\(slot) does not match") }
                } else {
                    if !seen.insert(civil.secondsAsIfUTC / 60).inserted { problems.append("\(slot): minute seen before") }
                    let exact = cron.matches(civil) && civil.second == 0 && Self.firstInstant(of: civil, in: zone) == slot
                    if !exact && !Self.isGapEnd(slot, holdingAMatchOf: cron, in: zone) { problems.append("\(slot) does not match") }
                }
                seen.insert(civil.secondsAsIfUTC / 60)
                previous = slot
            }
            #expect(problems.isEmpty, "\(text) in \(identifier): \(problems.prefix(5))")
            #expect(!seen.isEmpty || text == "0 0 29 2 *", "\(text) in \(identifier): no slots")
        }
    }

    // Two days either side of each 2027 transition, `nextSlot` finds what a minute-by-minute scan
    // finds using nothing but the zone's offsets.
    @Test(arguments: propertyExpressions)
    func agreesWithBruteForceAroundTransitions(_ text: String) throws {
        let cron = try CronExpression(parsing: text)
        for identifier in Self.propertyZones {
            let zone = try #require(Zone(identifier: identifier))
            for transition in Self.transitions(in: zone, year: 2027) {
                let (start, end) = (transition.instant.adding(.days(-2)), transition.instant.adding(.days(2)))
                var walked: [Instant] = [], from = start
                while let slot = cron.nextSlot(after: from, in: zone), slot <= end { walked.append(slot); from = slot }
                let expected = Self.bruteForceSlots(cron, in: zone, after: start, through: end)
                // The first difference only: the whole lists run to hundreds of instants.
                let differ = (0..<min(walked.count, expected.count)).first { walked[$0] != expected[$0] }
                    ?? min(walked.count, expected.count)
                let found = differ < walked.count ? walked[differ].description : "nothing"
                let wanted = differ < expected.count ? expected[differ].description : "nothing"
                #expect(found == wanted, "\(text) in \(identifier) around \(transition.instant), slot \(differ)")
            }
        }
    }

    /// 100 slots of each expression, far into the future for the rare ones (29 February on a
    /// Sunday reaches past 4000). Prints the cost per call (about 20 µs in a debug build here); a
    /// speed figure, not a pass mark: a busy machine must not fail it.
    @Test func nextSlotWalksFarAhead() throws {
        let zone = Self.berlin
        var calls = 0
        let started = monotonicMicroseconds()
        for text in ["* * * * *", "0 0 29 2 *", "0 0 29 2 */7", "45 1 1,15 * sun", "*/15 2 * * *", "0 9 * * mon-fri"] {
            let cron = try CronExpression(parsing: text)
            var from = utc(2027, 1, 1), slots = 0
            for _ in 0..<100 {
                calls += 1
                guard let next = cron.nextSlot(after: from, in: zone) else { break }
                #expect(next > from)
                (from, slots) = (next, slots + 1)
            }
            #expect(slots == 100, "\(text): \(slots) slots")
        }
        print("[cron] nextSlot: \((monotonicMicroseconds() - started) / Int64(calls)) µs per call over \(calls) calls")
    }

    /// The first instant at which `zone`'s wall clock reads `civil`: a unique time or the earlier of two.
    static func firstInstant(of civil: CivilTime, in zone: Zone) -> Instant? {
        switch zone.resolve(civil) {
        case .unique(let instant), .ambiguous(let instant, _): return instant
        case .skipped: return nil
        }
    }

    /// True when the clocks jump forward at `slot` past a civil minute `cron` matches.
    static func isGapEnd(_ slot: Instant, holdingAMatchOf cron: CronExpression, in zone: Zone) -> Bool {
        let before = zone.civilTime(at: slot.adding(.seconds(-1))).secondsAsIfUTC
        let after = zone.civilTime(at: slot).secondsAsIfUTC
        guard after > before + 1 else { return false }
        return stride(from: before + 1, to: after, by: 1).contains { $0 % 60 == 0 && cron.matches(CivilTime(secondsAsIfUTC: $0)) }
    }

    /// Slots found minute by minute from offsets alone. A wildcard expression's: every whole UTC minute
    /// whose wall clock matches. A fixed-time one's: an instant on a whole minute when a matching civil
    /// minute lies after every wall-clock time shown before it, up to its own.
    /// (Every offset in these zones is a whole number of minutes, so slots fall on whole UTC minutes.)
    static func bruteForceSlots(_ cron: CronExpression, in zone: Zone, after start: Instant, through end: Instant) -> [Instant] {
        func wallClock(_ instant: Instant) -> Int64 { instant.milliseconds / 1000 + Int64(zone.offset(at: instant)) }
        if cron.runsByWallClock {
            return stride(from: start.milliseconds / 60_000 + 1, through: end.milliseconds / 60_000, by: 1)
                .map { Instant(milliseconds: $0 * 60_000) }
                .filter { cron.matches(CivilTime(secondsAsIfUTC: wallClock($0))) }
        }
        var latestShown = wallClock(start), slots: [Instant] = []
        var instant = start
        while instant < end {
            instant = instant.adding(.minutes(1))
            let shown = wallClock(instant)
            latestShown = max(latestShown, wallClock(instant.adding(.seconds(-1))))
            let firstNew = (latestShown.floorDiv(60) + 1) * 60
            if stride(from: firstNew, through: shown, by: 60).contains(where: { cron.matches(CivilTime(secondsAsIfUTC: $0)) }) {
                slots.append(instant)
            }
            latestShown = max(latestShown, shown)
        }
        return slots
    }
}
