#if PostgreSQL
import Foundation
import Testing

extension IntegrationTests {
    /// The several-hosts promises on a real PostgreSQL server: workers as separate processes with
    /// their own configs, sockets and logs (as hosts would have), one database, one nginx upstream.
    @Suite("PostgreSQL: several workers, one database")
    struct PostgresCluster {
        typealias Helpers = MultiWorker

        /// Nearest-rank percentile of sorted values.
        static func percentile(_ sorted: [Int64], _ p: Double) -> Int64 {
            sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
        }

        /// `count` tasks through nginx's round-robin server, due over `seconds` whole seconds from
        /// `base`; returns their ids (a refused POST is recorded as an issue).
        static func createRoundRobin(_ cluster: Cluster, count: Int, base: Int64, seconds: Int, label: String) throws -> [Int64] {
            var ids: [Int64] = []
            for index in 0..<count {
                let due = utcFormText(base + Int64(index % seconds) * 1000)
                let created = try cluster.quickCreate(port: cluster.http.port, title: "\(label) #\(index)", due: due)
                if let id = created.id { ids.append(id) } else { Issue.record("\(label) #\(index): \(created.status)") }
            }
            return ids
        }

        @Test("three workers on one PostgreSQL database: tasks created round-robin complete on time (p99 ≤ 250 ms); only the holder runs jobs")
        func threeWorkersOnTime() throws {
            let cluster = try Cluster(workers: 3, postgres: try PostgresDatabase())
            defer { cluster.close() }
            let holder = try cluster.requireHolder()

            // 150 tasks over three whole seconds, all created before the first falls due.
            let base = Helpers.wholeSecond(ahead: 2500)
            let ids = try Self.createRoundRobin(cluster, count: 150, base: base, seconds: 3, label: "three hosts")
            #expect(nowMilliseconds() < base, "creating the tasks took past their due time; lateness would be meaningless")
            for member in cluster.members {
                let posts = AccessLine.all(in: member.log).filter { $0.method == "POST" && $0.status == 303 }.count
                #expect(posts >= 40, "round-robin gave \(member.name) \(posts) POSTs of 150")
            }

            let done = try Helpers.waitForCompletion(cluster, ids, within: Double(base + 2000 - nowMilliseconds()) / 1000 + 3)
            #expect(done == ids.count, "\(done) of \(ids.count) completed\n\(cluster.diagnostics)")
            let lateness = try Helpers.completions(cluster, ids).compactMap { task in task.action.map { $0 - task.due } }.sorted()
            try #require(lateness.count == ids.count)
            let (p50, p99, worst) = (Self.percentile(lateness, 0.5), Self.percentile(lateness, 0.99), lateness.last!)
            print("[PostgresCluster] lateness due → action over 3 workers, \(lateness.count) tasks: p50 \(p50) ms, p99 \(p99) ms, max \(worst) ms")
            #expect(lateness.first! >= 0, "a task completed before it was due: \(lateness.first!) ms")
            #expect(p99 <= 250, "p99 lateness \(p99) ms\n\(cluster.diagnostics)")

            #expect(Sandbox.completedByJob(holder.log) == ids.count, "\(cluster.diagnostics)")
            for member in cluster.others(than: holder) {
                #expect(member.jobLines.isEmpty, "\(member.name) ran jobs:\n\(member.jobLines.joined(separator: "\n"))")
                #expect(try cluster.status(member)["holdsLease"] as? Bool == false)
            }
            #expect(try cluster.box.sqlInt("SELECT generation FROM job_lease") == 1, "the lease changed hands")
        }

        /// Every write of an action date, with the lease generation in force when it committed.
        static let audit = """
            CREATE TABLE audit (seq BIGSERIAL PRIMARY KEY, task_id BIGINT NOT NULL, action_at BIGINT NOT NULL,
                                generation BIGINT NOT NULL);
            CREATE FUNCTION audit_action() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO audit (task_id, action_at, generation)
                VALUES (NEW.id, NEW.action_at, (SELECT generation FROM job_lease WHERE id = 1));
                RETURN NULL;
            END $$;
            CREATE TRIGGER audit_action AFTER UPDATE OF action_at ON tasks
                FOR EACH ROW WHEN (NEW.action_at IS NOT NULL) EXECUTE FUNCTION audit_action();
            """

        @Test("kill -9 of the holder seen from another host: a stand-by takes over within TTL + 1 s and catches up; every task completed exactly once")
        func killedHolderOnAnotherHost() throws {
            let cluster = try Cluster(workers: 3, setupSQL: Self.audit, postgres: try PostgresDatabase())
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let standbys = cluster.others(than: holder)

            // 90 tasks due over 4 s; the holder is killed once it has completed some.
            let base = Helpers.wholeSecond(ahead: 1500)
            var ids = try Self.createRoundRobin(cluster, count: 90, base: base, seconds: 4, label: "before kill")
            #expect(try waitUntil(Double(base - nowMilliseconds()) / 1000 + 3, every: 0.01) {
                try cluster.box.sqlInt("SELECT count(*) FROM audit") > 0
            }, "the holder completed nothing\n\(cluster.diagnostics)")

            // The workers share one machine, where a stand-by sees at once that the holder's pid is
            // gone. Marking the lease as another machine's makes the stand-bys do what they would
            // on other hosts: wait for it to expire. (Renewals match holder and generation only.)
            try cluster.box.sql("UPDATE job_lease SET machine = 'another-host'")
            holder.process.send(SIGKILL)
            let killed = monotonicSeconds()
            #expect(holder.process.waitForExit(5) == .signalled(SIGKILL))
            let dead = try #require(try cluster.leaseRow())
            #expect(dead.pid == holder.pid)
            let pendingAtKill = try cluster.box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 0")
            #expect(pendingAtKill > 0, "every task was done before the kill: not mid-run")

            let successor = try cluster.waitForHolder(cluster.leaseTTL + 3, among: standbys)
            let takeover = monotonicSeconds() - killed
            let taken = try #require(successor, "no stand-by took over within \(cluster.leaseTTL + 3) s\n\(cluster.diagnostics)")
            let lease = try #require(try cluster.leaseRow())
            print("[PostgresCluster] takeover \(String(format: "%.2f", takeover)) s after kill -9 of a holder on \"another host\" (TTL \(cluster.leaseTTL) s; lease taken \(lease.acquiredAt - dead.expiresAt) ms after it expired); \(pendingAtKill) tasks pending at the kill")
            #expect(takeover <= cluster.leaseTTL + 1.0, "takeover took \(takeover) s\n\(cluster.diagnostics)")
            #expect(lease.acquiredAt >= dead.expiresAt, "the lease was taken before it expired")

            // More tasks after the takeover, round-robin: nginx routes around the dead socket.
            let base2 = Helpers.wholeSecond(ahead: 1000)
            ids += try Self.createRoundRobin(cluster, count: 30, base: base2, seconds: 2, label: "after kill")
            #expect(ids.count == 120)
            let done = try Helpers.waitForCompletion(cluster, ids, within: Double(base2 + 1000 - nowMilliseconds()) / 1000 + 3)
            #expect(done == ids.count, "\(done) of \(ids.count) completed\n\(cluster.diagnostics)")

            // The database's record: one action date per task, the one the row keeps, never early;
            // tasks that fell due while nobody held the lease were caught up at the takeover.
            #expect(try cluster.box.sql("SELECT task_id FROM audit GROUP BY task_id HAVING count(*) > 1").isEmpty, "action dates written twice")
            #expect(try cluster.box.sqlInt("SELECT count(*) FROM audit") == ids.count)
            #expect(try cluster.box.sqlInt("SELECT count(*) FROM audit a JOIN tasks t ON t.id = a.task_id AND t.action_at = a.action_at") == ids.count)
            #expect(try cluster.box.sql("SELECT id FROM tasks WHERE action_at < due_at").isEmpty, "completed before due")
            let caughtUp = try cluster.box.sqlInt("SELECT count(*) FROM tasks WHERE due_at < \(lease.acquiredAt) AND action_at >= \(lease.acquiredAt)")
            let lateCatchUp = try cluster.box.sql("""
                SELECT id, due_at, action_at FROM tasks WHERE due_at < \(lease.acquiredAt) AND action_at >= \(lease.acquiredAt + 1000)
                """)
            #expect(lateCatchUp.isEmpty, "tasks due during the gap completed > 1 s after the takeover: \(lateCatchUp)")
            let onTime = try cluster.box.sql("SELECT id FROM tasks WHERE due_at >= \(lease.acquiredAt + 300) AND action_at - due_at >= 250")
            #expect(onTime.isEmpty, "due after the takeover but completed ≥ 250 ms late: \(onTime)")
            #expect(try cluster.box.sqlInt("SELECT count(DISTINCT generation) FROM audit") == 2)
            print("[PostgresCluster] \(caughtUp) tasks due while nobody held the lease were caught up; \(ids.count) completed exactly once")
            for member in cluster.others(than: taken) where member !== holder {
                #expect(member.jobLines.isEmpty, "\(member.name) ran jobs too")
            }
        }

        @Test("1 M due tasks on PostgreSQL: one sweep completes each exactly once; the holder keeps its 3 s lease")
        func millionTaskSweep() throws {
            let total = Int(ProcessInfo.processInfo.environment["PG_SWEEP_TASKS"] ?? "") ?? 1_000_000
            let due = nowMilliseconds() - 60_000
            // A counter of action-date writes: one statement-level update per batch (a row-level one
            // would update one row a thousand times per transaction).
            let setup = """
                CREATE TABLE writes (n BIGINT NOT NULL); INSERT INTO writes VALUES (0);
                CREATE FUNCTION count_writes() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE writes SET n = n + (SELECT count(*) FROM new_rows n JOIN old_rows o ON o.id = n.id
                                               WHERE n.action_at IS NOT NULL AND n.action_at IS DISTINCT FROM o.action_at);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER count_writes AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION count_writes();
                INSERT INTO tasks (title, due_at, created_at) SELECT 'bulk ' || i, \(due), \(due) FROM generate_series(1, \(total)) i;
                """
            try JobGuarantees.sweepUnderOneLease(total: total, setupSQL: setup, postgres: try PostgresDatabase(), within: 240,
                                                 tag: "PostgresCluster") { (cluster: Cluster) throws in
                #expect(try cluster.box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 1 AND action_at >= due_at") == total)
                #expect(try cluster.box.sqlInt("SELECT n FROM task_counts WHERE completed = 1") == total, "the counts kept by triggers")
            }
        }
    }
}
#endif
