import Foundation

/// A kind of queued job: the extension point for work the app hands to its jobs. A kind is a
/// small `Sendable` type; `perform` gets one attempt's job and says how it went. To be safe it
/// must be idempotent for its effects outside the database (a delivery may be repeated after a
/// crash) and return within `timeout`: past it (plus a grace) the claim is taken back and the
/// attempt's result, if it ever comes, is not recorded.
public protocol QueueKind: Sendable {
    /// The `kind` column, and `[queue:NAME]` in the log.
    var name: String { get }
    /// How long one attempt may take before its claim may be rescued.
    var timeout: Interval { get }
    /// How long a failed attempt waits before the next.
    var backoff: Backoff { get }
    /// Works one attempt.
    func perform(_ job: ClaimedJob, _ context: QueueContext) -> QueueOutcome
}

/// What an attempt works with besides its job: the clock, the log, and this thread's queue
/// store (for a kind that keeps state of its own, such as disabled webhook endpoints).
public struct QueueContext {
    public let now: Instant
    public let log: Log
    public let store: any QueueStore
}

/// Exponential backoff with jitter: attempt n waits `first × 2^(n-1)`, capped at `max`, then
/// scaled by a random factor in 0.75…1.25 so failed jobs do not all come back at once.
public struct Backoff: Sendable, Equatable {
    public var first: Interval
    public var max: Interval

    public init(first: Interval, max: Interval) { (self.first, self.max) = (first, max) }

    /// The wait before attempt `attempt + 1`, without jitter.
    public func base(after attempt: Int) -> Interval {
        let doublings = Swift.min(Swift.max(attempt - 1, 0), 40)
        let (scaled, overflow) = first.milliseconds.multipliedReportingOverflow(by: Int64(1) << doublings)
        return Interval(milliseconds: overflow ? max.milliseconds : Swift.min(scaled, max.milliseconds))
    }

    /// The wait before attempt `attempt + 1`, with jitter.
    public func delay<G: RandomNumberGenerator>(after attempt: Int, using random: inout G) -> Interval {
        let base = Double(self.base(after: attempt).milliseconds)
        return Interval(milliseconds: Int64(base * Double.random(in: 0.75...1.25, using: &random)))
    }
}
