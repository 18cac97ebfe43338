import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

/// The queue threads on a real SQLite file (and PostgreSQL): attempts, backoff, discard, rescue.
@Suite struct JobQueueTests {
    /// Fails its first `failures` attempts of each job, then succeeds; counts attempts.
    final class Flaky: QueueKind {
        let name = "flaky"
        let failures: Int
        let timeout = Interval.seconds(5)
        let backoff = Backoff(first: .milliseconds(20), max: .milliseconds(80))
        let attempts = Mutex<[Int64: Int]>([:])
        init(failures: Int) { self.failures = failures }
        func perform(_ job: ClaimedJob, _ context: QueueContext) -> QueueOutcome {
            let count = attempts.withLock { $0[job.id, default: 0] += 1; return $0[job.id]! }
            return count <= failures ? .retry("failure \(count)") : .done
        }
    }

    private func queue(_ temp: TempStore, _ kind: any QueueKind, log: Log) throws -> JobQueue {
        nonisolated(unsafe) let temp = temp
        return JobQueue(kinds: [kind], log: log, watchInterval: .milliseconds(50), isRescuer: { true }) {
            try temp.another().jobs.queue
        }
    }

    @Test(arguments: Backend.all) func aFlakyJobIsRetriedWithBackoffUntilItSucceeds(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let kind = Flaky(failures: 3)
        let log = try Log(path: "-", level: .error)
        let queue = try queue(temp, kind, log: log)
        queue.start()
        defer { _ = queue.stop(timeout: 5) }
        let id = try #require(try temp.jobs.queue.enqueue(NewQueueJob(kind: "flaky", args: "{}", maxAttempts: 5), now: SystemClock().now()))
        queue.notify()
        #expect(try poll(deadline: 10) { try temp.jobs.queue.job(id: id)?.state == .completed })
        let job = try #require(try temp.jobs.queue.job(id: id))
        #expect(job.attempt == 4 && job.errors.map(\.message) == ["failure 1", "failure 2", "failure 3"])
    }

    @Test(arguments: Backend.all) func aJobOutOfAttemptsIsDiscardedAndRetryGivesItOneMore(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let kind = Flaky(failures: 2)
        let queue = try queue(temp, kind, log: try Log(path: "-", level: .error))
        queue.start()
        defer { _ = queue.stop(timeout: 5) }
        let store = temp.jobs.queue
        let id = try #require(try store.enqueue(NewQueueJob(kind: "flaky", args: "{}", maxAttempts: 2), now: SystemClock().now()))
        queue.notify()
        #expect(try poll(deadline: 10) { try store.job(id: id)?.state == .discarded })
        #expect(try store.job(id: id)?.attempt == 2)
        #expect(try store.retry(id: id, now: SystemClock().now()))
        queue.notify()
        #expect(try poll(deadline: 10) { try store.job(id: id)?.state == .completed })
        #expect(try store.job(id: id)?.attempt == 3)
    }

    @Test(arguments: Backend.all) func theRescuerTakesBackAClaimOfAGoneProcessAtOnce(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.jobs.queue
        let now = SystemClock().now()
        let id = try #require(try store.enqueue(NewQueueJob(kind: "flaky", args: "{}", maxAttempts: 3), now: now))
        // Claimed by a process of this machine that no longer exists, with an hour left on its claim.
        let token = "\(LeaseKeeper.machineID.prefix(8)):\(LeaseKeeper.pidNamespace):99999999:dead:1"
        _ = try #require(try store.claim(kinds: ["flaky"], token: token, now: now, until: now.adding(.hours(1))))
        let queue = try queue(temp, Flaky(failures: 0), log: try Log(path: "-", level: .error))
        queue.start()
        defer { _ = queue.stop(timeout: 5) }
        #expect(try poll(deadline: 10) { try store.job(id: id)?.state == .completed })
        let job = try #require(try store.job(id: id))
        #expect(job.attempt == 2 && job.errors.first?.message == "rescued: the worker that claimed it exited")
    }
}
