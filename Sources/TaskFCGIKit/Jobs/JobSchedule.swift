/// When a job's slots fall: every fixed interval, or on a cron expression in the configured zone.
public enum JobTrigger: Equatable, Sendable, CustomStringConvertible {
    /// Slots on a grid of `interval` steps from the job's first slot.
    case every(Interval)
    /// Slots where the cron expression matches the civil time in the zone.
    case cron(CronExpression)

    /// As stored in `job_schedule.schedule` and shown on `/jobs`: `every 5m`, `cron 0 3 * * *`.
    public var description: String {
        switch self {
        case .every(let interval): return "every \(interval)"
        case .cron(let expression): return "cron \(expression.text)"
        }
    }

    /// The slot after `slot`; nil if the expression never matches again.
    public func nextSlot(after slot: Instant, in zone: Zone) -> Instant? {
        switch self {
        case .every(let interval): return slot.adding(interval)
        case .cron(let expression): return expression.nextSlot(after: slot, in: zone)
        }
    }

    /// The first slot of a job that has none yet, or whose schedule changed: an interval job runs
    /// at once (or one interval after its last slot), a cron job at its next match.
    public func firstSlot(now: Instant, lastSlot: Instant?, in zone: Zone) -> Instant {
        switch self {
        case .every(let interval): return lastSlot.map { max($0.adding(interval), now) } ?? now
        case .cron: return nextSlot(after: now, in: zone) ?? .never
        }
    }
}

extension JobTrigger {
    /// The next `count` slots after `now`, for previews: from the durable next slot `next` when it
    /// lies ahead, else from the slot grid past `now` (a due slot runs at once and is not shown).
    public func upcoming(after now: Instant, next: Instant?, in zone: Zone, count: Int) -> [Instant] {
        var slot: Instant?
        if let next, next > now {
            slot = next
        } else if let next {
            slot = nextSlot(after: SlotDecision.latest(from: next, atOrBefore: now, self, zone).0, in: zone)
        } else {
            slot = nextSlot(after: now, in: zone)
        }
        var result: [Instant] = []
        while let found = slot, found != .never, result.count < count {
            result.append(found)
            slot = nextSlot(after: found, in: zone)
        }
        return result
    }
}

/// What to do about slots that passed while no worker ran the job.
public enum MisfirePolicy: String, Sendable, CaseIterable {
    /// Run once to catch up, whatever the number of slots missed.
    case once
    /// Do nothing until the next slot.
    case skip
}

/// What the runner should do about a job's schedule now: pure logic, driven by the clock.
public enum SlotDecision: Equatable, Sendable {
    /// Nothing is due before `until`.
    case wait(until: Instant)
    /// Run `slot`; `missed` earlier slots were collapsed into it; the schedule then moves to `next`.
    case run(slot: Instant, missed: Int, next: Instant)
    /// The due slots are too late and the policy is skip: `missed` slots pass without a run.
    case skip(missed: Int, next: Instant)

    /// A slot this much late or less is simply on time (the thread was busy); later, it misfired.
    public static let grace = Interval.minutes(1)
    /// Past this many missed slots the count stops (a per-minute cron down for years).
    static let countLimit = 100_000

    /// Decides for a schedule whose next unrun slot is `next`.
    public static func decide(next: Instant, now: Instant, trigger: JobTrigger, zone: Zone,
                              policy: MisfirePolicy) -> SlotDecision {
        guard next <= now else { return .wait(until: next) }
        var (slot, missed) = latest(from: next, atOrBefore: now, trigger, zone)
        let following = trigger.nextSlot(after: slot, in: zone) ?? .never
        if now.since(slot) <= grace || policy == .once { return .run(slot: slot, missed: missed, next: following) }
        missed += 1
        return .skip(missed: missed, next: following)
    }

    /// The last slot at or before `now`, walking from `first`, and how many slots it passed.
    static func latest(from first: Instant, atOrBefore now: Instant, _ trigger: JobTrigger, _ zone: Zone) -> (Instant, Int) {
        if case .every(let interval) = trigger {
            let steps = (now.milliseconds - first.milliseconds) / max(interval.milliseconds, 1)
            return (Instant(milliseconds: first.milliseconds + steps * interval.milliseconds), Int(clamping: steps))
        }
        var (slot, passed) = (first, 0)
        while let next = trigger.nextSlot(after: slot, in: zone), next <= now, passed < countLimit {
            (slot, passed) = (next, passed + 1)
        }
        if passed == countLimit, let recent = trigger.nextSlot(after: now.adding(.days(-1)), in: zone), recent <= now {
            return (latest(from: recent, atOrBefore: now, trigger, zone).0, passed)
        }
        return (slot, passed)
    }
}

extension Instant {
    /// A slot that never comes (a cron expression that matches no date any more): 9999-12-31.
    public static let never = Instant(milliseconds: 253_402_300_799_000)
}

/// The pause after `failures` failures in a row: 1 s, 2 s, 4 s … up to 60 s.
public func retryBackoff(failures: Int) -> Interval {
    let exponent = Int64(min(max(failures - 1, 0), 6))
    return .seconds(min(Int64(1) << exponent, 60))
}
