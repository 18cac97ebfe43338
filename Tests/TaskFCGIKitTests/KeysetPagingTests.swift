import Testing
@testable import TaskFCGIKit

/// Keyset pages on every backend: `list(_:after:limit:)` and `list(_:before:limit:)` walk the list
/// in order without skipping or repeating a row, even through tasks sharing one due date, and their
/// statements are index searches (checked in the query plans), so a page deep in a million rows
/// costs what the first one does.
@Suite struct KeysetPagingTests {
    private let t0 = utc(2026, 11, 24, 12)

    private func at(minutes: Int64) -> Instant { t0.adding(.minutes(minutes)) }

    @Test(arguments: Backend.all) func pagesAfterAndBeforeACursor(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        let tasks = try seedFiveTasks(temp, at: t0)
        func key(_ title: String) -> TaskCursor { TaskCursor(tasks[title]!) }
        func titles(_ rows: [TaskItem]) -> [String] { rows.map(\.title) }

        #expect(titles(try store.list(.all, after: nil, limit: 2)) == ["d05", "d10"])
        #expect(titles(try store.list(.all, after: key("d10"), limit: 2)) == ["d20a", "d20b"])
        // Within one due date the id decides.
        #expect(titles(try store.list(.all, after: key("d20a"), limit: 5)) == ["d20b", "d30"])
        #expect(titles(try store.list(.all, after: key("d30"), limit: 2)).isEmpty)
        #expect(titles(try store.list(.all, before: nil, limit: 2)) == ["d20b", "d30"])
        #expect(titles(try store.list(.all, before: key("d20b"), limit: 2)) == ["d10", "d20a"])
        #expect(titles(try store.list(.all, before: key("d10"), limit: 5)) == ["d05"])
        #expect(titles(try store.list(.all, before: key("d05"), limit: 5)).isEmpty)

        #expect(titles(try store.list(.pending, after: nil, limit: 2)) == ["d20a", "d20b"])
        #expect(titles(try store.list(.pending, after: key("d20a"), limit: 5)) == ["d20b", "d30"])
        #expect(titles(try store.list(.pending, before: nil, limit: 1)) == ["d30"])
        #expect(titles(try store.list(.pending, before: key("d20b"), limit: 5)) == ["d20a"])
        #expect(titles(try store.list(.completed, after: key("d05"), limit: 5)) == ["d10"])
        #expect(titles(try store.list(.completed, before: nil, limit: 5)) == ["d05", "d10"])
        // A cursor need not name a stored row (the row may have been deleted since).
        #expect(titles(try store.list(.all, after: TaskCursor(due: at(minutes: 15).milliseconds, id: 0), limit: 1)) == ["d20a"])
    }

    /// Bulk-created tasks often share a due date: walking 23 of them (and two others) 4 at a time,
    /// forwards and backwards, meets each once and in order.
    @Test(arguments: Backend.all) func walksThroughTasksSharingADueDate(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        var expected = [try temp.store.create(title: "early", due: at(minutes: 1), now: t0)]
        for index in 0..<23 { expected.append(try temp.store.create(title: "same \(index)", due: at(minutes: 2), now: t0)) }
        expected.append(try temp.store.create(title: "late", due: at(minutes: 3), now: t0))

        var forward: [TaskItem] = [], cursor: TaskCursor? = nil
        while true {
            let page = try temp.store.list(.pending, after: cursor, limit: 4)
            forward += page
            guard let last = page.last, forward.count <= expected.count else { break }
            cursor = TaskCursor(last)
        }
        #expect(forward == expected)

        var backward: [TaskItem] = []
        cursor = nil
        while true {
            let page = try temp.store.list(.all, before: cursor, limit: 4)
            backward = page + backward
            guard let first = page.first, backward.count <= expected.count else { break }
            cursor = TaskCursor(first)
        }
        #expect(backward == expected)
    }

    /// Each keyset statement with a cursor is two index searches landing on the cursor, merged in
    /// order: no table scan, no sort, and never a search on the due date alone.
    @Test(arguments: KeysetShape.all.filter(\.hasCursor)) func sqliteKeysetStatementsSearchAnIndex(_ shape: KeysetShape) throws {
        let temp = try TempStore(.sqlite)
        let sql = try #require(SQLiteTaskStore.keyset[shape])
        let values = shape.values(shape.filtered ? .pending : .all, TaskCursor(due: 1, id: 2), limit: 51)
        let plan = try (temp.sql as! Connection).rows("EXPLAIN QUERY PLAN " + sql, values) { $0.text(3) }.joined(separator: "\n")
        let state = shape.filtered ? "completed=? AND " : ""
        let index = shape.filtered ? "tasks_by_state_due" : "tasks_by_due"
        let op = shape.forward ? ">" : "<"
        #expect(plan.contains("MERGE (UNION ALL)"), "\(plan)")
        #expect(plan.contains("INDEX \(index) (\(state)due_at=? AND id\(op)?)"), "\(plan)")
        #expect(plan.contains("INDEX \(index) (\(state)due_at\(op)?)"), "\(plan)")
        #expect(!plan.contains("SCAN") && !plan.contains("TEMP B-TREE"), "\(plan)")
    }

    /// The first and last pages (no cursor) read the index from either end.
    @Test(arguments: KeysetShape.all.filter { !$0.hasCursor }) func sqliteEndPagesReadAnIndex(_ shape: KeysetShape) throws {
        let temp = try TempStore(.sqlite)
        let sql = try #require(SQLiteTaskStore.keyset[shape])
        let plan = try (temp.sql as! Connection).rows("EXPLAIN QUERY PLAN " + sql, shape.values(.completed, nil, limit: 51)) { $0.text(3) }
            .joined(separator: "\n")
        #expect(plan.contains(shape.filtered ? "INDEX tasks_by_state_due" : "INDEX tasks_by_due"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
    }

    #if PostgreSQL
    /// On PostgreSQL, with enough rows that the planner weighs its choices (20,000, analyzed), every
    /// keyset statement is an index scan with no sort, and a cursor is part of the index condition.
    @Test func postgresKeysetStatementsSearchAnIndex() throws {
        guard Backend.all.contains(.postgres) else { return }
        let temp = try TempStore(.postgres)
        _ = try temp.sql.run("""
            INSERT INTO tasks (title, due_at, completed, action_at, created_at)
            SELECT 'task ' || i, i * 1000, (i % 3 = 0)::int, CASE WHEN i % 3 = 0 THEN i ELSE NULL END, 0
            FROM generate_series(1, 20000) AS i
            """, [])
        _ = try temp.sql.run("ANALYZE tasks", [])
        for shape in KeysetShape.all {
            let sql = try #require(PostgresTaskStore.keyset[shape])
            let cursor = shape.hasCursor ? TaskCursor(due: 10_000_000, id: 10_000) : nil
            let plan = try temp.sql.query("EXPLAIN " + sql, shape.values(.pending, cursor, limit: 51))
                .compactMap { $0.first?.text }.joined(separator: "\n")
            #expect(plan.contains("Index Scan"), "\(shape): \(plan)")
            #expect(!plan.contains("Sort") && !plan.contains("Seq Scan"), "\(shape): \(plan)")
            // Without a cursor the planner may read either index for a filtered page (here 2/3 of
            // the rows are pending, so `tasks_by_due` with a filter is as cheap); with one, the cursor
            // must be part of the index search, not a filter over the rows it reads.
            guard shape.hasCursor else { continue }
            #expect(plan.contains(shape.filtered ? "using tasks_by_state_due" : "using tasks_by_due") && !plan.contains("Filter"), "\(shape): \(plan)")
            #expect(plan.contains("Index Cond") && plan.contains(shape.filtered ? "ROW(completed, due_at, id)" : "ROW(due_at, id)"), "\(shape): \(plan)")
        }
    }
    #endif
}

@Suite struct TaskCursorTests {
    @Test func parsesWhatItWrites() {
        for cursor in [TaskCursor(due: 1_767_258_000_000, id: 42), TaskCursor(due: -62_135_596_800_000, id: 1),
                       TaskCursor(due: 0, id: 999_999_999_999_999_999)] {
            #expect(TaskCursor(cursor.description) == cursor)
        }
        #expect(TaskCursor("1767258000000.42") == TaskCursor(due: 1_767_258_000_000, id: 42))
        #expect(TaskCursor("-5.007") == TaskCursor(due: -5, id: 7))
    }

    @Test(arguments: ["", ".", "1", "1.", ".1", "1.2.3", "a.1", "1.b", "+1.2", "1.-2", "--1.2", "-.1", " 1.2", "1.2 ",
                      "1.2\n", "1,2", "１.２", "1234567890123456789.1", "1.1234567890123456789", "0x1.2", "1e3.2"])
    func refusesAnythingElse(_ text: String) {
        #expect(TaskCursor(text) == nil)
    }
}
