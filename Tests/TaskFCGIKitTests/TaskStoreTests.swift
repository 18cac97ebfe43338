import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

@Suite struct TaskStoreTests {
    private let t0 = utc(2026, 11, 24, 12)

    private func at(minutes: Int64) -> Instant { t0.adding(.minutes(minutes)) }

    // MARK: create, read, update, delete

    // The worker's shape: each thread reads on its own connection and writes through one shared
    // connection. Ids come from the write connection, so concurrent creates must still each get
    // their own row's id.
    @Test func storesSharingAWriterGiveEachCreateItsOwnID() throws {
        let temp = try TempStore(.sqlite)
        let path = try #require(temp.path)
        let writer = SharedWriter(try Connection(location: path))
        let threads = 4, perThread = 50
        let done = DispatchGroup()
        let created = Mutex<[(id: Int64, title: String)]>([])
        let failures = Mutex<[String]>([])
        for thread in 0..<threads {
            done.enter()
            let now = t0
            Thread {
                defer { done.leave() }
                do {
                    let store = SQLiteTaskStore(try Connection(location: path), writer: writer)
                    for index in 0..<perThread {
                        let title = "thread \(thread) task \(index)"
                        let task = try store.create(title: title, due: now, now: now)
                        created.withLock { $0.append((task.id, title)) }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }.start()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(failures.withLock { $0 }.isEmpty)
        let rows = created.withLock { $0 }
        #expect(rows.count == threads * perThread)
        #expect(Set(rows.map(\.id)).count == rows.count)
        for row in rows { #expect(try temp.store.task(id: row.id)?.title == row.title) }
        // The shared writer committed: the other connection sees every row, none twice.
        #expect(try temp.store.counts().all == threads * perThread)
    }

    @Test(arguments: Backend.all) func createGetUpdateDelete(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let created = try store.create(title: "Water the plants", due: at(minutes: 60), now: t0)
        #expect(created.title == "Water the plants")
        #expect(created.due == at(minutes: 60))
        #expect(!created.isCompleted)
        #expect(created.actionAt == nil)
        #expect(created.createdAt == t0)
        #expect(try store.task(id: created.id) == created)

        #expect(try store.update(id: created.id, title: "Water the cactus", due: at(minutes: 90)) == .updated)
        let updated = try #require(try store.task(id: created.id))
        #expect(updated.title == "Water the cactus")
        #expect(updated.due == at(minutes: 90))
        #expect(updated.createdAt == t0)

        #expect(try store.delete(id: created.id))
        #expect(try store.task(id: created.id) == nil)
        #expect(try !store.delete(id: created.id))
    }

    @Test(arguments: Backend.all) func updateOfUnknownTaskIsNotFound(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        #expect(try temp.store.update(id: 42, title: "x", due: t0) == .notFound)
    }

    @Test(arguments: Backend.all) func updateOfCompletedTaskIsRefused(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let task = try store.create(title: "Done soon", due: at(minutes: 1), now: t0)
        #expect(try temp.completeDue(now: at(minutes: 2), batchSize: 10) == 1)
        #expect(try store.update(id: task.id, title: "Changed", due: at(minutes: 5)) == .alreadyCompleted)
        let unchanged = try #require(try store.task(id: task.id))
        #expect(unchanged.title == "Done soon")
        #expect(unchanged.due == at(minutes: 1))
    }

    // MARK: lists and counts

    private func seed(_ temp: TempStore) throws -> [String: Int64] {
        try seedFiveTasks(temp, at: t0).mapValues(\.id)
    }

    @Test(arguments: Backend.all) func listFiltersOrderedByDueThenID(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let ids = try seed(temp)
        #expect(ids["d20a"]! < ids["d20b"]!)
        #expect(try store.list(.all, limit: 100, offset: 0).map(\.title) == ["d05", "d10", "d20a", "d20b", "d30"])
        #expect(try store.list(.pending, limit: 100, offset: 0).map(\.title) == ["d20a", "d20b", "d30"])
        #expect(try store.list(.completed, limit: 100, offset: 0).map(\.title) == ["d05", "d10"])
        #expect(try store.list(.completed, limit: 100, offset: 0).allSatisfy { $0.isCompleted && $0.actionAt != nil })
        #expect(try store.list(.pending, limit: 100, offset: 0).allSatisfy { !$0.isCompleted && $0.actionAt == nil })
    }

    @Test(arguments: Backend.all) func listPages(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        _ = try seed(temp)
        #expect(try store.list(.all, limit: 2, offset: 0).map(\.title) == ["d05", "d10"])
        #expect(try store.list(.all, limit: 2, offset: 2).map(\.title) == ["d20a", "d20b"])
        #expect(try store.list(.all, limit: 2, offset: 4).map(\.title) == ["d30"])
        #expect(try store.list(.all, limit: 2, offset: 6).isEmpty)
        #expect(try store.list(.pending, limit: 1, offset: 1).map(\.title) == ["d20b"])
        #expect(try store.list(.completed, limit: 1, offset: 1).map(\.title) == ["d10"])
    }

    @Test(arguments: Backend.all) func counts(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        #expect(try store.counts() == TaskCounts(pending: 0, completed: 0))
        _ = try seed(temp)
        let counts = try store.counts()
        #expect(counts == TaskCounts(pending: 3, completed: 2))
        #expect(counts.all == 5)
        #expect(TaskFilter.allCases.map(counts.count) == [5, 3, 2])
    }

    @Test(arguments: Backend.all) func earliestPendingDue(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        #expect(try store.earliestPendingDue() == nil)
        _ = try seed(temp)
        #expect(try store.earliestPendingDue() == at(minutes: 20))
        _ = try temp.completeDue(now: at(minutes: 30), batchSize: 10)
        #expect(try store.earliestPendingDue() == nil)
    }

    // MARK: the sweep

    @Test(arguments: Backend.all) func completeDueTouchesOnlyDuePendingTasks(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let past = try store.create(title: "past", due: at(minutes: -5), now: t0)
        let exactlyNow = try store.create(title: "now", due: t0, now: t0)
        let future = try store.create(title: "future", due: t0.adding(.milliseconds(1)), now: t0)

        #expect(try temp.completeDue(now: t0, batchSize: 10) == 2)
        for id in [past.id, exactlyNow.id] {
            let task = try #require(try store.task(id: id))
            #expect(task.isCompleted)
            #expect(task.actionAt == t0)
        }
        #expect(try store.task(id: future.id) == future)
    }

    @Test(arguments: Backend.all) func completeDueIsIdempotent(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let task = try store.create(title: "once", due: at(minutes: -1), now: t0)
        #expect(try temp.completeDue(now: t0, batchSize: 10) == 1)
        #expect(try temp.completeDue(now: at(minutes: 10), batchSize: 10) == 0)
        #expect(try store.task(id: task.id)?.actionAt == t0)
    }

    @Test(arguments: Backend.all) func completeDueWorksInBatches(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        for index in 0..<35 { _ = try store.create(title: "task \(index)", due: at(minutes: Int64(-index)), now: t0) }
        _ = try store.create(title: "later", due: at(minutes: 1), now: t0)
        #expect(try temp.completeDue(now: t0, batchSize: 10) == 35)
        #expect(try store.counts() == TaskCounts(pending: 1, completed: 35))
    }

    @Test(arguments: Backend.all) func completeDueWithExactMultipleOfBatchSize(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        for index in 0..<20 { _ = try store.create(title: "task \(index)", due: t0, now: t0) }
        #expect(try temp.completeDue(now: t0, batchSize: 10) == 20)
    }

    @Test func sweepQueryUsesAnIndex() throws {
        let temp = try TempStore(.sqlite)
        let plan = try (temp.sql as! Connection).rows(
            "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE completed = 0 AND due_at <= ? ORDER BY due_at LIMIT ?",
            .int(t0.milliseconds), .int(1000)) { $0.text(3) }
        let text = plan.joined(separator: "\n")
        #expect(text.contains("USING INDEX") || text.contains("USING COVERING INDEX"), "\(text)")
        #expect(!text.contains("SCAN tasks\n") && !text.hasSuffix("SCAN tasks"), "\(text)")
        #expect(!text.contains("TEMP B-TREE"), "sorting should come from the index: \(text)")
    }

    // MARK: titles

    @Test(arguments: [
        "nul\u{0}inside", "\u{0}", "trailing nul\u{0}", "emoji 🧹🪴👩‍👩‍👧", "quotes ' \" ` ''",
        "'); DROP TABLE tasks; --", "Robert'); DELETE FROM tasks WHERE ('1'='1", "line\nbreak\r\ttab",
        "é (precomposed) vs e\u{301} (combining)", String(repeating: "long ", count: 2000),
    ])
    func titlesRoundTripVerbatim(_ title: String) throws {
        for backend in Backend.all {
            // PostgreSQL text cannot hold NUL; the form refuses control characters before a store sees them.
            if backend == .postgres && title.contains("\u{0}") { continue }
            try roundTrip(title, try TempStore(backend))
        }
    }

    private func roundTrip(_ title: String, _ temp: TempStore) throws {
        let store = temp.store
        let task = try store.create(title: title, due: t0, now: t0)
        let read = try #require(try store.task(id: task.id))
        #expect(Array(read.title.utf8) == Array(title.utf8))
        #expect(try store.list(.all, limit: 10, offset: 0).map(\.title) == [title])
        #expect(try store.counts().all == 1)
        #expect(try store.update(id: task.id, title: title + "!", due: t0) == .updated)
        #expect(Array(try store.task(id: task.id)!.title.utf8) == Array((title + "!").utf8))
    }

    @Test(arguments: Backend.all) func emptyTitleIsStoredAsEmptyTextNotNull(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let task = try store.create(title: "", due: t0, now: t0)
        #expect(try store.task(id: task.id)?.title == "")
        let stored = try temp.sql.query("SELECT title IS NULL, length(title) FROM tasks WHERE id = ?", .int(task.id)).first
        #expect(stored?.last == .int(0))
        #expect(stored?.first == .int(0) || stored?.first == .text("f"), "NULL instead of empty text: \(String(describing: stored))")
    }

    // MARK: idempotency keys

    @Test(arguments: Backend.all) func aKeyedCreateHappensOnceAndAReusedKeyIsRefused(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let first = try store.create(title: "Pay rent", due: at(minutes: 60), now: t0, idempotencyKey: "k1", keptSince: at(minutes: -1440))
        guard case .created(let task) = first else { Issue.record("\(first)"); return }
        let again = try store.create(title: "Pay rent", due: at(minutes: 60), now: t0, idempotencyKey: "k1", keptSince: at(minutes: -1440))
        #expect(again == .replayed(task))
        let other = try store.create(title: "Pay more rent", due: at(minutes: 60), now: t0, idempotencyKey: "k1", keptSince: at(minutes: -1440))
        #expect(other == .keyReused)
        #expect(try store.counts().all == 1)
        // Once the key has expired, it creates again.
        let later = try store.create(title: "Pay rent", due: at(minutes: 60), now: at(minutes: 1500), idempotencyKey: "k1", keptSince: at(minutes: 60))
        if case .created(let second) = later { #expect(second.id != task.id) } else { Issue.record("\(later)") }
    }

    // MARK: purge

    @Test(arguments: Backend.all) func purgeDeletesOnlyOldCompletedTasks(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let old = try store.create(title: "old", due: at(minutes: -100), now: t0)
        _ = try temp.completeDue(now: at(minutes: -50), batchSize: 10)      // action at -50
        let recent = try store.create(title: "recent", due: at(minutes: -20), now: t0)
        _ = try temp.completeDue(now: at(minutes: -10), batchSize: 10)      // action at -10
        let overdue = try store.create(title: "overdue but pending", due: at(minutes: -200), now: t0)
        let atCutoff = try store.create(title: "at cutoff", due: at(minutes: -40), now: t0)
        _ = try temp.completeDue(now: at(minutes: -30), batchSize: 10)      // action at -30 (and overdue too)
        #expect(try store.task(id: overdue.id)?.isCompleted == true)
        let pending = try store.create(title: "pending", due: at(minutes: -300), now: t0)

        #expect(try temp.purgeCompleted(before: at(minutes: -30), batchSize: 1) == 1)
        #expect(try store.task(id: old.id) == nil)
        #expect(try store.task(id: atCutoff.id) != nil)  // action date equal to the cutoff is kept
        #expect(try store.task(id: recent.id) != nil)
        #expect(try store.task(id: pending.id) != nil)

        #expect(try temp.purgeCompleted(before: at(minutes: -5), batchSize: 1) == 3)
        #expect(try store.list(.all, limit: 10, offset: 0).map(\.id) == [pending.id])
    }
}
