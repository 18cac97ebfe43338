/// Counts of observations per bucket, with their sum: one histogram's state. A value type so a
/// shard can own it under its own lock and a scrape can add shards together.
public struct HistogramCounts: Sendable, Equatable {
    /// Upper bounds in seconds, ascending; the `+Inf` bucket is the last slot of `buckets`.
    public let bounds: [Double]
    /// Observations per bucket (not cumulative), `bounds.count + 1` of them.
    public private(set) var buckets: [UInt64]
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    /// An empty histogram with these upper bounds.
    public init(bounds: [Double]) {
        self.bounds = bounds
        buckets = [UInt64](repeating: 0, count: bounds.count + 1)
    }

    /// Adds one observation (negative values count as 0: a histogram's sum must not go down).
    public mutating func observe(_ seconds: Double) {
        let value = max(0, seconds)
        // Bounds are few (≤ 16): a linear scan beats a binary search's branches.
        var index = 0
        while index < bounds.count, value > bounds[index] { index += 1 }
        buckets[index] += 1
        sum += value
        count += 1
    }

    /// Adds another histogram with the same bounds (a shard, at scrape time).
    public mutating func add(_ other: HistogramCounts) {
        for index in buckets.indices { buckets[index] += other.buckets[index] }
        sum += other.sum
        count += other.count
    }

    /// Cumulative counts per upper bound, as the exposition formats write them (`+Inf` last).
    public var cumulative: [(bound: Double, count: UInt64)] {
        var total: UInt64 = 0
        return buckets.indices.map { index in
            total += buckets[index]
            return (index < bounds.count ? bounds[index] : .infinity, total)
        }
    }
}

/// The bucket bounds this worker uses, in seconds.
public enum Buckets {
    /// Request handling: 0.5 ms … 10 s.
    public static let request: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// One job run: 1 ms … 10 min (a purge of millions of rows takes minutes).
    public static let job: [Double] = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600]
    /// Due date to action date: the product's promise is milliseconds, the fallback the job's interval.
    /// Enqueue to completion of queued jobs: from a local delivery to a day of retries.
    public static let queue: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 86400]
    public static let lateness: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 3600]
}
