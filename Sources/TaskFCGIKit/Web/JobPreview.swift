import Foundation

/// What `/jobs`, `/status` and `GET /api/jobs` show of a job's pause and of its coming slots,
/// from the durable schedule row (the same on every worker) and this worker's config.
enum JobPreview {
    /// How many coming slots are shown.
    static let slotCount = 5

    /// The next slots of `name`; empty when this worker does not run it (disabled, or unknown).
    static func nextSlots(_ name: String, _ schedule: ScheduleState?, _ app: AppContext) -> [Instant] {
        guard let job = app.jobs?.scheduledJob(name), job.enabled else { return [] }
        // A schedule changed in the config but not yet written by the holder previews the config's.
        let next = schedule?.schedule == job.trigger.description ? schedule?.nextRun : nil
        return job.trigger.upcoming(after: app.clock.now(), next: next, in: app.zone, count: slotCount)
    }

    /// The pause in force at `now`, if any (an expired one no holder has lifted yet is none).
    static func activePause(_ schedule: ScheduleState?, now: Instant) -> JobPause? {
        schedule?.pause.flatMap { $0.isActive(at: now) ? $0 : nil }
    }

    /// `{"since", "by", "reason", "until"}` for the JSON answers; NSNull when not paused.
    static func pauseJSON(_ pause: JobPause?) -> Any {
        guard let pause else { return NSNull() }
        return ["since": pause.since.description, "by": pause.by, "reason": pause.reason.map { $0 as Any } ?? NSNull(),
                "until": pause.until.map { $0.description as Any } ?? NSNull()] as [String: Any]
    }

    /// Each slot in the zone (RFC 3339 with its offset) and in UTC.
    static func slotsJSON(_ slots: [Instant], zone: Zone) -> [[String: String]] {
        slots.map { ["at": RFC3339.format($0, in: zone), "utc": $0.description] }
    }
}
