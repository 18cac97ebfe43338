/// Who may run jobs, until when, under which fencing token.
public struct Lease: Equatable, Sendable {
    /// A unique id per worker process (`machine:pidNamespace:pid:random`).
    public var holder: String
    public var pid: Int
    /// The holder's hostname, for people; `machine` is what identifies it.
    public var host: String
    /// The holder's boot id: distinct for every machine (and every boot), unlike hostnames.
    public var machine: String
    /// The fencing token: one more at every acquisition, never reused.
    public var generation: Int64
    public var acquiredAt: Instant
    public var expiresAt: Instant

    public init(holder: String, pid: Int, host: String, machine: String, generation: Int64,
                acquiredAt: Instant, expiresAt: Instant) {
        (self.holder, self.pid, self.host, self.machine) = (holder, pid, host, machine)
        (self.generation, self.acquiredAt, self.expiresAt) = (generation, acquiredAt, expiresAt)
    }
}

/// What a job run writes under: the lease as this process holds it. A write carrying a fence
/// commits only while the lease row still names this holder and generation and is unexpired.
public struct Fence: Equatable, Sendable {
    public var holder: String
    public var generation: Int64
    /// How far each fenced write pushes the lease's expiry.
    public var ttl: Interval

    public init(holder: String, generation: Int64, ttl: Interval) {
        (self.holder, self.generation, self.ttl) = (holder, generation, ttl)
    }
}

/// A fenced write found the lease gone (expired, or taken by another holder): it was rolled back.
public struct LeaseLost: Error, CustomStringConvertible, Sendable {
    public let generation: Int64
    public var description: String {
        "the job lease (generation \(generation)) was lost: the write was refused and rolled back"
    }
}

/// Why a run started.
public enum RunKind: String, Sendable {
    /// A slot of the job's schedule (recorded once per slot).
    case schedule
    /// Work appeared before the next slot (a task fell due).
    case wake
    /// Someone pressed "Run now".
    case manual
}

/// How a run ended.
public enum RunOutcome: String, Sendable {
    case running, ok, failed
    case leaseLost = "lease lost"
    /// It reached its time limit; no batch was started past it, and the next run does the rest.
    case timedOut = "timed out"
}

/// A batch was asked for past the run's time limit: nothing was written, and the run ends "timed out".
public struct TimeLimitReached: Error, CustomStringConvertible, Sendable {
    /// The limit (`jobs.NAME.timeout`).
    public let limit: Interval
    /// For the log and the run's error column.
    public var description: String { "the run reached its time limit of \(limit); no batch is started past it" }
}

/// One recorded run of a background job.
public struct JobRun: Equatable, Sendable {
    public var job: String
    public var startedAt: Instant
    public var durationMicroseconds: Int64
    /// Tasks the run changed (completed, purged).
    public var affected: Int
    /// Why the run failed; nil when it succeeded.
    public var error: String?
    /// The schedule slot it served; nil for wake-ups and manual runs.
    public var slot: Instant?
    public var kind: RunKind = .schedule
    /// The lease it ran under.
    public var generation: Int64 = 0
    public var holder: String = ""
    public var outcome: RunOutcome = .ok
    /// How many holders (or retries) worked on this slot.
    public var attempts = 1

    public init(job: String, startedAt: Instant, durationMicroseconds: Int64, affected: Int, error: String?) {
        (self.job, self.startedAt, self.durationMicroseconds) = (job, startedAt, durationMicroseconds)
        (self.affected, self.error) = (affected, error)
        outcome = error == nil ? .ok : .failed
    }
}

/// A job's durable schedule state, one row of `job_schedule`.
public struct ScheduleState: Equatable, Sendable {
    public var job: String
    /// The schedule as written (`every 5m`, `cron 0 3 * * *`); a change is noticed at start.
    public var schedule: String
    /// The next slot not yet run.
    public var nextRun: Instant
    public var lastSlot: Instant?
    public var lastOutcome: RunOutcome?
    public var lastGeneration: Int64?
    public var lastHolder: String?
    /// Slots that passed without a run of their own while no worker ran the job (collapsed into
    /// one catch-up, or skipped by the misfire policy).
    public var misfires: Int
    /// Slots that passed while the job was paused: skipped on purpose, so not misfires.
    public var skipped = 0
    /// The job's pause, if someone paused it; written only by `JobStore.pause` and `resume`, never
    /// by the holder's schedule writes.
    public var pause: JobPause?

    public init(job: String, schedule: String, nextRun: Instant, lastSlot: Instant? = nil, lastOutcome: RunOutcome? = nil,
                lastGeneration: Int64? = nil, lastHolder: String? = nil, misfires: Int = 0) {
        (self.job, self.schedule, self.nextRun, self.lastSlot) = (job, schedule, nextRun, lastSlot)
        (self.lastOutcome, self.lastGeneration, self.lastHolder, self.misfires) = (lastOutcome, lastGeneration, lastHolder, misfires)
    }
}

/// An operator's pause of one job, kept in its `job_schedule` row so every worker honours it.
public struct JobPause: Equatable, Sendable {
    /// When it was paused (kept when a paused job is paused again with a new reason or until-time).
    public var since: Instant
    /// Who paused it: a Unix user from the command line, or the web or API client.
    public var by: String
    /// Why, in the pauser's words (trimmed; nil when none was given).
    public var reason: String?
    /// When it resumes by itself; nil: until someone resumes it.
    public var until: Instant?

    /// A pause from `since`, by `by`, with an optional reason and end.
    public init(since: Instant, by: String, reason: String? = nil, until: Instant? = nil) {
        (self.since, self.by, self.reason, self.until) = (since, by, reason, until)
    }

    /// True while the pause holds: it has no until-time, or that is still ahead.
    public func isActive(at now: Instant) -> Bool { until.map { now < $0 } ?? true }
}

/// A slot was not claimed because its job is paused: nothing was written.
public struct JobIsPaused: Error, CustomStringConvertible, Sendable {
    /// The paused job.
    public let job: String
    /// Its pause, as the claim found it.
    public let pause: JobPause
    /// For the log.
    public var description: String { "\(job) is paused (since \(pause.since), by \(pause.by))" }
}
