import Glibc

/// Sizes a sweep's batches by time rather than by rows, and yields between them.
///
/// A batch holds the shared write connection (a POST waits for at most one batch), and what its
/// rows cost in time changes with the machine's load and the size of the indexes: 1,000 rows took
/// 2.5 ms on a quiet 2-core machine and 7–12 ms on the same machine busy with builds. So the next
/// batch is sized from the rate the last ones reached, to take about `target`. After each batch the
/// job yields, so a writer queued for the connection (a POST) is not overtaken by the job's next
/// batch; with `rest` above 0 it also pauses for that share of the batch's time. (Measured on a
/// loaded machine: a rest of 0.5 made the 1M sweep under load ~1.5 times longer and did not
/// measurably lower GET p99, so the worker runs with none; see the README's Performance.)
public struct BatchPacer: Sendable {
    /// How long a batch should take, in nanoseconds.
    public let target: UInt64
    /// The pause after a batch, as a share of the batch's time.
    public let rest: Double
    /// The fewest and most rows in a batch.
    public let bounds: ClosedRange<Int>
    /// Rows to ask for in the next batch.
    public private(set) var rows: Int

    public init(target: UInt64 = 5_000_000, rest: Double = 0, first: Int = 1000, bounds: ClosedRange<Int> = 100...10_000) {
        (self.target, self.rest, self.bounds) = (target, rest, bounds)
        rows = min(max(first, bounds.lowerBound), bounds.upperBound)
    }

    /// A batch of `count` rows took `nanoseconds`: sizes the next one (at most doubling it, so one
    /// fast batch of cached pages cannot make the next one long) and returns the pause to take.
    public mutating func record(rows count: Int, nanoseconds: UInt64) -> UInt64 {
        let elapsed = max(nanoseconds, 1)
        if count > 0 {
            let fitting = Double(count) * Double(target) / Double(elapsed)
            let next = Int(min(fitting, Double(rows) * 2))
            rows = min(max(next, bounds.lowerBound), bounds.upperBound)
        }
        return UInt64(Double(elapsed) * rest)
    }

    /// Sleeps `nanoseconds` on the calling (job) thread; below a microsecond, yields the CPU once.
    public static func pause(_ nanoseconds: UInt64) {
        guard nanoseconds >= 1000 else {
            sched_yield()
            return
        }
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
