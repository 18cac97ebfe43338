import Testing
@testable import TaskFCGIKit

@Suite struct MigrationTests {
    private let now = Instant(milliseconds: 1_700_000_000_000)

    @Test func migratesAnEmptyDatabase() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let db = try Connection(location: folder + "/tasks.db")
        let ran = try Schema.migrate(db, now: now)
        #expect(ran == Schema.migrations.map(\.name))
        #expect(Array(ran.prefix(2)) == ["001-create-tasks", "002-create-job-runs"])

        let recorded = try db.rows("SELECT name, applied_at FROM schema_migrations ORDER BY name") {
            ($0.text(0), $0.int(1))
        }
        #expect(recorded.map(\.0) == Schema.migrations.map(\.name).sorted())
        #expect(recorded.map(\.0).contains("001-create-tasks") && recorded.map(\.0).contains("002-create-job-runs"))
        #expect(recorded.allSatisfy { $0.1 == now.milliseconds })

        let tables = try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") { $0.text(0) }
        #expect(["job_runs", "schema_migrations", "tasks"].allSatisfy(tables.contains), "\(tables)")
    }

    @Test func rerunIsANoOp() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let db = try Connection(location: folder + "/tasks.db")
        try Schema.migrate(db, now: now)
        #expect(try Schema.migrate(db, now: now.adding(.days(1))) == [])
        // Also from another connection, as a second worker starting later would.
        let other = try Connection(location: folder + "/tasks.db")
        #expect(try Schema.migrate(other, now: now) == [])
        let count = try db.firstRow("SELECT count(*) FROM schema_migrations") { $0.int(0) }
        #expect(count == Int64(Schema.migrations.count))
    }

    @Test func appliesOnlyTheMissingMigration() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let db = try Connection(location: folder + "/tasks.db")
        try db.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
        try db.execute(Schema.migrations[0].sql)
        try db.run("INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)", .text(Schema.migrations[0].name))
        #expect(try Schema.migrate(db, now: now) == Schema.migrations.dropFirst().map(\.name))
    }

    @Test func unknownMigrationMeansTheDatabaseIsTooNew() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let db = try Connection(location: folder + "/tasks.db")
        try Schema.migrate(db, now: now)
        try db.run("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                   .text("999-add-priorities"), .int(now.milliseconds))
        let error = try #require(throws: Schema.TooNew.self) { try Schema.migrate(db, now: now) }
        #expect(error.unknown == ["999-add-priorities"])
        #expect(error.description.contains("999-add-priorities"))
    }

    @Test func fileDatabaseUsesWAL() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let db = try Connection(location: folder + "/tasks.db")
        #expect(try db.rows("PRAGMA journal_mode") { $0.text(0) } == ["wal"])
        #expect(try db.rows("PRAGMA foreign_keys") { $0.int(0) } == [1])
        #expect(try db.rows("PRAGMA synchronous") { $0.int(0) } == [1]) // NORMAL
        #expect(!db.isReadOnly)
    }

    @Test func schemaChecksRefuseInconsistentRows() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let db = try Connection(location: folder + "/tasks.db")
        try Schema.migrate(db, now: now)
        // Completed without an action date, and pending with one, both break the CHECK.
        #expect(throws: SQLiteError.self) {
            try db.run("INSERT INTO tasks (title, due_at, completed, created_at) VALUES ('x', 0, 1, 0)")
        }
        #expect(throws: SQLiteError.self) {
            try db.run("INSERT INTO tasks (title, due_at, completed, action_at, created_at) VALUES ('x', 0, 0, 5, 0)")
        }
    }
}
