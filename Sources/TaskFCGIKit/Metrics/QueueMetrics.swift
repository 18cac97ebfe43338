import Synchronization

/// This process's queue counters for `/metrics`: attempts by kind and outcome, rescued claims,
/// and how long jobs took from enqueue to completion.
public final class QueueMetrics: Sendable {
    /// A consistent copy for a scrape.
    public struct Snapshot: Sendable, Equatable {
        /// Attempts recorded, by kind and the state they left the job in.
        public var finished: [String: [QueueState: UInt64]] = [:]
        /// Claims the rescuer took back.
        public var rescued: UInt64 = 0
        /// Enqueue → completion of completed jobs.
        public var enqueueToCompletion = HistogramCounts(bounds: Buckets.queue)
    }

    private let state: Mutex<Snapshot>

    /// Counters for `kinds`, all at 0, so their series exist from the start.
    public init(kinds: [String]) {
        state = Mutex(Snapshot(finished: Dictionary(uniqueKeysWithValues: kinds.map { ($0, [:]) })))
    }

    /// An attempt was recorded, leaving its job in `state`.
    func finished(kind: String, state finalState: QueueState, enqueuedAt: Instant, now: Instant) {
        state.withLock { state in
            state.finished[kind, default: [:]][finalState, default: 0] += 1
            if finalState == .completed {
                state.enqueueToCompletion.observe(Double(now.since(enqueuedAt).milliseconds) / 1000)
            }
        }
    }

    /// The rescuer took a claim back.
    func rescued() { state.withLock { $0.rescued += 1 } }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
