/// Pausing and resuming jobs: the one place every way of doing it goes through — the dashboard's
/// buttons, the API, `taskfcgi jobs pause|resume`, and the job thread lifting a pause whose
/// until-time passed. Each act is audited here, once, beside the write.
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

    /// Pauses `job` (a registered job) for `who`: from now until `until`, or until resumed.
    /// Refuses an until-time that is not in the future and an over-long reason. Audited, refused or not.
    public static func pause(_ job: ScheduledJob, by who: Operator, reason: String?, until: Instant?, store: JobStore,
                             zone: Zone, now: Instant, log: Log) throws -> JobPause {
        let name = job.job.name
        do {
            let reason = reason?.trimmed().nilIfEmpty
            if let reason, reason.count > reasonLimit {
                throw Refusal(message: "The reason is \(reason.count) characters long; at most \(reasonLimit) are kept.")
            }
            if let until, until <= now { throw Refusal(message: "The pause must end in the future; \(until) has passed.") }
            // A job no worker has scheduled yet gets its row now, with the first slot it would have had.
            let fresh = ScheduleState(job: name, schedule: job.trigger.description,
                                      nextRun: job.trigger.firstSlot(now: now, lastSlot: nil, in: zone))
            let pause = try store.pause(name, JobPause(since: now, by: who.user, reason: reason, until: until),
                                        fresh: fresh, now: now)
            audit(who, "pause", name, until.map { "ok, until \($0)" } ?? "ok", now: now, store: store, log: log)
            return pause
        } catch {
            audit(who, "pause", name, error is Refusal ? "refused" : "failed", now: now, store: store, log: log)
            throw error
        }
    }

    /// Lifts `job`'s pause for `who`; returns the pause lifted, nil when it was not paused.
    /// `expired` is set by the job thread, which lifts only a pause whose until-time has passed.
    public static func resume(_ job: String, by who: Operator, store: JobStore, now: Instant, log: Log,
                              expired: JobPause? = nil) throws -> JobPause? {
        do {
            let lifted = try store.resume(job, now: now, onlyIfExpired: expired != nil)
            audit(who, "resume", job, lifted == nil ? "not paused" : "ok", now: now, store: store, log: log)
            return lifted
        } catch {
            audit(who, "resume", job, "failed", now: now, store: store, log: log)
            throw error
        }
    }

    /// The job thread's name in the audit when it lifts a pause whose until-time passed.
    public static let untilPassed = Operator(user: "-", peer: "job thread")

    private static func audit(_ who: Operator, _ action: String, _ job: String, _ outcome: String, now: Instant,
                              store: JobStore, log: Log) {
        Audit.record(AuditEntry(at: now, user: who.user, peer: who.peer, action: action, job: job, outcome: outcome),
                     log: log, store: store)
    }
}

extension String {
    /// Nil for the empty string, so optional text fields read as absent.
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
