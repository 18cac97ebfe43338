import Foundation
import Testing
@testable import TaskFCGIKit

// The example job from the README ("Writing a job"), verbatim, so the README's code compiles and works.

/// Moves tasks completed more than a week ago into `tasks_archive`, 500 at a time.
struct ArchiveOldTasks: Job {
    var name: String { "archiveOldTasks" }
    var verb: String { "archived" }

    func run(_ context: JobContext) throws -> Int {
        let cutoff = context.startedAt.adding(.days(-7)).milliseconds
        var total = 0
        while !context.isStopping {
            // Copy and delete in one fenced batch: it commits whole or not at all, and only while
            // this worker still holds the lease, so no task is ever archived twice.
            let moved = try context.batch { db -> Int in
                let copied = try db.run("""
                    INSERT INTO tasks_archive (id, title, due_at, action_at)
                    SELECT id, title, due_at, action_at FROM tasks
                    WHERE completed = 1 AND action_at < ? ORDER BY action_at LIMIT 500
                    """, .int(cutoff))
                try db.run("""
                    DELETE FROM tasks WHERE completed = 1 AND action_at < ? AND id IN (SELECT id FROM tasks_archive)
                    """, .int(cutoff))
                return copied
            }
            total += moved
            if moved < 500 { break }  // the rest is for the next slot
        }
        return total
    }
}

@Suite struct ExampleJobTests {
    private let now = utc(2026, 11, 24, 12)

    @Test func archivesOnlyOldCompletedTasksOnce() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let store = try openStore(folder + "/tasks.db")
        try store.db.execute("""
            CREATE TABLE tasks_archive (id INTEGER PRIMARY KEY, title TEXT NOT NULL, due_at INTEGER NOT NULL, action_at INTEGER)
            """)
        for index in 0..<1200 { _ = try store.create(title: "old \(index)", due: now.adding(.days(-20)), now: now.adding(.days(-21))) }
        _ = try store.completeDue(now: now.adding(.days(-10)), batchSize: 1000)
        let recent = try store.create(title: "recent", due: now.adding(.days(-2)), now: now.adding(.days(-3)))
        _ = try store.completeDue(now: now.adding(.days(-1)), batchSize: 1000)
        let pending = try store.create(title: "pending", due: now.adding(.days(1)), now: now)

        #expect(try runJob(ArchiveOldTasks(), store.db, now: now) == 1200)
        #expect(try runJob(ArchiveOldTasks(), store.db, now: now) == 0, "a second run finds nothing left to move")
        #expect(try store.db.firstRow("SELECT count(*) FROM tasks_archive") { $0.int(0) } == 1200)
        #expect(try store.list(.all, limit: 10, offset: 0).map(\.id).sorted() == [recent.id, pending.id])
    }
}
