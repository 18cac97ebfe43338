/// When a cron expression runs: its slots as instants in a time zone.
///
/// Around daylight saving changes it does what Vixie cron (and cronie, Debian's cron) do, deciding
/// by the expression alone:
/// - a **wildcard** expression, whose minute or hour field starts with `*` (`*/15 * * * *`,
///   `0 * * * *`, `@hourly`), runs by the wall clock: at every instant whose local time matches, so
///   twice through a repeated hour, and never for local times a gap skips;
/// - a **fixed-time** expression (`30 2 * * *`, `@daily`) runs once per matching local time: a
///   time the clocks skip at the first instant after the gap, a time they pass twice at its first
///   occurrence only.
extension CronExpression {
    /// How many years past the start `nextSlot` searches. The Gregorian calendar repeats every 400
    /// years, weekdays included, so an expression that matches at all matches within them
    /// (29 February on a Sunday comes every 28 years, or 40 across 2100); parsing refuses the rest.
    static let searchYears = 400

    /// True when the expression runs by the wall clock across DST changes: its minute or hour field
    /// starts with `*`, as Vixie cron decides it.
    public var runsByWallClock: Bool { minutes.isStar || hours.isStar }

    /// The first slot strictly after `instant`, evaluated in `zone`; nil if the expression never
    /// matches again or `instant` lies outside years 1–9999. See the type's notes for DST changes;
    /// offsets may change by any amount (Australia/Lord_Howe shifts by 30 minutes).
    public func nextSlot(after instant: Instant, in zone: Zone) -> Instant? {
        let now = zone.civilTime(at: instant)
        guard (1...9999).contains(now.year) else { return nil }
        let lastYear = now.year + Self.searchYears
        if runsByWallClock { return nextWallClockSlot(after: instant, in: zone, throughYear: lastYear) }
        // A civil minute's slot is the first instant its wall clock reads that minute or later, which
        // never decreases as the minute grows. Minutes up to `now` have slots at or before `instant`;
        // later ones may too while the clock repeats an hour, so they are skipped until one is after.
        var from = Self.minute(after: now)
        while let match = firstMatch(atOrAfter: from, throughYear: lastYear) {
            let slot = Self.slotInstant(for: match, in: zone)
            if slot > instant { return slot }
            from = Self.minute(after: match)
        }
        return nil
    }

    /// A wildcard expression's next slot: the offset is constant between two transitions, so each
    /// such stretch maps civil minutes to instants one to one. The first match in the stretch that
    /// holds `instant` is the slot if it falls before the stretch ends; else the search goes on
    /// from the transition, in the next stretch's wall-clock time (back into a repeated hour, or
    /// past a gap's skipped times).
    private func nextWallClockSlot(after instant: Instant, in zone: Zone, throughYear lastYear: Int) -> Instant? {
        var (start, strictlyAfter) = (instant, true)
        while true {
            let offset = Int64(zone.offset(at: start))
            let local = start.milliseconds.floorDiv(1000) + offset
            // After `instant` the next whole minute; from a transition (a whole second) that minute itself.
            let firstMinute = strictlyAfter ? (local.floorDiv(60) + 1) * 60 : (local + 59).floorDiv(60) * 60
            guard let match = firstMatch(atOrAfter: CivilTime(secondsAsIfUTC: firstMinute), throughYear: lastYear) else {
                return nil
            }
            let slot = Instant(milliseconds: (match.secondsAsIfUTC - offset) * 1000)
            guard let change = zone.nextTransition(after: start), slot >= change else { return slot }
            (start, strictlyAfter) = (change, false)
        }
    }

    /// Nil when the expression matches some minute within a 400-year cycle, else why it never
    /// does. Only a day of month that no allowed month has can cause that: every date falls on
    /// every weekday within the cycle, and a restricted day of week alone matches in every month.
    func neverMatchesReason() -> String? {
        let start = CivilTime(year: 2001, month: 1, day: 1, hour: 0, minute: 0)
        guard firstMatch(atOrAfter: start, throughYear: start.year + Self.searchYears - 1) == nil else { return nil }
        let days = (1...31).filter(daysOfMonth.contains).map(String.init)
        let names = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                     "October", "November", "December"]
        let months = (1...12).filter(self.months.contains).map { names[$0 - 1] }
        func list(_ items: [String], _ last: String) -> String {
            items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " \(last) " + items[items.count - 1]
        }
        // "February has no day 30 or 31", "April and June have no day 31".
        return "never matches: \(list(months, "and")) \(months.count == 1 ? "has" : "have") no day \(list(days, "or"))"
    }

    /// True when the civil time's minute matches the expression (seconds are ignored).
    func matches(_ civil: CivilTime) -> Bool {
        months.contains(civil.month) && matchesDay(year: civil.year, month: civil.month, day: civil.day)
            && hours.contains(civil.hour) && minutes.contains(civil.minute)
    }

    /// Whether a date matches by day of month and day of week.
    func matchesDay(year: Int, month: Int, day: Int) -> Bool {
        let byDate = daysOfMonth.contains(day)
        let byWeekday = daysOfWeek.contains(CivilTime(year: year, month: month, day: day, hour: 0, minute: 0).weekday)
        // Vixie cron: if both day fields are restricted, either one suffices; a `*` field must agree.
        return daysOfMonth.isStar || daysOfWeek.isStar ? byDate && byWeekday : byDate || byWeekday
    }

    /// The instant a slot at civil time `civil` runs in `zone`: the first instant its wall clock
    /// reads `civil` or later (the earlier of two, or the end of a gap that skips it).
    static func slotInstant(for civil: CivilTime, in zone: Zone) -> Instant {
        switch zone.resolve(civil) {
        case .unique(let instant), .ambiguous(let instant, _): return instant
        case .skipped: return gapEnd(skipping: civil, in: zone)
        }
    }

    /// The first matching civil minute at or after `start`, skipping whole months, days and hours
    /// that cannot match; nil once past `lastYear`.
    private func firstMatch(atOrAfter start: CivilTime, throughYear lastYear: Int) -> CivilTime? {
        var (year, month, day, hour, minute) = (start.year, start.month, start.day, start.hour, start.minute)
        while year <= lastYear {
            guard let nextMonth = months.next(atOrAfter: month) else {
                (year, month, day, hour, minute) = (year + 1, 1, 1, 0, 0)
                continue
            }
            if nextMonth != month { (month, day, hour, minute) = (nextMonth, 1, 0, 0) }
            guard let nextDay = firstDay(year: year, month: month, from: day) else {
                (month, day, hour, minute) = (month + 1, 1, 0, 0)
                continue
            }
            if nextDay != day { (day, hour, minute) = (nextDay, 0, 0) }
            guard let nextHour = hours.next(atOrAfter: hour) else {
                (day, hour, minute) = (day + 1, 0, 0)
                continue
            }
            if nextHour != hour { (hour, minute) = (nextHour, 0) }
            guard let nextMinute = minutes.next(atOrAfter: minute) else {
                (hour, minute) = (hour + 1, 0)
                continue
            }
            return CivilTime(year: year, month: month, day: day, hour: hour, minute: nextMinute)
        }
        return nil
    }

    /// The first matching day of the month from `day` on, or nil.
    private func firstDay(year: Int, month: Int, from day: Int) -> Int? {
        let last = CivilTime.daysIn(month: month, year: year)
        guard day <= last else { return nil }
        return (day...last).first { matchesDay(year: year, month: month, day: $0) }
    }

    /// The civil minute after the one `civil` falls in, at second 0.
    private static func minute(after civil: CivilTime) -> CivilTime {
        CivilTime(secondsAsIfUTC: (civil.secondsAsIfUTC.floorDiv(60) + 1) * 60)
    }

    /// The instant the clocks jump past the skipped `civil`: the first second whose wall-clock time
    /// is later. Offsets are under a day, so the jump lies within a day either side; there the wall
    /// clock only rises, given one transition at most (what `Zone.resolve` assumes as well).
    private static func gapEnd(skipping civil: CivilTime, in zone: Zone) -> Instant {
        let target = civil.secondsAsIfUTC
        func wallClock(_ seconds: Int64) -> Int64 {
            seconds + Int64(zone.offset(at: Instant(milliseconds: seconds * 1000)))
        }
        // Invariant: wallClock(low) <= target < wallClock(high).
        var (low, high) = (target - 86_400, target + 86_400)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if wallClock(middle) > target { high = middle } else { low = middle }
        }
        return Instant(milliseconds: high * 1000)
    }
}
