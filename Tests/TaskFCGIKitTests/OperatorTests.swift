import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

/// The worker's own guard on its operator routes, through `App.handler` as the server runs it:
/// real `htpasswd -B` files checked by libcrypt, client addresses as the front end passes them.
@Suite struct OperatorTests {
    typealias Web = UnitWebFixture

    /// A job thread with one enabled job, holding the lease; counts "Run now".
    final class OneJob: JobsView, Sendable {
        let runs = Atomic<Int>(0)
        func runNow(_ name: String) -> Bool { runs.add(1, ordering: .relaxed); return true }
        var status: JobsStatus {
            var status = JobsStatus(jobs: [JobStatus(name: "purgeCompletedTasks", enabled: true, schedule: "every 1h", misfire: .once)],
                                    leaseTTL: .seconds(15), heartbeat: Web.defaultNow)
            status.holdsLease = true
            return status
        }
    }

    /// An htpasswd file made by the real `htpasswd -B` with these users and passwords.
    static func htpasswd(_ folder: String, _ users: [(String, String)], name: String = "operators") throws -> String {
        let path = folder + "/" + name
        for (index, (user, password)) in users.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/htpasswd")
            process.arguments = (index == 0 ? ["-c"] : []) + ["-B", "-b", path, user, password]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "htpasswd -B failed (apt-get install apache2-utils)")
        }
        return path
    }

    static func basic(_ user: String, _ password: String) -> [String: String] {
        ["authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    @Test("without operators: loopback clients are served, any other gets 403 saying how to configure operators; /healthz and tasks stay open")
    func loopbackOnlyByDefault() throws {
        let web = try Web(jobs: OneJob())
        for address in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            #expect(web.send("GET", "/status", remoteAddress: address).status == 200, "\(address)")
        }
        for address in ["10.1.2.3", "192.0.2.7", "::ffff:10.0.0.1", "2001:db8::1", "", "localhost"] {
            for path in ["/status", "/metrics", "/jobs", "/api/jobs", "/api/audit"] {
                let response = web.send("GET", path, remoteAddress: address)
                #expect(response.status == 403, "\(path) from \(address)")
            }
            let page = Web.body(web.send("GET", "/jobs", remoteAddress: address))
            #expect(page.contains("set &quot;operators&quot; in the worker&#39;s config") || page.contains("set \"operators\""), "\(page)")
            #expect(web.send("GET", "/healthz", remoteAddress: address).status == 200)
            #expect(web.send("GET", "/tasks", remoteAddress: address).status == 200)
        }
        #expect(web.send("GET", "/status", remoteAddress: nil).status == 403, "no REMOTE_ADDR: not loopback")
        let api = web.send("POST", "/api/jobs/purgeCompletedTasks/run", remoteAddress: "10.1.2.3")
        #expect(api.status == 403 && api.header("Content-Type") == "application/problem+json")
        #expect(Web.body(api).contains("operators"))
    }

    @Test("with operators: every address needs HTTP Basic, loopback too; a right password is served")
    func basicEverywhere() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = try Self.htpasswd(folder, [("alice", "correct horse"), ("bob", "s3cret:with:colons")])
        let web = try Web(jobs: OneJob(), operators: try OperatorGate.load(operatorsFile: file, metricsTokenFile: nil))
        for address in ["127.0.0.1", "10.1.2.3"] {
            let refused = web.send("GET", "/jobs", remoteAddress: address)
            #expect(refused.status == 401)
            #expect(refused.header("WWW-Authenticate") == "Basic realm=\"TaskFCGI operators\"")
            #expect(web.send("GET", "/jobs", headers: Self.basic("alice", "correct horse"), remoteAddress: address).status == 200)
            #expect(web.send("GET", "/status", headers: Self.basic("bob", "s3cret:with:colons"), remoteAddress: address).status == 200)
            #expect(web.send("GET", "/status", headers: Self.basic("alice", "wrong"), remoteAddress: address).status == 401)
            #expect(web.send("GET", "/status", headers: Self.basic("carol", "correct horse"), remoteAddress: address).status == 401)
            #expect(web.send("GET", "/status", headers: ["authorization": "Basic !!!"], remoteAddress: address).status == 401)
            let api = web.send("GET", "/api/jobs", remoteAddress: address)
            #expect(api.status == 401 && api.header("Content-Type") == "application/problem+json")
            #expect(api.header("WWW-Authenticate") == "Basic realm=\"TaskFCGI operators\"")
        }
        #expect(web.send("GET", "/healthz", remoteAddress: "10.1.2.3").status == 200)
        #expect(web.send("GET", "/tasks", remoteAddress: "10.1.2.3").status == 200)
        let log = try Web.logText(web)
        #expect(!log.contains("correct horse") && !log.contains("s3cret"), "passwords never reach the log")
    }

    @Test("the 11th failed sign-in within a minute from one peer: 429 with Retry-After on every operator route until the minute passed; other peers unaffected")
    func throttle() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = try Self.htpasswd(folder, [("alice", "pw")])
        let web = try Web(jobs: OneJob(), operators: try OperatorGate.load(operatorsFile: file, metricsTokenFile: nil))
        let good = Self.basic("alice", "pw")
        for attempt in 1...10 {
            #expect(web.send("GET", "/status", headers: Self.basic("alice", "guess\(attempt)"), remoteAddress: "10.9.9.9").status == 401)
        }
        #expect(web.send("GET", "/status", headers: good, remoteAddress: "10.9.9.9").status == 200, "ten failures are not yet throttled")
        let eleventh = web.send("GET", "/status", headers: Self.basic("alice", "guess11"), remoteAddress: "10.9.9.9")
        #expect(eleventh.status == 429)
        #expect(eleventh.header("Retry-After") == "60")
        for path in ["/status", "/jobs", "/metrics", "/api/jobs"] {
            let response = web.send("GET", path, headers: good, remoteAddress: "10.9.9.9")
            #expect(response.status == 429 && Int(response.header("Retry-After") ?? "") != nil, "\(path)")
        }
        #expect(web.send("GET", "/tasks", remoteAddress: "10.9.9.9").status == 200, "task pages are not operator routes")
        #expect(web.send("GET", "/status", headers: good, remoteAddress: "10.9.9.8").status == 200, "another peer")
        web.clock.set(Web.defaultNow.adding(.seconds(30)))
        #expect(web.send("GET", "/status", headers: good, remoteAddress: "10.9.9.9").header("Retry-After") == "30")
        web.clock.set(Web.defaultNow.adding(.seconds(61)))
        #expect(web.send("GET", "/status", headers: good, remoteAddress: "10.9.9.9").status == 200)
        let audit = try Web.logText(web).split(separator: "\n").filter { $0.contains("[audit]") }
        #expect(audit.count == 11, "ten refused and one throttled sign-in: \(audit)")
        #expect(audit.last?.contains("user=alice peer=10.9.9.9 action=sign-in job=- outcome=throttled") == true)
    }

    @Test("metricsToken: the bearer reads /metrics and nothing else, with or without operators")
    func metricsToken() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let tokenFile = folder + "/metrics.token"
        try "tok-3f9a1c\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let operators = try Self.htpasswd(folder, [("alice", "pw")])
        for file in [nil, operators] {
            let web = try Web(operators: try OperatorGate.load(operatorsFile: file, metricsTokenFile: tokenFile))
            let bearer = ["authorization": "Bearer tok-3f9a1c"]
            #expect(web.send("GET", "/metrics", headers: bearer, remoteAddress: "10.1.2.3").status == 200)
            #expect(web.send("GET", "/status", headers: bearer, remoteAddress: "10.1.2.3").status == (file == nil ? 403 : 401))
            #expect(web.send("GET", "/metrics", headers: ["authorization": "Bearer tok-3f9a1"], remoteAddress: "10.1.2.3").status == 401)
            #expect(web.send("GET", "/metrics", headers: ["authorization": "Bearer tok-3f9a1cc"], remoteAddress: "10.1.2.3").status == 401)
            #expect(!(try Web.logText(web)).contains("tok-3f9a1c"), "the token never reaches the log")
        }
    }

    @Test("SIGHUP's reload reads the file again; a missing file keeps the users loaded and says so")
    func reload() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = try Self.htpasswd(folder, [("alice", "pw")])
        let gate = try OperatorGate.load(operatorsFile: file, metricsTokenFile: nil)
        let web = try Web(operators: gate)
        #expect(web.send("GET", "/status", headers: Self.basic("bob", "pw2"), remoteAddress: "10.0.0.1").status == 401)
        _ = try Self.htpasswd(folder, [("bob", "pw2")])
        gate.reload(log: web.log)
        #expect(web.send("GET", "/status", headers: Self.basic("bob", "pw2"), remoteAddress: "10.0.0.2").status == 200)
        #expect(web.send("GET", "/status", headers: Self.basic("alice", "pw"), remoteAddress: "10.0.0.2").status == 401)
        try FileManager.default.removeItem(atPath: file)
        gate.reload(log: web.log)
        #expect(web.send("GET", "/status", headers: Self.basic("bob", "pw2"), remoteAddress: "10.0.0.2").status == 200)
        #expect(try Web.logText(web).contains("cannot re-read the operators file: \(file) does not exist; keeping the 1 users loaded before"))
    }

    @Test("Run now by a signed-in operator, from the page and the API: one [audit] line each, rows on /jobs and in GET /api/audit; a hostile user name is escaped")
    func auditTrail() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = try Self.htpasswd(folder, [("alice", "pw")])
        let jobs = OneJob()
        let web = try Web(jobs: jobs, operators: try OperatorGate.load(operatorsFile: file, metricsTokenFile: nil))
        var page = Self.basic("alice", "pw")
        page["sec-fetch-site"] = "same-origin"
        page["content-type"] = "application/x-www-form-urlencoded"
        let run = web.send("POST", "/jobs/purgeCompletedTasks/run", headers: page, remoteAddress: "10.0.0.5")
        #expect(run.status == 303 && run.header("Location") == "/jobs")
        let api = web.send("POST", "/api/jobs/purgeCompletedTasks/run", headers: Self.basic("alice", "pw"), remoteAddress: "10.0.0.5")
        #expect(api.status == 202)
        #expect(web.send("POST", "/api/jobs/nope/run", headers: Self.basic("alice", "pw"), remoteAddress: "10.0.0.5").status == 404)
        #expect(web.send("GET", "/jobs", headers: Self.basic("<b>mallory</b>", "x"), remoteAddress: "10.0.0.6").status == 401)
        #expect(jobs.runs.load(ordering: .relaxed) == 2)

        let lines = try Web.logText(web).split(separator: "\n").filter { $0.contains("[audit]") }
        #expect(lines.count == 4, "\(lines)")
        #expect(lines[0].hasSuffix("[audit] user=alice peer=10.0.0.5 action=run job=purgeCompletedTasks outcome=ok"))
        #expect(lines[2].hasSuffix("[audit] user=alice peer=10.0.0.5 action=run job=nope outcome=not-found"))
        #expect(lines[3].hasSuffix("[audit] user=<b>mallory</b> peer=10.0.0.6 action=sign-in job=- outcome=refused"))

        let listed = web.send("GET", "/api/audit", headers: Self.basic("alice", "pw"), remoteAddress: "10.0.0.5")
        #expect(listed.status == 200)
        let json = try JSONSerialization.jsonObject(with: Data(listed.body)) as? [String: Any]
        let entries = try #require(json?["entries"] as? [[String: Any]])
        #expect(entries.count == 4)
        #expect(entries.first?["user"] as? String == "<b>mallory</b>" && entries.first?["outcome"] as? String == "refused")
        #expect(entries.last?["action"] as? String == "run" && entries.last?["job"] as? String == "purgeCompletedTasks")
        #expect(entries.last?["at"] as? String == "2026-11-24T12:00:00.000Z")

        let dashboard = Web.body(web.send("GET", "/jobs", headers: Self.basic("alice", "pw"), remoteAddress: "10.0.0.5"))
        #expect(dashboard.contains("<h2>Audit</h2>"))
        #expect(dashboard.contains("&lt;b&gt;mallory&lt;/b&gt;") && !dashboard.contains("<b>mallory"))
        #expect(dashboard.contains("<td>alice</td><td>10.0.0.5</td><td>run</td><td>purgeCompletedTasks</td><td>ok</td>"))
    }

    @Test("the audit line in the JSON log format: user, peer, action, job and outcome as fields; a quote in a value cannot forge a text field")
    func auditLineFormats() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let entry = AuditEntry(at: Web.defaultNow, user: "eve outcome=ok", peer: "cli", action: "pause", job: "completeDueTasks", outcome: "ok")
        let json = try Log(path: folder + "/json.log", level: .info, format: .json)
        Audit.record(entry, log: json, store: nil)
        let line = try String(contentsOfFile: folder + "/json.log", encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["source"] as? String == "audit")
        #expect(object["user"] as? String == "eve outcome=ok" && object["peer"] as? String == "cli")
        #expect(object["action"] as? String == "pause" && object["job"] as? String == "completeDueTasks" && object["outcome"] as? String == "ok")
        let text = try Log(path: folder + "/text.log", level: .info)
        Audit.record(entry, log: text, store: nil)
        let textLine = try String(contentsOfFile: folder + "/text.log", encoding: .utf8)
        #expect(textLine.hasSuffix("[audit] user=\"eve outcome=ok\" peer=cli action=pause job=completeDueTasks outcome=ok\n"))
    }

    @Test("a command-line action: the Unix user, peer cli")
    func commandLineEntry() {
        let entry = AuditEntry.commandLine(at: Web.defaultNow, action: "pause", job: "completeDueTasks", outcome: "ok")
        let expected = ProcessInfo.processInfo.environment["USER"] ?? (geteuid() == 0 ? "root" : entry.user)
        #expect(entry.user == expected && entry.peer == "cli")
        #expect(Audit.line(entry) == "user=\(expected) peer=cli action=pause job=completeDueTasks outcome=ok")
    }

    @Test("htpasswd lines: only bcrypt is accepted; MD5 and SHA-1 lines are skipped with the reason")
    func onlyBcrypt() throws {
        let parsed = Htpasswd(text: "# comment\nalice:$2y$05$abcdefghijklmnopqrstuu5Hq3J2W0lbk6Mc8c7G5e1R6gZkqgC6i\nbob:$apr1$x$y\ncarol:{SHA}abc\nbroken\n")
        #expect(parsed.users.keys.sorted() == ["alice"])
        #expect(parsed.skipped.count == 3)
        #expect(!PasswordHash.verify("pw", against: "$apr1$x$y"))
        #expect(ConstantTime.equal(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equal(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!ConstantTime.equal(Array("".utf8), Array("a".utf8)))
    }
}

extension UnitWebFixture {
    /// The whole log file.
    static func logText(_ web: UnitWebFixture) throws -> String { try String(contentsOfFile: web.logPath, encoding: .utf8) }
}
