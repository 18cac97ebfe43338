/// When one job runs next: pure logic, driven by the runner with the clock's readings.
public struct JobSchedule: Equatable, Sendable {
    /// The longest gap between runs.
    public let interval: Interval
    /// When the job should run next.
    public private(set) var nextRun: Instant
    /// Failures in a row; reset by a success.
    public private(set) var failures = 0

    /// A schedule that runs at once at `start`: the catch-up after downtime.
    public init(interval: Interval, start: Instant) {
        self.interval = interval
        self.nextRun = start
    }

    /// After a successful run: the earlier of the next known work and one interval from now.
    public mutating func succeeded(at now: Instant, nextWork: Instant?) {
        failures = 0
        nextRun = min(now.adding(interval), nextWork ?? now.adding(interval))
    }

    /// After a failed run: wait 1 s, 2 s, 4 s … up to 60 s before trying again.
    public mutating func failed(at now: Instant) {
        failures += 1
        nextRun = now.adding(Self.backoff(failures: failures))
    }

    /// New work appeared (a task was created or moved): run by then, unless backing off after a failure.
    public mutating func workAppeared(at instant: Instant) {
        guard failures == 0 else { return }
        nextRun = min(nextRun, instant)
    }

    /// The pause after `failures` failures in a row.
    public static func backoff(failures: Int) -> Interval {
        let exponent = Int64(min(max(failures - 1, 0), 6))
        return .seconds(min(Int64(1) << exponent, 60))
    }
}
