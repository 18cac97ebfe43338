/// Pausing and resuming jobs: the one place every way of doing it goes through — the dashboard's
/// buttons, the API, `taskfcgi jobs pause|resume`, and the job thread lifting a pause whose
/// until-time passed. An audit record of each act belongs here, once, beside the write.
public enum JobControl {
    /// Why a pause or resume was refused, in words for the person who asked.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// What to change, in a sentence.
        public let message: String
        /// The message.
        public var description: String { message }
    }

    /// The longest reason kept, in characters as people count them.
    public static let reasonLimit = 500

    /// Pauses `job` (a registered job) for `actor`: from now until `until`, or until resumed.
    /// Refuses an until-time that is not in the future and an over-long reason.
    public static func pause(_ job: ScheduledJob, by actor: String, reason: String?, until: Instant?, store: JobStore,
                             zone: Zone, now: Instant) throws -> JobPause {
        let reason = reason?.trimmed().nilIfEmpty
        if let reason, reason.count > reasonLimit {
            throw Refusal(message: "The reason is \(reason.count) characters long; at most \(reasonLimit) are kept.")
        }
        if let until, until <= now { throw Refusal(message: "The pause must end in the future; \(until) has passed.") }
        // A job no worker has scheduled yet gets its row now, with the first slot it would have had.
        let fresh = ScheduleState(job: job.job.name, schedule: job.trigger.description,
                                  nextRun: job.trigger.firstSlot(now: now, lastSlot: nil, in: zone))
        let pause = try store.pause(job.job.name, JobPause(since: now, by: actor, reason: reason, until: until),
                                    fresh: fresh, now: now)
        // audit: job paused — job.job.name, actor, reason, until
        return pause
    }

    /// Lifts `job`'s pause for `actor`; returns the pause lifted, nil when it was not paused.
    /// `expired` is set by the job thread, which lifts only a pause whose until-time has passed.
    public static func resume(_ job: String, by actor: String, store: JobStore, now: Instant,
                              expired: JobPause? = nil) throws -> JobPause? {
        let lifted = try store.resume(job, now: now, onlyIfExpired: expired != nil)
        // audit: job resumed — job, actor, the pause lifted (nil: it was not paused)
        return lifted
    }
}

extension String {
    /// Nil for the empty string, so optional text fields read as absent.
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
