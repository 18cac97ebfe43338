#if PostgreSQL
import Testing
@testable import TaskFCGIKit

/// The PostgreSQL schema's own rules: the version gate (a server too old cannot be started here,
/// so the gate is checked with the version libpq would report), and counts kept right by
/// statement-level triggers for statements of many rows.
@Suite struct PostgresSchemaTests {
    @Test func refusesAServerOlderThan13() throws {
        try PostgresSchema.checkVersion(130000)
        try PostgresSchema.checkVersion(150004)
        let error = try #require(throws: PostgresError.self) { try PostgresSchema.checkVersion(120017) }
        #expect(error.description == "PostgreSQL error: the server is PostgreSQL 12; taskfcgi needs 13 or later")
    }

    @Test func countsFollowStatementsOfManyRows() throws {
        guard Backend.all.contains(.postgres) else { return }
        let temp = try TempStore(.postgres)
        let counts = { () throws -> [Int] in let c = try temp.store.counts(); return [c.pending, c.completed] }
        try temp.sql.run("INSERT INTO tasks (title, due_at, created_at) SELECT 'n' || i, i, 0 FROM generate_series(1, 5000) i")
        #expect(try counts() == [5000, 0])
        #expect(try temp.sql.run("UPDATE tasks SET completed = 1, action_at = 9 WHERE due_at <= 3000") == 3000)
        #expect(try counts() == [2000, 3000])
        // A title change of completed and pending rows moves nothing between the counts.
        try temp.sql.run("UPDATE tasks SET title = title || '!' WHERE due_at BETWEEN 2990 AND 3010")
        #expect(try counts() == [2000, 3000])
        try temp.sql.run("DELETE FROM tasks WHERE due_at > 2500 AND due_at <= 3500")
        #expect(try counts() == [1500, 2500])
        #expect(try temp.int("SELECT count(*) FROM tasks WHERE completed = 0") == 1500)
    }
}
#endif
