import Foundation
import Testing

extension IntegrationTests {
    /// The promises the README makes about jobs, checked with real worker processes on a real
    /// SQLite file: exactly one run per slot across restarts, a paused ex-holder's late batch refused
    /// by the fence, and a long sweep that keeps its lease.
    @Suite("Jobs: exactly once per slot, fenced runs")
    struct JobGuarantees {
        /// `count` pending tasks, all due a minute ago, inserted in one statement.
        static func dueTasks(_ count: Int) -> String {
            let due = nowMilliseconds() - 60_000
            return """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count))
                INSERT INTO tasks (title, due_at, created_at) SELECT 'bulk ' || i, \(due), \(due) FROM n;
                """
        }

        /// Two workers on a database that `setupSQL` fills with `total` due tasks and a `writes`
        /// counter of action-date writes: waits up to `within` s for the sweep and checks that each
        /// task was written once, the holder kept its lease, the stand-by never ran and the holder
        /// stayed healthy; `more` checks the cluster further before it closes.
        static func sweepUnderOneLease(total: Int, setupSQL: String, postgres: PostgresDatabase? = nil, within: Double,
                                       tag: String, more: (Cluster) throws -> Void = { _ in }) throws {
            let cluster = try Cluster(setupSQL: setupSQL, postgres: postgres)
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let standby = cluster.others(than: holder)[0]
            let started = monotonicSeconds()
            var health: [Int] = []
            let done = try waitUntil(within, every: 0.5) {
                // A long sweep must not make a healthy worker look dead to a load balancer.
                health.append(try holder.http.get("/healthz").status)
                return try cluster.box.sqlInt("SELECT n FROM task_counts WHERE completed = 0") == 0
            }
            let took = monotonicSeconds() - started
            #expect(done, "\(cluster.diagnostics)")
            print("[\(tag)] \(total) tasks swept in \(String(format: "%.1f", took)) s with a 3 s lease")
            #expect(try cluster.box.sqlInt("SELECT n FROM writes") == total, "each task's action date written exactly once")
            #expect(try cluster.box.sqlInt("SELECT generation FROM job_lease") == 1, "the lease never changed hands")
            #expect(!holder.log.contains("lease lost") && !holder.log.contains("lost the job lease") && !holder.log.contains("lease expired"), "\(cluster.diagnostics)")
            #expect(standby.jobLines.isEmpty, "the stand-by ran: \(standby.jobLines.suffix(3))")
            #expect(holder.log.contains("[job:completeDueTasks] completed \(total) tasks in "), "\(cluster.diagnostics)")
            #expect(!health.isEmpty && health.allSatisfy { $0 == 200 }, "/healthz during the sweep: \(health)")
            try more(cluster)
        }

        /// Every write of an action date, with the lease generation in force when it committed.
        static let audit = """
            CREATE TABLE audit (seq INTEGER PRIMARY KEY, task_id INTEGER NOT NULL, action_at INTEGER NOT NULL,
                                generation INTEGER NOT NULL);
            CREATE TRIGGER audit_action AFTER UPDATE OF action_at ON tasks WHEN NEW.action_at IS NOT NULL
            BEGIN INSERT INTO audit (task_id, action_at, generation) VALUES (NEW.id, NEW.action_at,
                  (SELECT generation FROM job_lease WHERE id = 1)); END;
            """

        @Test("an hourly cron job, the worker restarted 20 times (SIGTERM and kill -9 mixed): exactly one run recorded for the slot")
        func exactlyOncePerSlotAcrossRestarts() throws {
            // The slot at the top of this hour passed while no worker ran: the first start catches
            // it up once; every later start finds it done and waits for the next hour.
            let hour: Int64 = 3_600_000
            let slot = nowMilliseconds() / hour * hour
            let seed = """
                INSERT INTO job_schedule (job, schedule, next_run, misfires, updated_at)
                VALUES ('purgeCompletedTasks', 'cron 0 * * * *', \(slot), 0, 0);
                """
            let cluster = try Cluster(workers: 1, config: ["jobs": ["purgeCompletedTasks": ["cron": "0 * * * *"]]],
                                      setupSQL: seed)
            defer { cluster.close() }
            let worker = cluster.members[0]
            #expect(waitUntil(10) { worker.log.contains("[job:purgeCompletedTasks] purged 0 tasks in ") }, "\(cluster.diagnostics)")

            var restarts = 0
            for round in 1...20 {
                try cluster.restart(worker, with: round % 2 == 0 ? SIGKILL : SIGTERM)
                let generation = round + 1
                let holding = waitUntil(10) { worker.log.contains("generation \(generation)); running jobs") }
                #expect(holding, "restart \(round): the new process never held the lease\n\(cluster.diagnostics)")
                if holding { restarts += 1 }
            }
            let runs = try cluster.box.sql("SELECT slot, outcome, generation FROM job_runs WHERE job = 'purgeCompletedTasks'")
            #expect(runs == [["\(slot)", "ok", "1"]], "one run, for the slot, by the first holder: \(runs)")
            #expect(try cluster.box.sql("SELECT next_run, last_slot FROM job_schedule WHERE job = 'purgeCompletedTasks'")
                    == [["\(slot + hour)", "\(slot)"]])
            #expect(try cluster.box.sqlInt("SELECT generation FROM job_lease") == 21)
            let purgeLines = occurrences(of: "[job:purgeCompletedTasks] purged", in: worker.log)
            #expect(purgeLines == 1, "\(cluster.diagnostics)")
            print("[JobGuarantees] \(restarts) restarts survived with one run for slot \(slot)")
        }

        @Test("two workers, holder paused (SIGSTOP) mid-sweep past its TTL: the stand-by takes over; the old holder's next batch is refused and logged; no old-generation batch commits after the new generation began")
        func pausedHolderIsFenced() throws {
            // Enough rows that the sweep (with the audit trigger) takes seconds: the pause lands mid-run.
            let total = 1_000_000
            let cluster = try Cluster(config: ["busyTimeout": "10s"], setupSQL: Self.audit + Self.dueTasks(total))
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let standby = cluster.others(than: holder)[0]
            let database = cluster.box.folder + "/tasks.db"
            #expect(try waitUntil(20, every: 0.01) { try cluster.box.sqlInt("SELECT count(*) FROM audit") > 0 }, "\(cluster.diagnostics)")

            // Pause the holder between two batches: with the write lock held here, it cannot be
            // inside a transaction of its own, so its next batch starts only after it resumes.
            let lock = try WriteLockHolder(database: database, uncommittedTitle: "lock for the pause")
            let pending = try cluster.box.sqlInt("SELECT n FROM task_counts WHERE completed = 0")
            try #require(pending > 0, "the sweep ended before the pause; nothing to fence\n\(cluster.diagnostics)")
            holder.process.send(SIGSTOP)
            var resumed = false
            defer { if !resumed { holder.process.send(SIGCONT) } }
            try lock.release()
            let tookOver = try cluster.waitForHolder(cluster.leaseTTL + 5, among: [standby]) != nil
            #expect(tookOver, "the stand-by did not take over from the paused holder\n\(cluster.diagnostics)")
            holder.process.send(SIGCONT)
            resumed = true

            let refused = waitUntil(10) { holder.log.contains("[job:completeDueTasks] lease lost after ") }
            #expect(refused, "the resumed ex-holder never logged its refused batch\n\(cluster.diagnostics)")
            #expect(holder.log.contains("the next batch was refused and rolled back"), "\(cluster.diagnostics)")
            let done = try waitUntil(120, every: 0.5) { try cluster.box.sqlInt("SELECT n FROM task_counts WHERE completed = 0") <= 1 }
            #expect(done, "\(cluster.diagnostics)")

            // The database's own record: every task written once; once generation 2 wrote its first
            // batch, no batch of generation 1 (its action date is its run's start) ever committed.
            #expect(try cluster.box.sqlInt("SELECT count(*) FROM audit") == total)
            #expect(try cluster.box.sqlInt("SELECT count(DISTINCT task_id) FROM audit") == total)
            let firstNew = try cluster.box.sqlInt("SELECT min(seq) FROM audit WHERE generation > 1")
            let oldActions = try cluster.box.sql("SELECT DISTINCT action_at FROM audit WHERE generation = 1").map { $0[0] }
            let lateOld = try cluster.box.sqlInt("""
                SELECT count(*) FROM audit WHERE seq > \(firstNew) AND action_at IN (\(oldActions.joined(separator: ",")))
                """)
            #expect(firstNew > 0 && !oldActions.isEmpty)
            #expect(lateOld == 0, "\(lateOld) rows of the old generation committed after the new one began")
            let refusedCount = occurrences(of: "lease lost after ", in: holder.log)
            print("[JobGuarantees] stale-holder batches refused: \(refusedCount); tasks written once each: \(total)")
        }

        @Test("a sweep of 3 M due tasks with leaseTTL 3 s on two workers: the holder keeps the lease throughout, every task gets exactly one action date, the stand-by never runs")
        func hugeSweepKeepsItsLease() throws {
            let total = Int(ProcessInfo.processInfo.environment["SWEEP_TASKS"] ?? "") ?? 3_000_000
            let counter = """
                CREATE TABLE writes (n INTEGER NOT NULL); INSERT INTO writes VALUES (0);
                CREATE TRIGGER count_action AFTER UPDATE OF action_at ON tasks WHEN NEW.action_at IS NOT NULL
                BEGIN UPDATE writes SET n = n + 1; END;
                """
            try Self.sweepUnderOneLease(total: total, setupSQL: counter + Self.dueTasks(total), within: 300, tag: "JobGuarantees")
        }
    }
}
