import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

/// The durable queue's statements on both backends: enqueue in the caller's transaction, claims
/// fenced by their token, unique keys, retries and rescue, pruning.
@Suite struct QueueStoreTests {
    let t0 = Instant(milliseconds: 1_800_000_000_000)

    private func job(_ kind: String = "test", key: String? = nil, at runAt: Instant? = nil, attempts: Int = 3) -> NewQueueJob {
        NewQueueJob(kind: kind, args: "{\"n\":1}", runAt: runAt, maxAttempts: attempts, uniqueKey: key)
    }

    @Test(arguments: Backend.all) func aJobIsClaimedOnceWhenDueAndCompletedUnderItsToken(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let queue = temp.jobs.queue
        let now = try #require(try queue.enqueue(job(), now: t0))
        let later = try #require(try queue.enqueue(job(at: t0.adding(.minutes(5))), now: t0))
        #expect(try queue.job(id: later)?.state == .scheduled)
        #expect(try queue.nextRunAt(kinds: ["test"]) == t0)
        #expect(try queue.nextRunAt(kinds: ["other"]) == nil)
        let claimed = try #require(try queue.claim(kinds: ["test"], token: "a", now: t0, until: t0.adding(.seconds(30))))
        #expect(claimed.id == now && claimed.attempt == 1 && claimed.args == "{\"n\":1}")
        // The later job is not due; another kind is never claimed.
        #expect(try queue.claim(kinds: ["test"], token: "b", now: t0, until: t0) == nil)
        #expect(try queue.finish(claimed, state: .completed, runAt: nil, error: nil, now: t0.adding(.seconds(1))))
        let done = try #require(try queue.job(id: now))
        #expect(done.state == .completed && done.finishedAt == t0.adding(.seconds(1)))
        let second = try #require(try queue.claim(kinds: ["test"], token: "c", now: t0.adding(.minutes(5)), until: t0.adding(.minutes(6))))
        #expect(second.id == later)
        #expect(try queue.counts()[.completed] == 1 && queue.counts()[.running] == 1)
    }

    @Test(arguments: Backend.all) func aRescuedClaimCanNeverRecordItsResult(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let queue = temp.jobs.queue
        let id = try #require(try queue.enqueue(job(attempts: 2), now: t0))
        let first = try #require(try queue.claim(kinds: ["test"], token: "old", now: t0, until: t0.adding(.seconds(1))))
        let claim = try #require(try queue.claims().first)
        #expect(claim.id == id && claim.token == "old" && claim.attempt == 1)
        #expect(try queue.rescue(claim, reason: "rescued: overran", now: t0.adding(.seconds(20))))
        #expect(try queue.job(id: id)?.state == .retryable)
        // The old attempt finishes late: nothing is written.
        #expect(try !queue.finish(first, state: .completed, runAt: nil, error: nil, now: t0.adding(.seconds(21))))
        let again = try #require(try queue.claim(kinds: ["test"], token: "new", now: t0.adding(.seconds(22)), until: t0.adding(.minutes(1))))
        #expect(again.attempt == 2)
        // Its last attempt rescued: discarded, both errors kept.
        #expect(try queue.rescue(try #require(try queue.claims().first), reason: "rescued: the worker exited", now: t0.adding(.seconds(30))))
        let gone = try #require(try queue.job(id: id))
        #expect(gone.state == .discarded && gone.errors.map(\.message) == ["rescued: overran", "rescued: the worker exited"])
    }

    @Test(arguments: Backend.all) func aFailedAttemptWaitsForItsNextRunAndKeepsItsError(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let queue = temp.jobs.queue
        let id = try #require(try queue.enqueue(job(), now: t0))
        let claimed = try #require(try queue.claim(kinds: ["test"], token: "a", now: t0, until: t0.adding(.minutes(1))))
        #expect(try queue.finish(claimed, state: .retryable, runAt: t0.adding(.seconds(30)), error: "HTTP 500", now: t0))
        #expect(try queue.claim(kinds: ["test"], token: "b", now: t0.adding(.seconds(29)), until: t0) == nil)
        #expect(try queue.nextRunAt(kinds: ["test"]) == t0.adding(.seconds(30)))
        let found = try #require(try queue.job(id: id))
        #expect(found.state == .retryable && found.lastError == "HTTP 500" && found.errors.first?.attempt == 1)
        #expect(try queue.claim(kinds: ["test"], token: "c", now: t0.adding(.seconds(30)), until: t0.adding(.minutes(2)))?.attempt == 2)
    }

    @Test(arguments: Backend.all) func aUniqueKeyIsTakenWhileItsJobWaitsOrRuns(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let queue = temp.jobs.queue
        let first = try #require(try queue.enqueue(job(key: "k"), now: t0))
        #expect(try queue.enqueue(job(key: "k"), now: t0) == nil)
        #expect(try queue.enqueue(job(key: "other"), now: t0) != nil)
        let claimed = try #require(try queue.claim(kinds: ["test"], token: "a", now: t0, until: t0.adding(.minutes(1))))
        #expect(claimed.id == first)
        #expect(try queue.enqueue(job(key: "k"), now: t0) == nil, "running still holds the key")
        #expect(try queue.finish(claimed, state: .completed, runAt: nil, error: nil, now: t0))
        #expect(try queue.enqueue(job(key: "k"), now: t0) != nil, "a finished job frees its key")
    }

    @Test(arguments: Backend.all) func aUniqueKeyHoldsUnderConcurrentEnqueues(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        nonisolated(unsafe) let stores = try (0..<6).map { _ in try temp.another().jobs }
        let queued = Mutex(0), failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            let store = stores[index]
            for _ in 0..<20 {
                do { if try store.queue.enqueue(job(key: "once"), now: t0) != nil { queued.withLock { $0 += 1 } } } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(queued.withLock { $0 } == 1)
        #expect(try temp.int("SELECT count(*) FROM queue_jobs") == 1)
    }

    @Test(arguments: Backend.all) func concurrentClaimersTakeEachJobOnce(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        for _ in 0..<200 { _ = try temp.jobs.queue.enqueue(job(), now: t0) }
        nonisolated(unsafe) let stores = try (0..<4).map { _ in try temp.another().jobs }
        let claimed = Mutex<[Int64]>([]), failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            let store = stores[index]
            while true {
                do {
                    guard let job = try store.queue.claim(kinds: ["test"], token: "t\(index)", now: t0, until: t0.adding(.minutes(1))) else { return }
                    claimed.withLock { $0.append(job.id) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                    return
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let ids = claimed.withLock { $0 }
        #expect(ids.count == 200 && Set(ids).count == 200)
    }

    @Test(arguments: Backend.all) func anEnqueueInsideARolledBackTransactionLeavesNothing(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try temp.jobs.queue.write { db -> Int in
                _ = try QueueSQL.enqueue(db, job(), now: t0)
                throw Abort()
            }
        }
        #expect(try temp.int("SELECT count(*) FROM queue_jobs") == 0)
    }

    @Test(arguments: Backend.all) func retryDiscardAndPrune(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let queue = temp.jobs.queue
        let id = try #require(try queue.enqueue(job(attempts: 1), now: t0))
        let claimed = try #require(try queue.claim(kinds: ["test"], token: "a", now: t0, until: t0.adding(.minutes(1))))
        #expect(!(try queue.retry(id: id, now: t0)), "a running job cannot be retried")
        #expect(try queue.finish(claimed, state: .discarded, runAt: nil, error: "refused", now: t0))
        #expect(try queue.retry(id: id, now: t0.adding(.seconds(1))))
        let retried = try #require(try queue.job(id: id))
        #expect(retried.state == .available && retried.maxAttempts == 2 && retried.finishedAt == nil)
        #expect(try queue.discard(id: id, now: t0.adding(.seconds(2))))
        #expect(try queue.job(id: id)?.state == .discarded)
        #expect(try queue.discard(id: id, now: t0.adding(.seconds(3))), "discarding a discarded job removes it")
        #expect(try queue.job(id: id) == nil)
        // Pruning: finished jobs older than the cutoff go, with their errors; waiting ones stay.
        for index in 0..<5 {
            let done = try #require(try queue.enqueue(job(), now: t0))
            let c = try #require(try queue.claim(kinds: ["test"], token: "p\(index)", now: t0, until: t0.adding(.minutes(1))))
            #expect(c.id == done)
            #expect(try queue.finish(c, state: index < 3 ? .completed : .discarded, runAt: nil, error: index < 3 ? nil : "x", now: t0))
        }
        _ = try queue.enqueue(job(), now: t0)
        #expect(try queue.prune(before: t0.adding(.seconds(1)), limit: 2) == 2)
        #expect(try queue.prune(before: t0.adding(.seconds(1)), limit: 100) == 3)
        #expect(try temp.int("SELECT count(*) FROM queue_jobs") == 1)
        #expect(try temp.int("SELECT count(*) FROM queue_errors") == 0)
    }

    @Test func backoffDoublesUpToItsCapWithJitter() {
        let backoff = Backoff(first: .seconds(30), max: .minutes(5))
        #expect((1...6).map { backoff.base(after: $0).milliseconds / 1000 } == [30, 60, 120, 240, 300, 300])
        #expect(backoff.base(after: 1000) == .minutes(5))
        var random = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let delay = backoff.delay(after: 2, using: &random).milliseconds
            #expect((45_000...75_000).contains(delay))
        }
    }

    @Test func aClaimOfAGoneProcessOnThisMachineIsKnown() throws {
        let ours = "abcd1234:4026531836:\(getpid()):aaaa:"
        #expect(!JobQueue.claimedByGoneProcess(ours + "7", ours: ours), "our own claim")
        #expect(JobQueue.claimedByGoneProcess("abcd1234:4026531836:\(getpid()):bbbb:3", ours: ours), "an earlier process with our pid")
        // A pid that cannot exist (beyond pid_max), and one that does (pid 1).
        #expect(JobQueue.claimedByGoneProcess("abcd1234:4026531836:99999999:cccc:1", ours: ours))
        #expect(!JobQueue.claimedByGoneProcess("abcd1234:4026531836:1:cccc:1", ours: ours))
        #expect(!JobQueue.claimedByGoneProcess("ffff0000:4026531836:99999999:cccc:1", ours: ours), "another machine")
        #expect(!JobQueue.claimedByGoneProcess("garbage", ours: ours))
    }
}
