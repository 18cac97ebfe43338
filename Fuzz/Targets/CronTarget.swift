// Fuzz target "cron": `CronExpression(parsing:)` and `nextSlot(after:in:)`.
//
// Input: a zone byte, a start byte, then the expression text (UTF-8, decoded lossily). The zone
// byte modulo 4 picks the zone as in the "duedate" target (0 UTC, 1 Europe/Berlin,
// 2 America/New_York, 3 Australia/Lord_Howe); the start byte modulo 8 picks an hour before one of
// their 2027 transitions (or 1 January 2027, or 1 March 2096 before the leap-day gap across 2100),
// and divided by 8 adds that many times 97 s, so starts fall off whole minutes too.
// Checked properties:
// - parsing gives an expression or a `CronError` whose message names a field correctly when it
//   names one; an expression keeps the trimmed text and parses again to itself;
// - walking `nextSlot` up to 24 times gives strictly increasing instants on whole minutes; for a
//   wildcard expression (minute or hour starting with `*`) each at an instant whose wall clock
//   matches, for a fixed-time one each at a matching wall-clock minute's first occurrence or where
//   the clocks jump forward, and never the same wall-clock minute twice.

let fuzzCronStarts: [Instant] = [
    (2027, 1, 1, 0, 0), (2027, 3, 28, 0, 0), (2027, 10, 31, 0, 0), (2027, 3, 14, 6, 0),
    (2027, 11, 7, 5, 0), (2027, 4, 3, 14, 0), (2027, 10, 2, 14, 30), (2096, 3, 1, 0, 0),
].map { year, month, day, hour, minute in
    let civil = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute)
    return Instant(milliseconds: civil.secondsAsIfUTC * 1000)
}

@_cdecl("fuzz_cron")
public func fuzzCron(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard bytes.count >= 2 else { return 0 }
    let zone = fuzzZones[Int(bytes[0]) % fuzzZones.count]
    let start = fuzzCronStarts[Int(bytes[1]) % 8].adding(.seconds(Int64(bytes[1] / 8) * 97))
    let text = String(decoding: bytes.dropFirst(2), as: UTF8.self)
    let context = "\(zone.identifier) after \(start) \(fuzzEscaped(text.utf8))"
    let cron: CronExpression
    do throws(CronError) {
        cron = try CronExpression(parsing: text)
    } catch {
        fuzzCheckCronError(error, context: context)
        return 0
    }
    fuzzCheck(cron.text == text.trimmed(), "\(context): text kept as \(fuzzEscaped(cron.text.utf8))")
    fuzzCheck((try? CronExpression(parsing: cron.text)) == cron, "\(context): parsing the text again differs")
    fuzzWalkCron(cron, in: zone, after: start, context: context)
    return 0
}

/// A refusal says something, and a `field N (name)` prefix pairs the right number with the name.
func fuzzCheckCronError(_ error: CronError, context: String) {
    fuzzCheck(!error.message.isEmpty, "\(context): empty error message")
    guard error.message.hasPrefix("field ") else { return }
    let kinds: [CronFieldKind] = [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
    fuzzCheck(kinds.contains { error.message.hasPrefix("field \($0.number) (\($0.name)): ") },
              "\(context): error \(fuzzEscaped(error.message.utf8))")
}

/// Up to 24 slots from `start`: increasing, on whole minutes, matching (fixed-time: each wall-clock minute once).
func fuzzWalkCron(_ cron: CronExpression, in zone: Zone, after start: Instant, context: String) {
    var previous = start, minutesSeen = Set<Int64>()
    for _ in 0..<24 {
        guard let slot = cron.nextSlot(after: previous, in: zone) else { return }
        fuzzCheck(slot > previous && slot.milliseconds % 60_000 == 0, "\(context): slot \(slot) after \(previous)")
        let civil = zone.civilTime(at: slot)
        if cron.runsByWallClock {
            // By the wall clock: a repeated hour runs twice, a skipped time not at all.
            fuzzCheck(cron.matches(civil) && civil.second == 0, "\(context): wildcard slot \(slot) does not match")
            previous = slot
            continue
        }
        fuzzCheck(minutesSeen.insert(civil.secondsAsIfUTC / 60).inserted, "\(context): wall-clock minute of \(slot) twice")
        let firstTime: Bool
        switch zone.resolve(civil) {
        case .unique(let instant), .ambiguous(let instant, _): firstTime = instant == slot
        case .skipped: firstTime = false
        }
        // At a jump forward the slot may stand for a skipped minute, which its own civil time is not.
        let jumpsForward = zone.offset(at: slot) > zone.offset(at: slot.adding(.seconds(-1)))
        fuzzCheck((cron.matches(civil) && firstTime) || jumpsForward, "\(context): slot \(slot) does not match")
        previous = slot
    }
}
