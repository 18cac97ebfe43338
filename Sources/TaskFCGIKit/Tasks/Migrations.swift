/// A named, append-only schema step. Never edit a released migration: add a new one.
public struct Migration: Sendable {
    public let name: String
    public let sql: String
}

/// The schema, as the ordered list of migrations that build it.
public enum Schema {
    public static let migrations: [Migration] = core + QueueRegistry.migrations(.sqlite)

    /// The app's own schema steps.
    static let core: [Migration] = [
        Migration(name: "001-create-tasks", sql: """
            CREATE TABLE tasks (
                id          INTEGER PRIMARY KEY,
                title       TEXT    NOT NULL,
                due_at      INTEGER NOT NULL,            -- Unix milliseconds, UTC
                completed   INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
                action_at   INTEGER,                     -- when the job completed it
                created_at  INTEGER NOT NULL,
                CHECK ((completed = 0) = (action_at IS NULL))
            );
            -- Pending and completed lists, the earliest pending due date, and the sweep's
            -- `completed = 0 AND due_at <= now` all walk this index: O(due), not O(all tasks).
            CREATE INDEX tasks_by_state_due ON tasks (completed, due_at, id);
            -- The "all" list, ordered by due date.
            CREATE INDEX tasks_by_due ON tasks (due_at, id);
            """),
        Migration(name: "002-create-job-runs", sql: """
            CREATE TABLE job_runs (
                id           INTEGER PRIMARY KEY,
                job          TEXT    NOT NULL,
                started_at   INTEGER NOT NULL,           -- Unix milliseconds, UTC
                duration_us  INTEGER NOT NULL,
                affected     INTEGER NOT NULL,
                error        TEXT
            );
            CREATE INDEX job_runs_by_job ON job_runs (job, id);
            """),
        Migration(name: "003-create-job-lease", sql: """
            -- One row: which worker process may run jobs, until when. Taken and renewed by the
            -- job thread; other workers sharing the database stand by until it expires.
            CREATE TABLE job_lease (
                id           INTEGER PRIMARY KEY CHECK (id = 1),
                holder       TEXT    NOT NULL,
                pid          INTEGER NOT NULL,
                host         TEXT    NOT NULL,
                acquired_at  INTEGER NOT NULL,           -- Unix milliseconds, UTC
                expires_at   INTEGER NOT NULL
            );
            """),
        Migration(name: "004-count-tasks-by-state", sql: """
            -- The list page shows counts on every request; counting a million rows each time would
            -- cost a second. Triggers keep them in step with every insert, delete and completion,
            -- whoever makes it (the worker, a migration, the sqlite3 shell).
            CREATE TABLE task_counts (
                completed  INTEGER PRIMARY KEY,
                n          INTEGER NOT NULL
            );
            INSERT INTO task_counts (completed, n)
                SELECT 0, count(*) FROM tasks WHERE completed = 0
                UNION ALL SELECT 1, count(*) FROM tasks WHERE completed = 1;
            CREATE TRIGGER tasks_counted_on_insert AFTER INSERT ON tasks BEGIN
                UPDATE task_counts SET n = n + 1 WHERE completed = NEW.completed;
            END;
            CREATE TRIGGER tasks_counted_on_delete AFTER DELETE ON tasks BEGIN
                UPDATE task_counts SET n = n - 1 WHERE completed = OLD.completed;
            END;
            CREATE TRIGGER tasks_counted_on_update AFTER UPDATE OF completed ON tasks
            WHEN OLD.completed <> NEW.completed BEGIN
                UPDATE task_counts SET n = n - 1 WHERE completed = OLD.completed;
                UPDATE task_counts SET n = n + 1 WHERE completed = NEW.completed;
            END;
            """),
        Migration(name: "005-fenced-durable-jobs", sql: """
            -- The lease carries a fencing token: `generation` grows by one at every acquisition, and
            -- every batch a job commits checks holder, generation and expiry in its own transaction.
            -- `machine` is the boot id, so two hosts with one hostname never mistake each other.
            ALTER TABLE job_lease ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE job_lease ADD COLUMN machine TEXT NOT NULL DEFAULT '';
            -- Each job's schedule survives restarts and takeovers: the holder reads it on start and
            -- moves it on after each slot, in the same fenced transaction that claims the slot.
            CREATE TABLE job_schedule (
                job              TEXT    PRIMARY KEY,
                schedule         TEXT    NOT NULL,       -- as written: "every 5m", "cron @daily"
                next_run         INTEGER NOT NULL,       -- the next slot not yet run, Unix ms
                last_slot        INTEGER,                -- the last slot claimed
                last_outcome     TEXT,                   -- running, ok, failed, lease lost
                last_generation  INTEGER,
                last_holder      TEXT,
                misfires         INTEGER NOT NULL DEFAULT 0,
                updated_at       INTEGER NOT NULL
            );
            -- A run records which slot it served (NULL for wake-ups and manual runs) and under which
            -- lease; one row per (job, slot), so a slot can never be recorded as run twice.
            ALTER TABLE job_runs ADD COLUMN slot INTEGER;
            ALTER TABLE job_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'schedule';
            ALTER TABLE job_runs ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE job_runs ADD COLUMN holder TEXT NOT NULL DEFAULT '';
            ALTER TABLE job_runs ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
            ALTER TABLE job_runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
            CREATE UNIQUE INDEX job_runs_one_per_slot ON job_runs (job, slot) WHERE slot IS NOT NULL;
            -- The purge finds old completed tasks by action date without scanning every completed row.
            CREATE INDEX tasks_completed_by_action ON tasks (completed, action_at) WHERE completed = 1;
            """),
        Migration(name: "006-create-idempotency-keys", sql: """
            -- `Idempotency-Key` on POST /api/tasks: a retried create returns the first task instead of
            -- a second one. The title and due date are kept to tell a retry from a reused key; the
            -- created task is rebuilt from them, so a replay answers as the first create did.
            CREATE TABLE idempotency_keys (
                idem_key    TEXT    PRIMARY KEY,
                task_id     INTEGER NOT NULL,
                title       TEXT    NOT NULL,
                due_at      INTEGER NOT NULL,            -- Unix milliseconds, UTC
                created_at  INTEGER NOT NULL             -- the task's creation; the key expires 24 h later
            );
            CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
            """),
        Migration(name: "007-count-task-changes", sql: """
            -- The change token live pages poll (`GET /tasks/changes`): it grows with every insert,
            -- delete, completion and edit of a task, whoever makes it, so an unchanged page is
            -- answered from these two rows without reading `tasks`. `PRAGMA data_version` cannot
            -- serve: it is per connection and does not move for that connection's own writes.
            -- The count triggers already write these rows, so the token costs no extra page write.
            ALTER TABLE task_counts ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
            DROP TRIGGER tasks_counted_on_insert;
            DROP TRIGGER tasks_counted_on_delete;
            DROP TRIGGER tasks_counted_on_update;
            CREATE TRIGGER tasks_counted_on_insert AFTER INSERT ON tasks BEGIN
                UPDATE task_counts SET n = n + 1, changes = changes + 1 WHERE completed = NEW.completed;
            END;
            CREATE TRIGGER tasks_counted_on_delete AFTER DELETE ON tasks BEGIN
                UPDATE task_counts SET n = n - 1, changes = changes + 1 WHERE completed = OLD.completed;
            END;
            CREATE TRIGGER tasks_counted_on_update AFTER UPDATE OF completed ON tasks
            WHEN OLD.completed <> NEW.completed BEGIN
                UPDATE task_counts SET n = n - 1, changes = changes + 1 WHERE completed = OLD.completed;
                UPDATE task_counts SET n = n + 1, changes = changes + 1 WHERE completed = NEW.completed;
            END;
            CREATE TRIGGER tasks_changed_on_edit AFTER UPDATE OF title, due_at ON tasks
            WHEN OLD.title IS NOT NEW.title OR OLD.due_at <> NEW.due_at BEGIN
                UPDATE task_counts SET changes = changes + 1 WHERE completed = NEW.completed;
            END;
            """),
        Migration(name: "008-create-operator-audit", sql: """
            -- Who steered the worker: every operator action and refused or throttled sign-in
            -- (see Operators/Audit.swift). Append-only; /jobs and GET /api/audit read the newest.
            CREATE TABLE operator_audit (
                id         INTEGER PRIMARY KEY,
                at_ms      INTEGER NOT NULL,             -- Unix milliseconds, UTC
                user_name  TEXT    NOT NULL,
                peer       TEXT    NOT NULL,
                action     TEXT    NOT NULL,
                job        TEXT,
                outcome    TEXT    NOT NULL
            );
            """),
        Migration(name: "009-pause-jobs", sql: """
            -- An operator's pause lives in the job's schedule row, so every worker honours it and the
            -- holder checks it in the same transaction that claims a slot. Slots passing meanwhile
            -- are counted apart from misfires: nobody missed them, they were skipped on purpose.
            ALTER TABLE job_schedule ADD COLUMN paused_at INTEGER;      -- Unix ms; NULL: not paused
            ALTER TABLE job_schedule ADD COLUMN paused_by TEXT;
            ALTER TABLE job_schedule ADD COLUMN pause_reason TEXT;
            ALTER TABLE job_schedule ADD COLUMN paused_until INTEGER;   -- Unix ms; NULL: until resumed
            ALTER TABLE job_schedule ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
            """),
        Migration(name: "010-create-queue", sql: QueueSchema.tables(.sqlite)),
    ]

    /// Why a database cannot be used with this build.
    public struct TooNew: Error, CustomStringConvertible {
        public let unknown: [String]
        public var description: String {
            "the database was migrated by a newer taskfcgi (unknown migrations: \(unknown.joined(separator: ", "))); run that version or restore a backup"
        }
    }

    /// Applies every migration not yet recorded, each in its own transaction; returns their names.
    @discardableResult
    public static func migrate(_ db: Connection, now: Instant) throws -> [String] {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)
            """)
        let applied = Set(try db.rows("SELECT name FROM schema_migrations") { $0.text(0) })
        let known = Set(migrations.map(\.name))
        let unknown = applied.subtracting(known).sorted()
        guard unknown.isEmpty else { throw TooNew(unknown: unknown) }
        var ran: [String] = []
        for migration in migrations where !applied.contains(migration.name) {
            try db.transaction {
                // Another process may have run it between our read and our write lock.
                let done = try db.firstRow("SELECT 1 FROM schema_migrations WHERE name = ?", .text(migration.name)) { _ in true }
                guard done == nil else { return }
                try db.execute(migration.sql)
                try db.run("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                           .text(migration.name), .int(now.milliseconds))
                ran.append(migration.name)
            }
        }
        return ran
    }
}
