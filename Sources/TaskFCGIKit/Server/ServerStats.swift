import Synchronization

/// Counters for `/status`, shared by the request threads.
public final class ServerStats: Sendable {
    /// A consistent copy of the counters.
    public struct Snapshot: Sendable {
        public var accepted = 0
        public var active = 0
        public var maxActive = 0
        /// Responses by status class: index 1 = 1xx … 5 = 5xx.
        public var byClass = [Int](repeating: 0, count: 6)
    }

    private let counters = Mutex(Snapshot())
    /// Request threads configured.
    public let threads: Int
    public let startedAt: Instant
    /// What each request thread is doing right now.
    public let board: ThreadBoard

    public init(threads: Int, startedAt: Instant) {
        self.threads = threads
        self.startedAt = startedAt
        board = ThreadBoard(threads: threads)
    }

    func began() {
        counters.withLock {
            $0.accepted += 1
            $0.active += 1
            $0.maxActive = max($0.maxActive, $0.active)
        }
    }

    func ended(status: Int) {
        counters.withLock {
            $0.active -= 1
            $0.byClass[min(max(status / 100, 0), 5)] += 1
        }
    }

    public var snapshot: Snapshot { counters.withLock { $0 } }
}
