import Glibc

/// Who may use the shared write connection: one writer at a time, the others waiting with a
/// deadline (a `Mutex` cannot give up). While the database is held by another process, only the
/// writer already inside waits for it; the rest are turned away at once instead of each waiting
/// its whole budget in a queue that pins every request thread.
final class WriteGate: @unchecked Sendable {
    /// How `enter` ended.
    enum Entry: Equatable {
        case entered
        /// The deadline passed while another writer of this process had the connection.
        case timedOut
        /// The writer inside has waited long for another process: no point queueing behind it.
        case stalled
    }

    // Heap-allocated: pthread objects must not move.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var occupied = false
    private var stalled = false

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Deadlines are monotonic: a wall-clock step must not cut or stretch a wait.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Waits until the connection is free, the deadline (monotonic nanoseconds) passes, or the
    /// writer inside has been stalled on another process for `grace` of this writer's wait (a
    /// moment, so that a writer arriving just as the other process lets go still gets through).
    func enter(until deadline: UInt64, grace: UInt64) -> Entry {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let stallDeadline = min(deadline, monotonicNanoseconds() + grace)
        while occupied {
            let until = stalled ? stallDeadline : deadline
            var limit = timespec(tv_sec: Int(until / 1_000_000_000), tv_nsec: Int(until % 1_000_000_000))
            if pthread_cond_timedwait(condition, mutex, &limit) == ETIMEDOUT, occupied {
                if stalled, until == stallDeadline { return .stalled }
                if until == deadline { return stalled ? .stalled : .timedOut }
            }
        }
        occupied = true
        return .entered
    }

    /// Frees the connection; `reachedDatabase` clears the stall (the other process let go).
    func leave(reachedDatabase: Bool) {
        pthread_mutex_lock(mutex)
        occupied = false
        if reachedDatabase { stalled = false }
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Called by the writer inside when its wait for the database passes the stall threshold:
    /// every queued writer is released to answer at once.
    func markStalled() {
        pthread_mutex_lock(mutex)
        stalled = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}

/// Monotonic nanoseconds, the clock `WriteGate` deadlines use.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
