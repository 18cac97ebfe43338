import Foundation
import Testing

extension IntegrationTests {
    /// The real worker with `operators` and `metricsToken`, behind nginx: sign-in from loopback
    /// too, every action the page offers with an audit line, the scraper's token, SIGHUP re-reads.
    @Suite("Operators through nginx")
    struct OperatorsThroughNginx {
        static func htpasswd(_ path: String, create: Bool, _ user: String, _ password: String, in folder: String) throws {
            let made = try ChildProcess.run("htpasswd", try Tools.find("htpasswd"), (create ? ["-c"] : []) + ["-B", "-b", path, user, password],
                                            folder: folder)
            #expect(made.ending == .exited(0), "htpasswd -B (apache2-utils): \(made.stderr)")
        }

        static func basic(_ user: String, _ password: String) -> [String: String] {
            ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
        }

        @Test("401 without credentials from loopback; a signed-in operator sees /jobs, runs jobs from the page and the API, each audited; the bearer reads /metrics only; SIGHUP re-reads the file, a missing one keeps the users")
        func signInAuditAndReload() throws {
            let files = FileManager.default.temporaryDirectory.path + "/tfcgi-ops-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: files) }
            let operators = files + "/operators.htpasswd", token = files + "/metrics.token"
            try Self.htpasswd(operators, create: true, "alice", "alice-pw-41", in: files)
            try "scrape-7c1e\n".write(toFile: token, atomically: true, encoding: .utf8)
            let stack = try Stack(config: ["operators": operators, "metricsToken": token])
            defer { stack.close() }
            let http = stack.http
            let alice = Self.basic("alice", "alice-pw-41")

            let refused = try http.get("/jobs")
            #expect(refused.status == 401 && refused.header("WWW-Authenticate") == "Basic realm=\"TaskFCGI operators\"", "\(refused)")
            #expect(try http.get("/healthz").status == 200)
            #expect(try http.get("/tasks").status == 200)
            #expect(waitUntil(10) { (try? http.get("/api/jobs", headers: alice).body.contains("\"holdsLease\":true")) == true },
                    "\(stack.diagnostics)")
            let page = try http.get("/jobs", headers: alice)
            #expect(page.status == 200 && page.body.contains("<h2>Audit</h2>") && page.body.contains("Run now"), "\(page)")
            var form = alice
            form["Origin"] = http.origin
            let run = try http.post("/jobs/completeDueTasks/run", form: [], headers: form)
            #expect(run.status == 303 && run.location == "/jobs", "\(run)")
            let api = try http.request("POST", "/api/jobs/purgeCompletedTasks/run", headers: alice, body: Data())
            #expect(api.status == 202, "\(api)")
            #expect(try http.get("/status", headers: Self.basic("alice", "wrong")).status == 401)

            let audit = try http.get("/api/audit", headers: alice)
            #expect(audit.status == 200)
            let entries = (try JSONSerialization.jsonObject(with: Data(audit.body.utf8)) as? [String: Any])?["entries"] as? [[String: Any]] ?? []
            let summary = entries.map { "\($0["user"] ?? "") \($0["action"] ?? "") \($0["job"] as? String ?? "-") \($0["outcome"] ?? "")" }
            #expect(summary == ["alice sign-in - refused", "alice run purgeCompletedTasks ok", "alice run completeDueTasks ok"], "\(summary)")
            #expect(stack.box.log.contains("[audit] user=alice peer=127.0.0.1 action=run job=completeDueTasks outcome=ok"))
            #expect(stack.box.log.contains("[audit] user=alice peer=127.0.0.1 action=sign-in job=- outcome=refused"))

            let bearer = ["Authorization": "Bearer scrape-7c1e"]
            #expect(try http.get("/metrics", headers: bearer).status == 200)
            #expect(try http.get("/status", headers: bearer).status == 401)

            // SIGHUP: bob replaces alice.
            try Self.htpasswd(operators, create: true, "bob", "bob-pw-77", in: files)
            stack.worker.send(SIGHUP)
            #expect(waitUntil(5) { (try? http.get("/status", headers: Self.basic("bob", "bob-pw-77")).status) == 200 }, "\(stack.diagnostics)")
            #expect(try http.get("/status", headers: alice).status == 401)
            // A missing file keeps bob, and the log says so.
            try FileManager.default.removeItem(atPath: operators)
            stack.worker.send(SIGHUP)
            #expect(waitUntil(5) { stack.box.log.contains("cannot re-read the operators file") && stack.box.log.contains("keeping the 1 users loaded before") },
                    "\(stack.diagnostics)")
            #expect(try http.get("/status", headers: Self.basic("bob", "bob-pw-77")).status == 200)
            for secret in ["alice-pw-41", "bob-pw-77", "scrape-7c1e"] {
                #expect(!stack.box.log.contains(secret), "\(secret) reached the log")
            }
        }
    }
}
