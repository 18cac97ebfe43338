/// When a cron expression runs: its slots as instants in a time zone.
extension CronExpression {
    /// How many years past the start `nextSlot` searches. Any expression that can match at all does
    /// so within 8 years (29 February skips 2100), so nil means it never matches (`0 0 30 2 *`).
    static let searchYears = 8

    /// The first slot strictly after `instant`, evaluated in `zone`; nil if the expression never
    /// matches (nothing within 8 years, e.g. `0 0 30 2 *`) or `instant` lies outside years 1–9999.
    ///
    /// Slots are the civil minutes in `zone` that match, at second 0, each run once:
    /// - a time the clocks skip (02:30 on a spring-forward day) runs at the first instant after the
    ///   gap, the transition itself (03:00 local); several skipped times, and a match on the first
    ///   minute after the gap, share that one slot;
    /// - a time the clocks pass twice (fall back) runs at its first occurrence only, so the repeated
    ///   hour adds no slots for times already seen.
    /// Offsets may change by any amount (Australia/Lord_Howe shifts by 30 minutes).
    public func nextSlot(after instant: Instant, in zone: Zone) -> Instant? {
        let now = zone.civilTime(at: instant)
        guard (1...9999).contains(now.year) else { return nil }
        // A civil minute's slot is the first instant its wall clock reads that minute or later, which
        // never decreases as the minute grows. Minutes up to `now` have slots at or before `instant`;
        // later ones may too while the clock repeats an hour, so they are skipped until one is after.
        var from = Self.minute(after: now)
        while let match = firstMatch(atOrAfter: from, throughYear: now.year + Self.searchYears) {
            let slot = Self.slotInstant(for: match, in: zone)
            if slot > instant { return slot }
            from = Self.minute(after: match)
        }
        return nil
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
