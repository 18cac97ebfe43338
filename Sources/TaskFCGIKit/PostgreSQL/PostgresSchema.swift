#if PostgreSQL
/// The schema on PostgreSQL: the same tables, columns and meanings as on SQLite (times as Unix
/// milliseconds, `completed` as 0/1), so a job's SQL runs on both.
enum PostgresSchema {
    static let migrations: [Migration] = core + QueueRegistry.migrations(.postgres)

    /// The app's own schema steps.
    static let core: [Migration] = [
        Migration(name: "001-postgres-schema", sql: """
            CREATE TABLE tasks (
                id          BIGSERIAL PRIMARY KEY,
                title       TEXT     NOT NULL,
                due_at      BIGINT   NOT NULL,
                completed   SMALLINT NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
                action_at   BIGINT,
                created_at  BIGINT   NOT NULL,
                CHECK ((completed = 0) = (action_at IS NULL))
            );
            CREATE INDEX tasks_by_state_due ON tasks (completed, due_at, id);
            CREATE INDEX tasks_by_due ON tasks (due_at, id);
            CREATE INDEX tasks_completed_by_action ON tasks (completed, action_at) WHERE completed = 1;

            -- Counts kept by triggers: the list page shows them on every request.
            CREATE TABLE task_counts (completed SMALLINT PRIMARY KEY, n BIGINT NOT NULL);
            INSERT INTO task_counts VALUES (0, 0), (1, 0);
            CREATE FUNCTION taskfcgi_count_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    UPDATE task_counts SET n = n - 1 WHERE completed = OLD.completed;
                END IF;
                IF TG_OP IN ('UPDATE', 'INSERT') THEN
                    UPDATE task_counts SET n = n + 1 WHERE completed = NEW.completed;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER tasks_counted AFTER INSERT OR DELETE ON tasks
                FOR EACH ROW EXECUTE FUNCTION taskfcgi_count_tasks();
            CREATE TRIGGER tasks_counted_on_update AFTER UPDATE OF completed ON tasks
                FOR EACH ROW WHEN (OLD.completed <> NEW.completed) EXECUTE FUNCTION taskfcgi_count_tasks();

            -- Any host that creates or moves a task wakes the job holder at once (delivered at
            -- commit; one notification per statement, however many rows).
            CREATE FUNCTION taskfcgi_notify_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('taskfcgi_tasks', ''); RETURN NULL; END $$;
            CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE OF due_at ON tasks
                FOR EACH STATEMENT EXECUTE FUNCTION taskfcgi_notify_tasks();

            CREATE TABLE job_runs (
                id           BIGSERIAL PRIMARY KEY,
                job          TEXT    NOT NULL,
                started_at   BIGINT  NOT NULL,
                duration_us  BIGINT  NOT NULL,
                affected     BIGINT  NOT NULL,
                error        TEXT,
                slot         BIGINT,
                kind         TEXT    NOT NULL DEFAULT 'schedule',
                generation   BIGINT  NOT NULL DEFAULT 0,
                holder       TEXT    NOT NULL DEFAULT '',
                outcome      TEXT    NOT NULL DEFAULT 'ok',
                attempts     INTEGER NOT NULL DEFAULT 1
            );
            CREATE INDEX job_runs_by_job ON job_runs (job, id);
            CREATE UNIQUE INDEX job_runs_one_per_slot ON job_runs (job, slot) WHERE slot IS NOT NULL;

            CREATE TABLE job_lease (
                id           INTEGER PRIMARY KEY CHECK (id = 1),
                holder       TEXT    NOT NULL,
                pid          INTEGER NOT NULL,
                host         TEXT    NOT NULL,
                machine      TEXT    NOT NULL DEFAULT '',
                generation   BIGINT  NOT NULL DEFAULT 0,
                acquired_at  BIGINT  NOT NULL,
                expires_at   BIGINT  NOT NULL
            );

            CREATE TABLE job_schedule (
                job              TEXT    PRIMARY KEY,
                schedule         TEXT    NOT NULL,
                next_run         BIGINT  NOT NULL,
                last_slot        BIGINT,
                last_outcome     TEXT,
                last_generation  BIGINT,
                last_holder      TEXT,
                misfires         BIGINT  NOT NULL DEFAULT 0,
                updated_at       BIGINT  NOT NULL
            );
            """),
        // Row-level count triggers update the same two task_counts rows once per task, and inside
        // one transaction each update walks every earlier version of the row: a statement of n
        // rows costs O(n²) (100,000 inserted rows took 71 s, a 1,000-row sweep batch 50 ms of
        // 65). One statement-level update per statement, from its transition tables, is linear.
        Migration(name: "002-postgres-statement-counts", sql: """
            DROP TRIGGER tasks_counted ON tasks;
            DROP TRIGGER tasks_counted_on_update ON tasks;
            DROP FUNCTION taskfcgi_count_tasks();
            CREATE FUNCTION taskfcgi_count_task_rows() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                -- Each branch names only the transition tables its trigger defines.
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    UPDATE task_counts c SET n = c.n - d.n
                    FROM (SELECT completed, count(*) AS n FROM old_rows GROUP BY completed) d
                    WHERE c.completed = d.completed;
                END IF;
                IF TG_OP IN ('UPDATE', 'INSERT') THEN
                    UPDATE task_counts c SET n = c.n + d.n
                    FROM (SELECT completed, count(*) AS n FROM new_rows GROUP BY completed) d
                    WHERE c.completed = d.completed;
                END IF;
                RETURN NULL;
            END $$;
            -- A trigger with transition tables takes one event and no column list.
            CREATE TRIGGER tasks_counted_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION taskfcgi_count_task_rows();
            CREATE TRIGGER tasks_counted_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION taskfcgi_count_task_rows();
            CREATE TRIGGER tasks_counted_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION taskfcgi_count_task_rows();
            """),
        Migration(name: "003-create-idempotency-keys", sql: """
            -- `Idempotency-Key` on POST /api/tasks, as on SQLite (migration 006 there).
            CREATE TABLE idempotency_keys (
                idem_key    TEXT    PRIMARY KEY,
                task_id     BIGINT  NOT NULL,
                title       TEXT    NOT NULL,
                due_at      BIGINT  NOT NULL,
                created_at  BIGINT  NOT NULL
            );
            CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
            """),
        Migration(name: "004-count-task-changes", sql: """
            -- The change token live pages poll, as on SQLite (migration 007 there): one increment per
            -- statement that writes tasks (a statement that changed no row moves it too, which only
            -- costs a watching page one refresh).
            ALTER TABLE task_counts ADD COLUMN changes BIGINT NOT NULL DEFAULT 0;
            CREATE FUNCTION taskfcgi_note_task_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN UPDATE task_counts SET changes = changes + 1 WHERE completed = 0; RETURN NULL; END $$;
            CREATE TRIGGER tasks_changed AFTER INSERT OR UPDATE OR DELETE ON tasks
                FOR EACH STATEMENT EXECUTE FUNCTION taskfcgi_note_task_change();
            """),
        Migration(name: "005-create-operator-audit", sql: """
            -- The operators' audit trail, as on SQLite (migration 008 there).
            CREATE TABLE operator_audit (
                id         BIGSERIAL PRIMARY KEY,
                at_ms      BIGINT NOT NULL,
                user_name  TEXT   NOT NULL,
                peer       TEXT   NOT NULL,
                action     TEXT   NOT NULL,
                job        TEXT,
                outcome    TEXT   NOT NULL
            );
            """),
        Migration(name: "006-pause-jobs", sql: """
            -- Pausing jobs, as on SQLite (migration 009 there).
            ALTER TABLE job_schedule ADD COLUMN paused_at BIGINT;
            ALTER TABLE job_schedule ADD COLUMN paused_by TEXT;
            ALTER TABLE job_schedule ADD COLUMN pause_reason TEXT;
            ALTER TABLE job_schedule ADD COLUMN paused_until BIGINT;
            ALTER TABLE job_schedule ADD COLUMN skipped BIGINT NOT NULL DEFAULT 0;
            """),
        Migration(name: "007-create-queue", sql: QueueSchema.tables(.postgres)),
    ]

    /// Any number, the same in every worker: the advisory lock that serializes migrations.
    static let migrationLock: Int64 = 0x7461_736B_6663_6769  // "taskfcgi"

    /// The oldest server this schema and its SQL were checked against.
    static let minimumVersion = 130000

    /// Refuses a server older than `minimumVersion` (`version` as libpq reports it: 150004 for 15.4).
    static func checkVersion(_ version: Int) throws {
        guard version >= minimumVersion else {
            throw PostgresError(sqlState: nil, message: "the server is PostgreSQL \(version / 10000); taskfcgi needs \(minimumVersion / 10000) or later", sql: nil)
        }
    }

    /// Applies the migrations the database lacks, under an advisory lock so that workers starting
    /// at once take turns; returns their names.
    static func migrate(_ db: PGConnection, now: Instant) throws -> [String] {
        try checkVersion(db.serverVersion)
        try db.run("SELECT pg_advisory_lock(?)", [.int(migrationLock)])
        defer { _ = try? db.run("SELECT pg_advisory_unlock(?)", [.int(migrationLock)]) }
        try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        let applied = Set(try db.rows("SELECT name FROM schema_migrations", []) { $0.text(0) })
        let unknown = applied.subtracting(migrations.map(\.name)).sorted()
        guard unknown.isEmpty else { throw Schema.TooNew(unknown: unknown) }
        var ran: [String] = []
        for migration in migrations where !applied.contains(migration.name) {
            try db.transaction {
                try db.execute(migration.sql)
                try db.run("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                           [.text(migration.name), .int(now.milliseconds)])
            }
            ran.append(migration.name)
        }
        return ran
    }
}
#endif
