import Foundation
import Testing

extension IntegrationTests {
    /// Issue "one runner across processes": several workers share one database; only the holder of
    /// the `job_lease` row runs jobs, a stand-by takes over when the holder dies (kill -9: once the
    /// lease expires; SIGTERM: at once), and no task is ever completed twice. Real workers, real
    /// nginx (see `Cluster`), a real SQLite file; lease TTL 3 s unless said otherwise.
    @Suite("Multi-worker: one job runner across processes")
    struct MultiWorker {
        /// The next whole second at least `ahead` ms from now (the form takes whole seconds).
        static func wholeSecond(ahead: Int64) -> Int64 { (nowMilliseconds() + ahead + 999) / 1000 * 1000 }

        /// Waits until every task in `ids` is completed; returns how many are.
        static func waitForCompletion(_ cluster: Cluster, _ ids: [Int64], within seconds: Double) throws -> Int {
            let list = ids.map(String.init).joined(separator: ",")
            var done = 0
            try waitUntil(seconds, every: 0.05) {
                done = try cluster.box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 1 AND id IN (\(list))")
                return done == ids.count
            }
            return done
        }

        /// (id, due_at, action_at) of the tasks in `ids`.
        static func completions(_ cluster: Cluster, _ ids: [Int64]) throws -> [(id: Int64, due: Int64, action: Int64?)] {
            let list = ids.map(String.init).joined(separator: ",")
            return try cluster.box.sql("SELECT id, due_at, action_at FROM tasks WHERE id IN (\(list)) ORDER BY id").map {
                (Int64($0[0]) ?? -1, Int64($0[1]) ?? -1, $0.count > 2 ? Int64($0[2]) : nil)
            }
        }

        @Test("two workers, one database: exactly one holds (and renews) the lease; the other stands by and runs no job")
        func exactlyOneHolder() throws {
            let cluster = try Cluster()
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let standby = cluster.others(than: holder)[0]
            guard let first = try cluster.leaseRow() else { Issue.record("no job_lease row"); return }
            #expect(try cluster.box.sqlInt("SELECT count(*) FROM job_lease") == 1)
            #expect(first.pid == holder.pid)
            #expect(first.holder.contains(":\(holder.pid):"), "holder id is host:pid:random: \(first.holder)")

            // Outlive the first lease by a stand-by attempt: the holder must have renewed it (the
            // same acquired_at, a later expires_at) and the stand-by must not have taken it.
            let outlived = waitUntil(cluster.leaseTTL + 3, every: 0.1) {
                nowMilliseconds() > first.acquiredAt + Int64(cluster.leaseTTL * 1000) + 1200
            }
            #expect(outlived)
            let later = try cluster.leaseRow()
            #expect(later?.holder == first.holder, "the lease changed hands without a death\n\(cluster.diagnostics)")
            #expect(later?.acquiredAt == first.acquiredAt, "renewals must keep acquired_at")
            #expect((later?.expiresAt ?? 0) > first.expiresAt + 1000, "the lease was not renewed: \(String(describing: later)) vs \(first)")

            // /status of each worker, each through its own nginx server.
            let holderStatus = try cluster.status(holder)
            let standbyStatus = try cluster.status(standby)
            #expect(holderStatus["holdsLease"] as? Bool == true, "\(holderStatus)")
            #expect(standbyStatus["holdsLease"] as? Bool == false, "\(standbyStatus)")
            #expect(holderStatus["pid"] as? Int == holder.pid)
            #expect(standbyStatus["pid"] as? Int == standby.pid)
            for status in [holderStatus, standbyStatus] {
                let lease = status["lease"] as? [String: Any]
                #expect(lease?["holder"] as? String == first.holder, "\(status)")
                #expect(lease?["pid"] as? Int == holder.pid, "\(status)")
            }
            let standbyJobs = standbyStatus["jobs"] as? [[String: Any]] ?? []
            #expect(standbyJobs.count == 2)
            #expect(standbyJobs.allSatisfy { $0["runs"] as? Int == 0 }, "\(standbyJobs)")
            // Next runs come from the shared job_schedule table: the stand-by shows the holder's plan.
            let holderJobs = holderStatus["jobs"] as? [[String: Any]] ?? []
            let purgeNext = { (jobs: [[String: Any]]) in jobs.first { $0["name"] as? String == "purgeCompletedTasks" }?["nextRun"] as? String }
            #expect(purgeNext(standbyJobs) != nil && purgeNext(standbyJobs) == purgeNext(holderJobs), "\(standbyJobs)\n\(holderJobs)")

            // The logs: the holder ran the start-up catch-up; the stand-by never ran a job.
            #expect(holder.log.contains("holding the job lease (\(first.holder), generation "))
            #expect(holder.log.contains("[job:completeDueTasks] completed 0 tasks"), "\(cluster.diagnostics)")
            #expect(standby.log.contains("[jobs] job thread started"), "\(cluster.diagnostics)")
            #expect(!standby.log.contains("holding the job lease"), "\(cluster.diagnostics)")
            #expect(standby.jobLines.isEmpty, "the stand-by ran jobs:\n\(standby.jobLines.joined(separator: "\n"))")
            #expect(!holder.log.contains("lost the job lease"), "\(cluster.diagnostics)")
        }

        /// Exposes a gap in `LeaseKeeper.refresh` (Sources/TaskFCGIKit/Jobs/LeaseKeeper.swift:51-53): a
        /// first failed attempt returns `.none`, so a worker that starts as a stand-by logs only
        /// "job thread started" and nothing about the lease; its log cannot tell an operator that it
        /// stands by, nor who runs the jobs. Fails until a stand-by line is logged.
        @Test("a worker that starts as a stand-by says so in its log, naming the holder")
        func standbyAnnouncesItself() throws {
            let cluster = try Cluster()
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let lease = try #require(try cluster.leaseRow(), "no job_lease row\n\(cluster.diagnostics)")
            let standby = cluster.others(than: holder)[0]
            // Its first attempt at the lease comes right after "job thread started" and fails.
            #expect(waitUntil(3) { standby.log.contains("[jobs] job thread started") }, "\(cluster.diagnostics)")
            let said = waitUntil(2) { standby.log.contains("standing by") && standby.log.contains(lease.holder) }
            #expect(said, "the stand-by's log never says it stands by (nor who holds the lease \(lease.holder))\n\(cluster.diagnostics)")
            #expect(standby.jobLines.isEmpty)
        }

        @Test("kill -9 of the holder: the stand-by on the same machine sees the holder's pid is gone, takes over at once, and completes new tasks on time")
        func killedHolderIsReplaced() throws {
            let cluster = try Cluster()
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let survivor = cluster.others(than: holder)[0]

            holder.process.send(SIGKILL)
            let killed = monotonicSeconds()
            #expect(holder.process.waitForExit(5) == .signalled(SIGKILL))
            // The row as the dead holder left it.
            guard let dead = try cluster.leaseRow() else { Issue.record("no job_lease row"); return }
            #expect(dead.pid == holder.pid, "the lease moved before its holder died?\n\(cluster.diagnostics)")

            let tookOver = try cluster.waitForHolder(cluster.leaseTTL + 4, among: [survivor]) != nil
            let takeover = monotonicSeconds() - killed
            #expect(tookOver, "the stand-by did not take over within \(cluster.leaseTTL + 4) s\n\(cluster.diagnostics)")
            guard tookOver else { return }
            // Same host and pid namespace, and the holder's pid no longer exists: no need to wait for
            // the lease to expire (a holder on another machine is waited out, TTL + one check).
            print("[MultiWorker] takeover \(String(format: "%.2f", takeover)) s after kill -9 (TTL \(cluster.leaseTTL) s)")
            #expect(takeover < 1.5, "takeover took \(takeover) s; the dead holder was on this machine\n\(cluster.diagnostics)")
            let now = try cluster.leaseRow()
            #expect(now?.pid == survivor.pid)
            #expect((now?.acquiredAt ?? 0) < dead.expiresAt, "waited for the dead local holder's lease to expire")
            #expect(survivor.log.contains("holding the job lease ("), "\(cluster.diagnostics)")
            #expect(try cluster.status(survivor)["holdsLease"] as? Bool == true)

            // Tasks created through the survivor (its own server, and the round-robin one, which must
            // route around the dead socket) due 1–2 s later complete less than a second late.
            var ids: [Int64] = []
            let due = [Self.wholeSecond(ahead: 1000), Self.wholeSecond(ahead: 1000) + 1000]
            for (index, at) in due.enumerated() {
                let own = try cluster.quickCreate(port: survivor.http.port, title: "after takeover \(index)", due: utcFormText(at))
                let balanced = try cluster.quickCreate(port: cluster.http.port, title: "after takeover rr \(index)", due: utcFormText(at))
                for created in [own, balanced] {
                    #expect(created.status == 303, "\(created)\n\(cluster.diagnostics)")
                    if let id = created.id { ids.append(id) }
                }
            }
            #expect(ids.count == 4)
            let done = try Self.waitForCompletion(cluster, ids, within: Double(due[1] - nowMilliseconds()) / 1000 + 3)
            #expect(done == ids.count, "\(done) of \(ids.count) completed\n\(cluster.diagnostics)")
            for task in try Self.completions(cluster, ids) {
                let lateness = task.action.map { $0 - task.due }
                #expect(lateness != nil && lateness! >= 0 && lateness! < 1000, "task \(task.id) lateness \(String(describing: lateness)) ms")
            }
            #expect(Sandbox.completedByJob(survivor.log) >= ids.count, "\(cluster.diagnostics)")
        }

        @Test("200 tasks, holder killed mid-run: every task completed exactly once, never before due, none missed")
        func noTaskCompletedTwice() throws {
            // Every write of an action date, as the database saw it.
            let audit = """
                CREATE TABLE audit (task_id INTEGER NOT NULL, action_at INTEGER NOT NULL);
                CREATE TRIGGER audit_action AFTER UPDATE OF action_at ON tasks WHEN NEW.action_at IS NOT NULL
                BEGIN INSERT INTO audit VALUES (NEW.id, NEW.action_at); END;
                """
            let cluster = try Cluster(setupSQL: audit)
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let survivor = cluster.others(than: holder)[0]
            let port = cluster.http.port
            var ids: [Int64] = []
            var refused: [String] = []

            // 120 tasks round-robin over both workers, due over 4 s starting at least 1.5 s from now.
            let base = Self.wholeSecond(ahead: 1500)
            for index in 0..<120 {
                let created = try cluster.quickCreate(port: port, title: "batch 1 #\(index)", due: utcFormText(base + Int64(index % 4) * 1000))
                if let id = created.id { ids.append(id) } else { refused.append("batch 1 #\(index): \(created.status)") }
            }
            #expect(refused.isEmpty, "\(refused)\n\(cluster.diagnostics)")
            let posts = { (member: Cluster.Member) in AccessLine.all(in: member.log).filter { $0.method == "POST" && $0.status == 303 }.count }
            #expect(posts(holder) > 0 && posts(survivor) > 0, "round-robin: \(posts(holder)) and \(posts(survivor)) POSTs")

            // Kill the holder as soon as it has completed some of them (the rest still pending).
            let list = { ids.map(String.init).joined(separator: ",") }
            let started = try waitUntil(Double(base - nowMilliseconds()) / 1000 + 3, every: 0.01) {
                try cluster.box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 1") > 0
            }
            #expect(started, "the holder completed nothing\n\(cluster.diagnostics)")
            let killedAt = nowMilliseconds()
            holder.process.send(SIGKILL)
            #expect(holder.process.waitForExit(5) == .signalled(SIGKILL))
            let pendingAtKill = try cluster.box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 0")
            #expect(pendingAtKill > 0, "the kill came after every task was done: not mid-run")

            // 80 more through the same round-robin server: nginx routes around the dead socket.
            let base2 = Self.wholeSecond(ahead: 1000)
            for index in 0..<80 {
                let created = try cluster.quickCreate(port: port, title: "batch 2 #\(index)", due: utcFormText(base2 + Int64(index % 3) * 1000))
                if let id = created.id { ids.append(id) } else { refused.append("batch 2 #\(index): \(created.status)") }
            }
            #expect(refused.isEmpty, "\(refused)\n\(cluster.diagnostics)")
            #expect(ids.count == 200)

            let lastDue = max(base + 3000, base2 + 2000)
            let deadline = Double(max(lastDue, killedAt + Int64(cluster.leaseTTL * 1000)) - nowMilliseconds()) / 1000 + 3
            let done = try Self.waitForCompletion(cluster, ids, within: deadline)
            #expect(done == 200, "\(done) of 200 completed within \(deadline) s\n\(cluster.diagnostics)")

            // Exactly one write of an action date per task, the one the row keeps, never before due.
            #expect(try cluster.box.sql("SELECT task_id, count(*) FROM audit GROUP BY task_id HAVING count(*) > 1").isEmpty,
                    "action dates written twice")
            #expect(try cluster.box.sqlInt("SELECT count(*) FROM audit") == 200)
            #expect(try cluster.box.sqlInt("SELECT count(DISTINCT task_id) FROM audit WHERE task_id IN (\(list()))") == 200)
            #expect(try cluster.box.sqlInt("SELECT count(*) FROM audit a JOIN tasks t ON t.id = a.task_id WHERE a.action_at = t.action_at") == 200)
            let early = try cluster.box.sql("SELECT id, due_at, action_at FROM tasks WHERE action_at < due_at")
            #expect(early.isEmpty, "completed before due: \(early)")
            #expect(try cluster.box.sqlInt("SELECT count(*) FROM tasks") == 200)

            // Nobody wrote an action date while nobody held the lease: the dead holder stopped at
            // the kill, the survivor started only once it held the lease.
            guard let lease = try cluster.leaseRow() else { Issue.record("no lease row"); return }
            #expect(lease.pid == survivor.pid, "\(cluster.diagnostics)")
            let inGap = try cluster.box.sql("SELECT id, due_at, action_at FROM tasks WHERE action_at >= \(killedAt) AND action_at < \(lease.acquiredAt)")
            #expect(inGap.isEmpty, "action dates written between the kill (\(killedAt)) and the takeover (\(lease.acquiredAt)): \(inGap)")
            // Tasks due after the takeover were completed on time by the survivor.
            let lateAfterTakeover = try cluster.box.sql("""
                SELECT id, due_at, action_at FROM tasks WHERE due_at >= \(lease.acquiredAt + 300) AND action_at - due_at >= 1000
                """)
            #expect(lateAfterTakeover.isEmpty, "due after the takeover but completed ≥ 1 s late: \(lateAfterTakeover)")
            // The job logs never count more completions than there were tasks.
            let logged = Sandbox.completedByJob(holder.log) + Sandbox.completedByJob(survivor.log)
            #expect(logged <= 200 && Sandbox.completedByJob(survivor.log) > 0, "logged completions: \(logged)")
        }

        @Test("a task created through the stand-by completes within 1 s of due: the holder notices via data_version")
        func taskCreatedOnStandby() throws {
            let cluster = try Cluster()
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let standby = cluster.others(than: holder)[0]
            // The holder's start-up run has planned its next sweep 5 min ahead (nothing was due).
            #expect(waitUntil(3) { holder.log.contains("[job:completeDueTasks] completed 0 tasks") }, "\(cluster.diagnostics)")

            let due = Self.wholeSecond(ahead: 1000)
            var ids: [Int64] = []
            for index in 0..<3 {
                let response = try standby.http.post("/tasks", form: [("title", "via stand-by \(index)"), ("due", utcFormText(due + Int64(index % 2) * 1000))])
                #expect(response.status == 303, "\(response)\n\(cluster.diagnostics)")
                if let id = Stack.taskID(fromLocation: response.location) { ids.append(id) }
            }
            #expect(ids.count == 3)
            #expect(AccessLine.all(in: standby.log).filter { $0.method == "POST" && $0.target == "/tasks" && $0.status == 303 }.count == 3)
            #expect(AccessLine.all(in: holder.log).filter { $0.method == "POST" }.isEmpty)

            let done = try Self.waitForCompletion(cluster, ids, within: Double(due + 1000 - nowMilliseconds()) / 1000 + 3)
            #expect(done == 3, "\(done) of 3 completed\n\(cluster.diagnostics)")
            for task in try Self.completions(cluster, ids) {
                let lateness = task.action.map { $0 - task.due }
                #expect(lateness != nil && lateness! >= 0 && lateness! < 1000, "task \(task.id) lateness \(String(describing: lateness)) ms")
            }
            #expect(Sandbox.completedByJob(holder.log) == 3, "\(cluster.diagnostics)")
            #expect(standby.jobLines.isEmpty, "the stand-by ran jobs:\n\(standby.jobLines.joined(separator: "\n"))")
        }

        @Test("SIGTERM of the holder releases the lease: the stand-by takes over in < 2 s with a 10 s TTL")
        func gracefulStopHandsOver() throws {
            let cluster = try Cluster(leaseTTL: "10s")
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let standby = cluster.others(than: holder)[0]
            guard let before = try cluster.leaseRow() else { Issue.record("no job_lease row"); return }

            holder.process.send(SIGTERM)
            let stopping = monotonicSeconds()
            let tookOver = try cluster.waitForHolder(8, among: [standby]) != nil
            let takeover = monotonicSeconds() - stopping
            #expect(tookOver, "the stand-by did not take over within 8 s\n\(cluster.diagnostics)")
            print("[MultiWorker] takeover \(String(format: "%.2f", takeover)) s after SIGTERM (TTL \(cluster.leaseTTL) s)")
            #expect(takeover < 2, "takeover took \(takeover) s after SIGTERM (TTL 10 s)\n\(cluster.diagnostics)")

            #expect(holder.process.waitForExit(10) == .exited(0), "\(cluster.diagnostics)")
            #expect(holder.log.contains("[jobs] job thread stopped"))
            #expect(holder.log.contains("[main] stopped"))
            let after = try cluster.leaseRow()
            #expect(after?.pid == standby.pid)
            #expect((after?.acquiredAt ?? .max) < before.expiresAt, "the stand-by waited for the lease to expire")
            #expect(try cluster.status(standby)["holdsLease"] as? Bool == true)
        }

        /// A holder that loses the lease after it ran out by its own clock (paused past the TTL, or
        /// renewals failing until expiry) must still log that it lost it: `LeaseKeeper.refresh`
        /// decides `.lost` from having held it when it last looked, not from holding it now.
        @Test("a holder paused past its TTL (SIGSTOP) resumes as a stand-by: it logs that it lost the lease and runs no job")
        func pausedHolderStandsBy() throws {
            let cluster = try Cluster()
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let survivor = cluster.others(than: holder)[0]

            // A pause longer than the TTL: a VM suspended, a disk stall, a debugger.
            holder.process.send(SIGSTOP)
            var resumed = false
            defer { if !resumed { holder.process.send(SIGCONT) } }
            let tookOver = try cluster.waitForHolder(cluster.leaseTTL + 4, among: [survivor]) != nil
            #expect(tookOver, "the stand-by did not take over from a paused holder\n\(cluster.diagnostics)")
            guard tookOver, let lease = try cluster.leaseRow() else { return }
            let jobLinesBefore = holder.jobLines.count
            holder.process.send(SIGCONT)
            resumed = true

            // Back, it finds the lease taken: it stands by (its /status says so) and tells the log.
            let standsBy = try waitUntil(3, every: 0.1) { try cluster.status(holder)["holdsLease"] as? Bool == false }
            #expect(standsBy, "\(cluster.diagnostics)")
            let said = waitUntil(2) { holder.log.contains("lost the job lease to \(lease.holder) (generation ") && holder.log.contains("); standing by") }
            #expect(said, "the resumed worker never logged that it lost the lease to \(lease.holder)\n\(cluster.diagnostics)")

            // Work goes on in the new holder only.
            let due = Self.wholeSecond(ahead: 1000)
            let created = try cluster.quickCreate(port: cluster.http.port, title: "after the pause", due: utcFormText(due))
            #expect(created.status == 303)
            if let id = created.id {
                #expect(try Self.waitForCompletion(cluster, [id], within: Double(due - nowMilliseconds()) / 1000 + 3) == 1, "\(cluster.diagnostics)")
            }
            #expect(try cluster.leaseRow()?.pid == survivor.pid)
            #expect(holder.jobLines.count == jobLinesBefore, "the resumed worker ran jobs: \(holder.jobLines.suffix(3))")
        }

        @Test("purgeCompletedTasks on an interval deletes only completed tasks older than retain (30d), at its first slot and on demand")
        func purgeKeepsRecentAndPending() throws {
            let now = nowMilliseconds()
            let day: Int64 = 86_400_000
            // (id, title, due, action): action nil = pending.
            let rows: [(Int64, String, Int64, Int64?)] = [
                (1, "done 40 days ago", now - 41 * day, now - 40 * day),
                (2, "done 31 days ago", now - 32 * day, now - 31 * day),
                (3, "done 29 days ago", now - 30 * day, now - 29 * day),
                (4, "done yesterday", now - 2 * day, now - day),
                (5, "pending, due tomorrow", now + day, nil),
                (6, "pending, overdue by 40 days", now - 40 * day, nil),
            ]
            let inserts = rows.map { id, title, due, action in
                "INSERT INTO tasks (id, title, due_at, completed, action_at, created_at) VALUES (\(id), \(Sandbox.quote(title)), \(due), \(action == nil ? 0 : 1), \(action.map(String.init) ?? "NULL"), \(due - day));"
            }.joined(separator: "\n")
            let cluster = try Cluster(workers: 1, config: ["jobs": ["purgeCompletedTasks": ["retain": "30d", "interval": "1d"]]], setupSQL: inserts)
            defer { cluster.close() }
            let worker = cluster.members[0]

            let purged = waitUntil(10) { worker.log.contains("[job:purgeCompletedTasks] purged 2 tasks in ") }
            #expect(purged, "\(cluster.diagnostics)")
            // The overdue pending task was completed first (action date now), so it is kept.
            let left = try cluster.box.sql("SELECT id, completed FROM tasks ORDER BY id")
            #expect(left == [["3", "1"], ["4", "1"], ["5", "0"], ["6", "1"]], "\(left)")
            #expect((Int64(try cluster.box.sql("SELECT action_at FROM tasks WHERE id = 6").first?.first ?? "") ?? 0) >= now)
            #expect(try cluster.box.sql("SELECT affected, error IS NULL FROM job_runs WHERE job = 'purgeCompletedTasks'") == [["2", "1"]])

            // Run it again on demand: 303, a second run that purges nothing.
            let run = try worker.http.post("/jobs/purgeCompletedTasks/run", form: [])
            #expect(run.status == 303 && run.location == "/jobs", "\(run)")
            let again = try waitUntil(5) {
                try cluster.box.sqlInt("SELECT count(*) FROM job_runs WHERE job = 'purgeCompletedTasks'") == 2
            }
            #expect(again, "\(cluster.diagnostics)")
            #expect(try cluster.box.sql("SELECT affected FROM job_runs WHERE job = 'purgeCompletedTasks' ORDER BY id") == [["2"], ["0"]])
            #expect(worker.log.contains("[job:purgeCompletedTasks] purged 0 tasks in "), "\(cluster.diagnostics)")
            #expect(try cluster.box.sql("SELECT id FROM tasks ORDER BY id") == [["3"], ["4"], ["5"], ["6"]])
        }

        @Test("/status, /jobs, /healthz and POST /jobs/NAME/run on the holder and the stand-by, through nginx")
        func statusAndDashboard() throws {
            let cluster = try Cluster()
            defer { cluster.close() }
            let holder = try cluster.requireHolder()
            let standby = cluster.others(than: holder)[0]
            guard let lease = try cluster.leaseRow() else { Issue.record("no job_lease row"); return }

            // Count what the holder answers between two /status reads.
            let before = try cluster.status(holder)
            let due = Self.wholeSecond(ahead: 1000)
            var ids: [Int64] = []
            for index in 0..<2 {
                let created = try holder.http.post("/tasks", form: [("title", "status \(index)"), ("due", utcFormText(due))])
                #expect(created.status == 303, "\(created)")
                if let id = Stack.taskID(fromLocation: created.location) { ids.append(id) }
            }
            #expect(try holder.http.get("/tasks").status == 200)
            #expect(try holder.http.get("/nothing-here").status == 404)
            #expect(try Self.waitForCompletion(cluster, ids, within: 4) == 2, "\(cluster.diagnostics)")
            let after = try cluster.status(holder)

            // Requests: 4 in between plus the second /status itself; its own response is not counted yet.
            let accepted = (after["acceptedRequests"] as? Int ?? 0) - (before["acceptedRequests"] as? Int ?? 0)
            #expect(accepted == 5, "acceptedRequests grew by \(accepted)\n\(after)")
            let responsesBefore = before["responses"] as? [String: Int] ?? [:]
            let responsesAfter = after["responses"] as? [String: Int] ?? [:]
            #expect(Set(responsesAfter.keys) == ["1xx", "2xx", "3xx", "4xx", "5xx"], "\(after)")
            #expect((responsesAfter["3xx"] ?? 0) - (responsesBefore["3xx"] ?? 0) == 2, "\(before)\n\(after)")
            #expect((responsesAfter["2xx"] ?? 0) - (responsesBefore["2xx"] ?? 0) == 2, "the first /status and GET /tasks: \(after)")
            #expect((responsesAfter["4xx"] ?? 0) - (responsesBefore["4xx"] ?? 0) == 1, "\(after)")
            #expect(after["pid"] as? Int == holder.pid)
            #expect(after["holdsLease"] as? Bool == true)
            #expect(after["threads"] as? Int == 4)
            let active = after["activeThreads"] as? Int ?? -1
            #expect(active >= 1 && active <= 4, "the /status request itself is active: \(after)")
            #expect(after["idleThreads"] as? Int == 4 - active)
            #expect((after["maxActiveThreads"] as? Int ?? 0) >= 1)
            #expect((after["startTime"] as? String)?.hasSuffix("Z") == true, "\(after)")
            #expect((after["uptimeSeconds"] as? Int).map { $0 >= 0 } == true, "\(after)")
            #expect(after["heartbeat"] is String && after["version"] is String && after["now"] is String, "\(after)")
            let jobs = after["jobs"] as? [[String: Any]] ?? []
            #expect(jobs.compactMap { $0["name"] as? String }.sorted() == ["completeDueTasks", "purgeCompletedTasks"], "\(jobs)")
            #expect(jobs.allSatisfy { $0["nextRun"] is String && $0["misfires"] as? Int == 0 }, "\(jobs)")
            let complete = jobs.first { $0["name"] as? String == "completeDueTasks" } ?? [:]
            #expect((complete["runs"] as? Int ?? 0) > 0 && complete["lastRun"] is [String: Any] && complete["schedule"] as? String == "every 5m", "\(complete)")
            #expect(complete["lastSlotGeneration"] as? Int == 1 && complete["lastSlotHolder"] as? String == lease.holder, "\(complete)")
            let purge = jobs.first { $0["name"] as? String == "purgeCompletedTasks" } ?? [:]
            #expect(purge["schedule"] as? String == "cron @daily" && purge["misfire"] as? String == "once", "\(purge)")
            #expect((purge["nextRun"] as? String)?.hasSuffix("T00:00:00.000Z") == true, "@daily in UTC: \(purge)")
            let leaseJSON = after["lease"] as? [String: Any]
            #expect(leaseJSON?["holder"] as? String == lease.holder, "\(after)")
            #expect(leaseJSON?["pid"] as? Int == holder.pid)
            let lateness = after["lateness"] as? [String: Any]
            #expect((lateness?["count"] as? Int ?? 0) >= 2, "\(after)")
            #expect((lateness?["maxMs"] as? Int).map { $0 >= 0 && $0 < 1000 } == true, "\(after)")

            // /jobs: both jobs, who holds the lease, recent runs.
            let holderPage = try holder.http.get("/jobs")
            #expect(holderPage.status == 200)
            for text in ["<h2>completeDueTasks</h2>", "<h2>purgeCompletedTasks</h2>", "<strong>This worker</strong> runs the jobs",
                         "lease holder pid \(holder.pid)", "<th>Started</th>", " ms</td><td>"] {
                #expect(holderPage.body.contains(text), "/jobs on the holder lacks \(text)\n\(holderPage)")
            }
            #expect(try cluster.box.sqlInt("SELECT sum(affected) FROM job_runs WHERE job = 'completeDueTasks'") == 2)
            let standbyPage = try standby.http.get("/jobs")
            #expect(standbyPage.status == 200)
            #expect(standbyPage.body.contains("Stand-by: another worker runs the jobs — lease holder pid \(holder.pid)"), "\(standbyPage)")
            #expect(standbyPage.body.contains("cron @daily") && standbyPage.body.contains("<dt>Misfires</dt><dd>0</dd>"), "\(standbyPage)")
            #expect(!standbyPage.body.contains("when a worker holds the lease"), "next runs come from the shared table")

            // Run now: on the holder 303 and a new run recorded; on the stand-by 409, nothing run.
            let runsBefore = try cluster.box.sqlInt("SELECT count(*) FROM job_runs WHERE job = 'completeDueTasks'")
            let run = try holder.http.post("/jobs/completeDueTasks/run", form: [])
            #expect(run.status == 303 && run.location == "/jobs", "\(run)")
            #expect(try waitUntil(3) { try cluster.box.sqlInt("SELECT count(*) FROM job_runs WHERE job = 'completeDueTasks'") > runsBefore },
                    "no new run in job_runs\n\(cluster.diagnostics)")
            let refused = try standby.http.post("/jobs/completeDueTasks/run", form: [])
            #expect(refused.status == 409, "\(refused)")
            #expect(refused.body.contains("standing by"), "\(refused)")
            #expect(try holder.http.post("/jobs/noSuchJob/run", form: []).status == 404)
            #expect(standby.jobLines.isEmpty, "the stand-by ran jobs:\n\(standby.jobLines.joined(separator: "\n"))")

            // Health: both answer, stand-by included.
            for member in [holder, standby] {
                let health = try member.http.get("/healthz")
                #expect(health.status == 200 && health.body == "ok\n", "\(member.name): \(health)")
            }
            let standbyStatus = try cluster.status(standby)
            #expect(standbyStatus["holdsLease"] as? Bool == false)
            #expect((standbyStatus["lease"] as? [String: Any])?["holder"] as? String == lease.holder)
        }
    }
}
