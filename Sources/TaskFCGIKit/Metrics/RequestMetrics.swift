import Synchronization

/// Requests by route template and status class, and their durations: one shard per request
/// thread, so the request path only ever takes its own thread's uncontended lock. A scrape adds
/// the shards together.
public final class RequestMetrics: Sendable {
    private let shards = Mutex<[RequestShard]>([])

    /// No shards yet: each request thread takes one.
    public init() {}

    /// A new shard for one request thread (taken once, when the thread's handler is made).
    public func shard() -> RequestShard {
        let shard = RequestShard()
        shards.withLock { $0.append(shard) }
        return shard
    }

    /// Every route's counts, added over all shards, indexed by `Route.rawValue`.
    public func merged() -> [RouteCounts] {
        var total = Route.allCases.map { _ in RouteCounts() }
        for shard in shards.withLock({ $0 }) {
            let counts = shard.snapshot
            for index in total.indices { total[index].add(counts[index]) }
        }
        return total
    }
}

/// One route's requests: responses by status class and the duration histogram.
public struct RouteCounts: Sendable, Equatable {
    /// Index 1 = 1xx … 5 = 5xx (0 unused).
    public var byClass = [UInt64](repeating: 0, count: 6)
    public var duration = HistogramCounts(bounds: Buckets.request)

    /// Adds another shard's counts for the same route.
    mutating func add(_ other: RouteCounts) {
        for index in byClass.indices { byClass[index] += other.byClass[index] }
        duration.add(other.duration)
    }
}

/// One request thread's counters. Only its own thread writes; the lock is there for the scraper.
public final class RequestShard: Sendable {
    private let counts = Mutex(Route.allCases.map { _ in RouteCounts() })

    /// Counts one answered request of route `route` (`Route.rawValue`).
    public func observe(route: Int, status: Int, microseconds: Int64) {
        counts.withLock { counts in
            counts[route].byClass[min(max(status / 100, 1), 5)] += 1
            counts[route].duration.observe(Double(microseconds) / 1_000_000)
        }
    }

    /// A copy of this shard's counts.
    var snapshot: [RouteCounts] { counts.withLock { $0 } }
}
