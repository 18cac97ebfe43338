import Glibc

/// Who may use the shared write connection, and group commit: writers queue their work here; the
/// first to find the connection free leads, taking every queued writer's work into one
/// transaction (`SharedWriter`), and the others wait until theirs is committed. Waiting has a
/// deadline (a `Mutex` cannot give up). While the database is held by another process, only the
/// leader waits for it; the rest are turned away at once instead of each waiting its whole budget
/// in a queue that pins every request thread.
final class WriteGate: @unchecked Sendable {
    /// One writer's work, queued until a leader runs it.
    final class Job: @unchecked Sendable {
        /// Runs the work on the write connection: nil, or the error it threw. Dropped by the leader
        /// once run, before the writer is told, so nothing refers to the writer's closure after it returns.
        var run: ((Connection) -> Error?)?
        /// Replaces the work's outcome with a failure of the whole batch (its commit failed).
        var fail: ((Error) -> Void)?
        /// When its batch started (monotonic nanoseconds; 0 until then) and how long the batch waited
        /// for another connection's lock: set by the leader before `leave`, read by the writer after.
        var batchStarted: UInt64 = 0
        var lockWait: UInt64 = 0
        /// Set and read under the gate's mutex.
        fileprivate var taken = false
        fileprivate var done = false

        init(run: @escaping (Connection) -> Error?, fail: @escaping (Error) -> Void) {
            (self.run, self.fail) = (run, fail)
        }
    }

    /// How `enter` ended.
    enum Entry {
        /// This writer leads: it runs these jobs (its own among them) and then calls `leave`.
        case lead([Job])
        /// A leader ran this writer's job.
        case done
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
    private var pending: [Job] = []
    /// The most work one transaction takes, so a long queue still commits in steps.
    static let maxBatch = 64

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

    /// Queues `job` and waits until this writer leads a batch, a leader has run the job, the
    /// deadline (monotonic nanoseconds) passes, or the writer inside has been stalled on another
    /// process for `grace` of this writer's wait (a moment, so that a writer arriving just as the
    /// other process lets go still gets through). A job a leader has taken is always waited for:
    /// the leader started earlier, so its own deadline comes first.
    func enter(_ job: Job, until deadline: UInt64, grace: UInt64) -> Entry {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        pending.append(job)
        let stallDeadline = min(deadline, monotonicNanoseconds() + grace)
        while true {
            if job.done { return .done }
            if job.taken {
                pthread_cond_wait(condition, mutex)
                continue
            }
            if !occupied {
                // This writer leads: its own job first, then what queued behind the last batch.
                occupied = true
                pending.removeAll { $0 === job }
                let others = pending.prefix(Self.maxBatch - 1)
                let batch = [job] + others
                pending.removeFirst(others.count)
                for taken in batch { taken.taken = true }
                return .lead(batch)
            }
            let until = stalled ? stallDeadline : deadline
            var limit = timespec(tv_sec: Int(until / 1_000_000_000), tv_nsec: Int(until % 1_000_000_000))
            guard pthread_cond_timedwait(condition, mutex, &limit) == ETIMEDOUT, !job.taken, !job.done, occupied else { continue }
            let outcome: Entry
            if stalled, until == stallDeadline {
                outcome = .stalled
            } else if until == deadline {
                outcome = stalled ? .stalled : .timedOut
            } else {
                continue
            }
            pending.removeAll { $0 === job }
            return outcome
        }
    }

    /// Writes queued for the next batch.
    var queued: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return pending.count
    }

    /// The leader is done with `batch`: each job's writer may return. `reachedDatabase` clears the
    /// stall (the other process let go).
    func leave(_ batch: [Job], reachedDatabase: Bool) {
        pthread_mutex_lock(mutex)
        occupied = false
        if reachedDatabase { stalled = false }
        for job in batch {
            job.run = nil
            job.fail = nil
            job.done = true
        }
        // The writers of the batch, and one waiting to lead the next: all may have to wake.
        pthread_cond_broadcast(condition)
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
