/// The queue's tables, one text for both backends (SQLite's migration 010, PostgreSQL's 007):
/// only the integer types and PostgreSQL's wake-up trigger differ. Released as is: change the
/// schema with a new migration, never here.
enum QueueSchema {
    static func tables(_ dialect: SQLDialect) -> String {
        let (id, int) = dialect == .sqlite ? ("INTEGER PRIMARY KEY", "INTEGER") : ("BIGSERIAL PRIMARY KEY", "BIGINT")
        let tables = """
            -- The durable queue: jobs the app enqueues (in its own transactions), worked by every
            -- worker's queue threads; see Queue/QueueSQL.swift.
            CREATE TABLE queue_jobs (
                id             \(id),
                kind           TEXT NOT NULL,
                args           TEXT NOT NULL,                -- JSON
                state          TEXT NOT NULL CHECK (state IN
                                   ('scheduled', 'available', 'running', 'retryable', 'completed', 'discarded', 'cancelled')),
                attempt        \(int) NOT NULL DEFAULT 0,
                max_attempts   \(int) NOT NULL,
                run_at         \(int) NOT NULL,              -- Unix ms: not before (waiting), or when it was claimed
                unique_key     TEXT,
                claim_token    TEXT,                         -- the claim that may record the result (fence)
                claimed_until  \(int),                       -- past this (plus a grace) the rescuer takes it back
                created_at     \(int) NOT NULL,
                attempted_at   \(int),
                finished_at    \(int),
                last_error     TEXT
            );
            -- Claims walk the waiting jobs by time; counts and pruning go by state.
            CREATE INDEX queue_jobs_waiting ON queue_jobs (run_at, id)
                WHERE state IN ('scheduled', 'available', 'retryable');
            CREATE INDEX queue_jobs_by_state ON queue_jobs (state, finished_at);
            -- A unique key is taken while its job waits or runs; finished jobs free it.
            CREATE UNIQUE INDEX queue_jobs_unique ON queue_jobs (unique_key)
                WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running', 'retryable');
            CREATE TABLE queue_errors (
                job_id   \(int) NOT NULL,
                attempt  \(int) NOT NULL,
                at       \(int) NOT NULL,
                message  TEXT NOT NULL,
                PRIMARY KEY (job_id, attempt)
            );

            """
        guard dialect == .postgres else { return tables }
        return tables + """
            -- Every host's queue threads wake at once when a job is queued or made available again (at commit).
            CREATE FUNCTION taskfcgi_notify_queue() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('taskfcgi_queue', ''); RETURN NULL; END $$;
            CREATE TRIGGER queue_notify AFTER INSERT OR UPDATE OF run_at ON queue_jobs
                FOR EACH STATEMENT EXECUTE FUNCTION taskfcgi_notify_queue();
            """
    }
}
