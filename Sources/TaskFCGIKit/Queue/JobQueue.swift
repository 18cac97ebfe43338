import Foundation
import Synchronization

/// The queue threads: `concurrency` detached threads per worker, each with its own connection,
/// claiming due jobs of the kinds this build knows and recording how each attempt went. Every
/// worker sharing the database runs them (not only the lease holder). A thread sleeps until the
/// next waiting job's time, is woken at once by `notify()` (an enqueue in this process) and looks
/// again when another connection or host changed the queue (`QueueStore.changedElsewhere`).
///
/// The lease holder's first queue thread is also the rescuer: a running job whose claim has
/// outlived the claim time (the longest kind's timeout) plus `rescueGrace`, or whose worker
/// process on this machine no longer exists, is made retryable (or discarded after its last attempt), and its old claim can
/// never record a result. It also prunes finished jobs older than `retain`.
public final class JobQueue: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Threads per worker (`queue.concurrency`).
        public var concurrency = 2
        /// How long completed, discarded and cancelled jobs are kept (`queue.retain`).
        public var retain = Interval.days(7)
        /// How far past its timeout a claim may run before it is rescued.
        public var rescueGrace = Interval.seconds(10)
        public init() {}
    }

    let kinds: [String: any QueueKind]
    let settings: Settings
    let log: Log
    let clock: any WallClock
    /// How often a thread asks its store whether another connection queued work.
    let watchInterval: Interval
    let openStore: @Sendable () throws -> any QueueStore
    /// Whether this process holds the job lease (then its first thread rescues and prunes).
    let isRescuer: @Sendable () -> Bool
    let metrics: QueueMetrics?
    /// `machine:pidns:pid:random:`, the start of every claim token this process writes.
    let claimPrefix: String
    private let claimCount = Atomic<Int64>(0)
    private let wake = NSCondition()
    /// Grows on every `notify()`; guarded by `wake`.
    private nonisolated(unsafe) var wakeups: Int64 = 0
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Int>(0)

    public init(kinds: [any QueueKind], settings: Settings = Settings(), log: Log, clock: any WallClock = SystemClock(),
                watchInterval: Interval, metrics: QueueMetrics? = nil, isRescuer: @escaping @Sendable () -> Bool,
                openStore: @escaping @Sendable () throws -> any QueueStore) {
        self.kinds = Dictionary(kinds.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        (self.settings, self.log, self.clock, self.watchInterval) = (settings, log, clock, watchInterval)
        (self.metrics, self.isRescuer, self.openStore) = (metrics, isRescuer, openStore)
        let random = String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16)
        claimPrefix = "\(LeaseKeeper.machineID.prefix(8)):\(LeaseKeeper.pidNamespace):\(getpid()):\(random):"
    }

    /// Starts the threads (none without kinds).
    public func start() {
        guard !kinds.isEmpty else { return }
        for index in 0..<settings.concurrency {
            running.add(1, ordering: .relaxed)
            let thread = Thread { [self] in
                CurrentThread.setName("taskfcgi-queue\(index)")
                loop(index)
                running.subtract(1, ordering: .relaxed)
            }
            thread.start()
        }
    }

    /// A job was queued in this process: every thread looks now.
    public func notify() {
        wake.lock()
        wakeups &+= 1
        wake.broadcast()
        wake.unlock()
    }

    /// Asks the threads to stop after their current attempt; true if they all did by `timeout` seconds.
    public func stop(timeout: Double) -> Bool {
        stopping.store(true, ordering: .relaxed)
        notify()
        let deadline = Date().addingTimeInterval(timeout)
        while running.load(ordering: .relaxed) > 0, Date() < deadline { usleep(5000) }
        return running.load(ordering: .relaxed) == 0
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    private var kindNames: [String] { kinds.keys.sorted() }

    /// The longest a claim is held before the rescuer may take it back.
    private var claimLength: Interval { kinds.values.map(\.timeout).max() ?? .minutes(1) }

    private func loop(_ index: Int) {
        guard let store = openStoreRetrying() else { return }
        let names = kindNames
        var nextDue: Instant? = nil
        var mustLook = true, seen: Int64 = 0, lastLook = Instant(milliseconds: 0), lastHousekeeping = Instant(milliseconds: 0)
        var failingSince: Instant?
        while !isStopping {
            let now = clock.now()
            do {
                // Before claiming: a thread that always finds work must still rescue.
                if index == 0, now.since(lastHousekeeping) >= .seconds(1) {
                    lastHousekeeping = now
                    if isRescuer() { try housekeeping(store, now: now) }
                }
                // A full look at least every few seconds, whatever the wake-ups said.
                if mustLook || nextDue.map({ $0 <= now }) == true || now.since(lastLook) >= .seconds(5) {
                    (mustLook, lastLook) = (false, now)
                    nextDue = try store.nextRunAt(kinds: names)
                    if let since = failingSince {
                        log.info("queue", "queue thread \(index) reads the queue again after \(now.since(since))")
                        failingSince = nil
                    }
                    if let due = nextDue, due <= now,
                       let job = try store.claim(kinds: names, token: nextToken(), now: now, until: now.adding(claimLength)) {
                        work(job, store)
                        mustLook = true
                        continue
                    }
                }
            } catch {
                // Once per outage, not once a second (the database may be down for a while).
                if failingSince == nil {
                    log.warning("queue", "queue thread \(index) cannot read or claim jobs: \(error); trying again every second")
                    failingSince = now
                }
                mustLook = true
                sleepWoken(seen: &seen, for: .seconds(1))
                continue
            }
            var wait = watchInterval
            if let due = nextDue { wait = min(wait, max(.milliseconds(0), due.since(clock.now()))) }
            if sleepWoken(seen: &seen, for: wait) { mustLook = true; continue }
            if (try? store.changedElsewhere()) != false { mustLook = true }
        }
    }

    /// Waits up to `interval` for a `notify()`; true when one came (or had come since `seen`).
    @discardableResult
    private func sleepWoken(seen: inout Int64, for interval: Interval) -> Bool {
        wake.lock()
        defer { wake.unlock() }
        if wakeups == seen, interval.milliseconds > 0 {
            _ = wake.wait(until: Date().addingTimeInterval(Double(interval.milliseconds) / 1000))
        }
        defer { seen = wakeups }
        return wakeups != seen
    }

    private func nextToken() -> String {
        claimPrefix + String(claimCount.add(1, ordering: .relaxed).newValue)
    }

    /// One attempt: perform it, then record the outcome under the claim's token.
    private func work(_ job: ClaimedJob, _ store: any QueueStore) {
        guard let kind = kinds[job.kind] else { return }
        let began = monotonicMicroseconds()
        let outcome = kind.perform(job, QueueContext(now: clock.now(), log: log, store: store))
        let now = clock.now()
        let took = JobRunner.milliseconds(monotonicMicroseconds() - began)
        let tag = "queue:\(job.kind)"
        let (state, runAt, error): (QueueState, Instant?, String?)
        switch outcome {
        case .done: (state, runAt, error) = (.completed, nil, nil)
        case .retry(let message) where job.attempt < job.maxAttempts:
            var random = SystemRandomNumberGenerator()
            (state, runAt, error) = (.retryable, now.adding(kind.backoff.delay(after: job.attempt, using: &random)), message)
        case .retry(let message): (state, runAt, error) = (.discarded, nil, message)
        case .discard(let message): (state, runAt, error) = (.discarded, nil, message)
        case .cancel(let message): (state, runAt, error) = (.cancelled, nil, message)
        }
        do {
            guard try store.finish(job, state: state, runAt: runAt, error: error, now: now) else {
                log.warning(tag, "job \(job.id) attempt \(job.attempt): its claim was taken back (rescued) meanwhile; the result is not recorded")
                return
            }
        } catch {
            log.error(tag, "job \(job.id) attempt \(job.attempt): could not record \(state.rawValue): \(error); the rescuer will retry it")
            return
        }
        metrics?.finished(kind: job.kind, state: state, enqueuedAt: job.createdAt, now: now)
        switch state {
        case .completed: log.info(tag, "job \(job.id) attempt \(job.attempt) done in \(took) ms")
        case .retryable:
            log.warning(tag, "job \(job.id) attempt \(job.attempt) of \(job.maxAttempts) failed: \(error ?? ""); next attempt at \(runAt.map { "\($0)" } ?? "once")")
        default:
            log.warning(tag, "job \(job.id) attempt \(job.attempt) \(state.rawValue): \(error ?? "")")
        }
    }

    /// The rescuer's rounds: claims whose worker died or overran go back to the queue, finished
    /// jobs past `retain` go away.
    private func housekeeping(_ store: any QueueStore, now: Instant) throws {
        for claim in try store.claims() {
            let reason: String
            if claim.until.adding(settings.rescueGrace) < now {
                reason = "rescued: the attempt ran past its timeout"
            } else if Self.claimedByGoneProcess(claim.token, ours: claimPrefix) {
                reason = "rescued: the worker that claimed it exited"
            } else { continue }
            if try store.rescue(claim, reason: reason, now: now) {
                metrics?.rescued()
                log.warning("queue", "job \(claim.id) attempt \(claim.attempt): \(reason)")
                notify()
            }
        }
        if now.milliseconds - lastPrune.load(ordering: .relaxed) >= Interval.minutes(1).milliseconds {
            lastPrune.store(now.milliseconds, ordering: .relaxed)
            let cutoff = now.adding(Interval(milliseconds: -settings.retain.milliseconds))
            var pruned = 0
            while !isStopping {
                let count = try store.prune(before: cutoff, limit: 1000)
                pruned += count
                if count < 1000 { break }
            }
            if pruned > 0 { log.info("queue", "pruned \(pruned) finished jobs older than \(settings.retain)") }
        }
    }
    /// When the rescuer last pruned (Unix ms).
    private let lastPrune = Atomic<Int64>(0)

    /// True for a claim made by a process of this machine and pid namespace that no longer exists
    /// (or an earlier process with our pid): the rule the job lease uses after a crash.
    static func claimedByGoneProcess(_ token: String, ours: String) -> Bool {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        let mine = ours.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 5, mine.count >= 4, parts[0] == mine[0], parts[1] == mine[1],
              !token.hasPrefix(ours), let pid = Int32(parts[2]), pid > 0 else { return false }
        if parts[2] == mine[2] { return true }  // our pid, another process: that one is gone
        return kill(pid, 0) == -1 && errno == ESRCH
    }

    private func openStoreRetrying() -> (any QueueStore)? {
        var seen: Int64 = 0
        while !isStopping {
            do { return try openStore() } catch {
                log.warning("queue", "cannot open the database for the queue thread: \(error); trying again in 1 s")
                sleepWoken(seen: &seen, for: .seconds(1))
            }
        }
        return nil
    }
}
