#if PostgreSQL
import Foundation
import Testing
import TestPostgres

extension IntegrationTests {
    /// The PostgreSQL server goes away under load, on a server of the test's own: a restart (every
    /// worker reconnects by itself) and a failover to a promoted replica through a multi-host
    /// connection string (every worker follows it without a config change).
    @Suite("PostgreSQL: server restarts and failover")
    struct PostgresFaults {
        /// Waits until every member's `/healthz` answers `status`; returns the bodies seen last.
        static func waitForHealth(_ cluster: Cluster, _ status: Int, within seconds: Double) throws -> [String]? {
            var bodies: [String] = []
            let reached = try waitUntil(seconds, every: 0.1) {
                let answers = try cluster.members.map { try $0.http.get("/healthz") }
                bodies = answers.map(\.body)
                return answers.allSatisfy { $0.status == status }
            }
            return reached ? bodies : nil
        }

        /// Waits until the load has `more` 303s than `before` (POSTs succeed again).
        static func waitForAcknowledged(_ load: PostLoad, more: Int, within seconds: Double) -> Bool {
            let before = load.count(status: 303)
            return waitUntil(seconds, every: 0.02) { load.count(status: 303) >= before + more }
        }

        /// A 503 with `Retry-After` saying `words`: problem+json from the API, a page otherwise.
        static func expect503(_ response: HTTPResponse, _ words: String, api: Bool, _ what: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(response.status == 503 && response.header("retry-after") == "5", "\(what): \(response)", sourceLocation: sourceLocation)
            #expect(response.header("content-type") == (api ? "application/problem+json" : "text/html; charset=utf-8"), "\(what): \(response)",
                    sourceLocation: sourceLocation)
            #expect(response.body.contains(words), "\(what): \(response)", sourceLocation: sourceLocation)
        }

        static let apiBody = Data(#"{"title":"during the fault","due":"2030-01-01T10:00:00Z"}"#.utf8)

        /// A page, an API read, an API write and an operator route: each a 503 with `Retry-After`.
        static func expectUnavailable(_ cluster: Cluster, words: String) throws {
            let http: HTTPClient = cluster.http
            expect503(try http.get("/tasks"), words, api: false, "GET /tasks")
            expect503(try http.get("/api/tasks"), words, api: true, "GET /api/tasks")
            expect503(try http.request("POST", "/api/tasks", body: apiBody, contentType: "application/json"), words, api: true, "POST /api/tasks")
            expect503(try http.get("/api/jobs"), words, api: true, "GET /api/jobs")
        }

        /// Every worker serves `GET /tasks` (reads on every request thread work again) and runs in
        /// the process it started in.
        static func expectServingWithoutRestart(_ cluster: Cluster, pids: [Int]) throws {
            #expect(cluster.members.map(\.pid) == pids && cluster.members.allSatisfy { $0.process.isRunning },
                    "a worker was restarted or died\n\(cluster.diagnostics)")
            for member in cluster.members {
                // More GETs than request threads, so every thread's connection is exercised.
                let statuses = try (0..<8).map { _ in try member.http.get("/tasks").status }
                #expect(statuses.allSatisfy { $0 == 200 }, "\(member.name): GET /tasks \(statuses)\n\(cluster.diagnostics)")
            }
        }

        @Test("PostgreSQL restarted under a POST stream: every 303 stored once, only 503s while it is down, /healthz says why and recovers; no worker restarted")
        func serverRestartUnderLoad() throws {
            let server = try PostgresServer()
            defer { server.stop() }
            // A lease that outlives the outage: the holder keeps it, so nothing but its own
            // reconnect (and LISTEN again) can tell it about tasks created right after the restart.
            let cluster = try Cluster(leaseTTL: "10s", postgres: try PostgresDatabase(on: server))
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let pids = cluster.members.map(\.pid)

            let load = PostLoad(port: cluster.http.port, folder: cluster.box.folder, clients: 4, prefix: "pgrestart")
            defer { load.stop() }
            #expect(Self.waitForAcknowledged(load, more: 50, within: 10), "the load never got going\n\(cluster.diagnostics)")

            server.stopServer(mode: "fast")
            let stopped = monotonicSeconds()
            let downBodies = try Self.waitForHealth(cluster, 503, within: 3)
            #expect(downBodies?.allSatisfy { $0.contains("database unavailable") && $0.contains("Connection refused") } == true,
                    "/healthz while PostgreSQL is down: \(downBodies ?? [])")
            // An outage of about 2 s, with 503s to show for it.
            #expect(waitUntil(5) { monotonicSeconds() - stopped >= 2 && load.count(status: 503) > 0 }, "no 503 during the outage")
            // While it is down: the pages and the API give the same 503 with Retry-After (the API gave 500 before issue 20).
            // ("cannot be reached" from a statement; "cannot be opened" from a request thread whose
            // connection could not be made again yet.)
            try Self.expectUnavailable(cluster, words: "database cannot be")
            try server.start()
            let restarted = monotonicSeconds()
            let during503 = load.count(status: 503)

            let healthy = try Self.waitForHealth(cluster, 200, within: 10) != nil
            let recovery = monotonicSeconds() - restarted
            #expect(healthy, "/healthz did not recover\n\(cluster.diagnostics)")
            #expect(Self.waitForAcknowledged(load, more: 50, within: 10), "POSTs did not succeed again\n\(cluster.diagnostics)")
            let after503 = load.count(status: 503) - during503
            #expect(load.stop(), "the clients did not stop")
            // Created through the stand-by as soon as the workers are healthy again: only a
            // notification can wake the holder for it.
            let due = MultiWorker.wholeSecond(ahead: 1000)
            let ids = try cluster.others(than: holder).compactMap { member in
                try cluster.quickCreate(port: member.http.port, title: "after restart \(member.index)", due: utcFormText(due)).id
            }

            let writes = try AcknowledgedWrites(load, prefix: "pgrestart", in: cluster.box)
            print("[PostgresFaults] restart after \(String(format: "%.1f", restarted - stopped)) s down: healthy again \(String(format: "%.2f", recovery)) s after the start; \(writes.summary); 503s after the restart: \(after503)")
            #expect(writes.lost.isEmpty, "acknowledged but not stored once: \(writes.lost.prefix(5))")
            #expect(writes.duplicated.isEmpty, "stored twice: \(writes.duplicated.prefix(5))")
            #expect(writes.unexpected.isEmpty, "\(writes.summary); errors \(writes.errors)\n\(cluster.diagnostics)")
            try Self.expectServingWithoutRestart(cluster, pids: pids)

            // The job holder reconnected too and kept its lease: the tasks created just after the
            // restart complete on time.
            #expect(try cluster.box.sqlInt("SELECT generation FROM job_lease") == 1, "the lease changed hands")
            #expect(ids.count == cluster.members.count - 1)
            #expect(try MultiWorker.waitForCompletion(cluster, ids, within: Double(due - nowMilliseconds()) / 1000 + 3) == ids.count,
                    "\(cluster.diagnostics)")
            let late = try cluster.box.sql("SELECT id, action_at - due_at FROM tasks WHERE title LIKE 'after restart%' AND action_at - due_at > 250")
            #expect(late.isEmpty, "completed late after the restart: \(late)")
        }

        @Test("failover to a promoted replica through a multi-host connection string: POSTs succeed again without a config change; every 303 survives; the job holder completes tasks on the new primary")
        func failoverToPromotedReplica() throws {
            let primary = try PostgresServer()
            defer { primary.stop() }
            let name = try primary.createDatabaseNamed()
            let replica = try PostgresServer(replicaOf: primary)
            defer { replica.stop() }
            // What each host's config would say: both servers, whichever accepts writes.
            let conninfo = "host=127.0.0.1,127.0.0.1 port=\(primary.port),\(replica.port) user=postgres dbname=\(name) "
                + "target_session_attrs=read-write connect_timeout=2"
            let database = try PostgresDatabase(on: primary, name: name, connectionString: conninfo)
            let cluster = try Cluster(postgres: database)
            defer { cluster.close() }
            _ = try cluster.requireHolder()
            let pids = cluster.members.map(\.pid)

            // Tasks that fall due after the failover, created through each worker before it.
            let due = MultiWorker.wholeSecond(ahead: 6000)
            let ids = try cluster.members.flatMap { member in
                try (0..<3).compactMap { index in
                    try cluster.quickCreate(port: member.http.port, title: "across failover \(member.index)-\(index)", due: utcFormText(due)).id
                }
            }
            #expect(ids.count == 3 * cluster.members.count)
            let load = PostLoad(port: cluster.http.port, folder: cluster.box.folder, clients: 4, prefix: "failover")
            defer { load.stop() }
            #expect(Self.waitForAcknowledged(load, more: 50, within: 10), "the load never got going\n\(cluster.diagnostics)")

            // A fast stop sends the replica every WAL record first: what was committed survives.
            primary.stopServer(mode: "fast")
            let stopped = monotonicSeconds()
            #expect(waitUntil(5) { monotonicSeconds() - stopped >= 1 && load.count(status: 503) > 0 }, "no 503 while there was no primary")
            try replica.promote()
            database.server = replica
            let promoted = monotonicSeconds()
            let back = Self.waitForAcknowledged(load, more: 1, within: 15)
            let failover = monotonicSeconds() - promoted
            #expect(back, "no POST succeeded after the promotion\n\(cluster.diagnostics)")
            #expect(Self.waitForAcknowledged(load, more: 50, within: 10), "\(cluster.diagnostics)")
            #expect(try Self.waitForHealth(cluster, 200, within: 10) != nil, "/healthz did not recover\n\(cluster.diagnostics)")
            #expect(load.stop(), "the clients did not stop")

            let writes = try AcknowledgedWrites(load, prefix: "failover", in: cluster.box)
            let holder = try cluster.waitForHolder(cluster.leaseTTL + 5)
            #expect(holder != nil, "nobody holds the lease on the new primary\n\(cluster.diagnostics)")
            let done = try MultiWorker.waitForCompletion(cluster, ids, within: Double(due - nowMilliseconds()) / 1000 + 3)
            let lease = try cluster.leaseRow()
            print("[PostgresFaults] failover: primary stopped, replica promoted \(String(format: "%.1f", promoted - stopped)) s later; first 303 \(String(format: "%.2f", failover)) s after the promotion; \(writes.summary); lease generation now \(try cluster.box.sqlInt("SELECT generation FROM job_lease")) held by pid \(lease?.pid ?? 0)")
            #expect(done == ids.count, "\(done) of \(ids.count) tasks due after the failover completed\n\(cluster.diagnostics)")
            let late = try cluster.box.sql("SELECT id, action_at - due_at FROM tasks WHERE title LIKE 'across failover%' AND action_at - due_at > 1000")
            #expect(late.isEmpty, "completed late after the failover: \(late)")
            #expect(writes.lost.isEmpty, "acknowledged but not on the new primary: \(writes.lost.prefix(5))")
            #expect(writes.duplicated.isEmpty, "stored twice: \(writes.duplicated.prefix(5))")
            #expect(writes.unexpected.isEmpty, "\(writes.summary); errors \(writes.errors)\n\(cluster.diagnostics)")
            try Self.expectServingWithoutRestart(cluster, pids: pids)
        }

        @Test("a lock held by another session, then a read-only server (as a stand-by is): pages and API answer 503 with Retry-After, busy then read-only, and recover")
        func lockHeldThenReadOnly() throws {
            let server = try PostgresServer()
            defer { server.stop() }
            let database = try PostgresDatabase(on: server)
            let cluster = try Cluster(workers: 1, config: ["busyTimeout": "1s"], postgres: database)
            defer { cluster.close() }
            let http: HTTPClient = cluster.http

            // Another session holds tasks for 6 s: reads and writes of tasks wait busyTimeout, then 503.
            let locker = Thread { _ = try? database.sql("BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;") }
            locker.start()
            let held = try waitUntil(5) {
                try database.sql("SELECT count(*) FROM pg_locks WHERE relation = 'tasks'::regclass AND mode = 'AccessExclusiveLock' AND granted")
                    .first?.first == "1"
            }
            #expect(held, "the lock was never taken")
            Self.expect503(try http.get("/tasks"), "busy", api: false, "GET /tasks, lock held")
            Self.expect503(try http.get("/api/tasks"), "busy", api: true, "GET /api/tasks, lock held")
            Self.expect503(try http.request("POST", "/api/tasks", body: Self.apiBody, contentType: "application/json"), "busy", api: true,
                           "POST /api/tasks, lock held")
            #expect(waitUntil(10) { (try? http.get("/tasks").status) == 200 }, "reads did not recover\n\(cluster.diagnostics)")

            // Every transaction read-only, as on a stand-by: reads go on, writes are 503 read-only.
            try server.psql("ALTER SYSTEM SET default_transaction_read_only = on")
            try server.psql("SELECT pg_reload_conf()")
            let readOnly = waitUntil(5) {
                (try? http.request("POST", "/api/tasks", body: Self.apiBody, contentType: "application/json").status) == 503
            }
            #expect(readOnly, "writes were not refused\n\(cluster.diagnostics)")
            Self.expect503(try http.request("POST", "/api/tasks", body: Self.apiBody, contentType: "application/json"), "read-only", api: true,
                           "POST /api/tasks, read-only")
            Self.expect503(try http.post("/tasks", form: [("title", "refused"), ("due", "2030-01-01T10:00")]), "read-only", api: false,
                           "POST /tasks, read-only")
            #expect(try http.get("/tasks").status == 200, "reads stop on a read-only server")
            try server.psql("ALTER SYSTEM RESET default_transaction_read_only")
            try server.psql("SELECT pg_reload_conf()")
            #expect(waitUntil(5) { (try? http.request("POST", "/api/tasks", body: Self.apiBody, contentType: "application/json").status) == 201 },
                    "writes did not recover\n\(cluster.diagnostics)")
            #expect(try database.sql("SELECT count(*) FROM tasks WHERE title = 'refused'").first?.first == "0")
            locker.cancel()
        }
    }
}
#endif
