import Foundation
import Testing

/// Several workers sharing one SQLite database, as when two hosts (or two units on one host) serve
/// the same app: each worker has its own config, unix socket and log file but the same
/// `connectionString`. One nginx sits in front with one server per worker (its own port, for
/// talking to a chosen worker) and one server whose `upstream` balances round-robin over every
/// worker's socket (what production would use).
final class Cluster: @unchecked Sendable {
    /// One worker of the cluster.
    final class Member: @unchecked Sendable {
        let index: Int
        let configPath: String
        let socketPath: String
        let logPath: String
        fileprivate(set) var process: ChildProcess!
        /// curl → nginx → this worker only.
        fileprivate(set) var http: HTTPClient!

        init(index: Int, folder: String) {
            self.index = index
            configPath = "\(folder)/w\(index).json"
            socketPath = "\(folder)/w\(index).sock"
            logPath = "\(folder)/w\(index).log"
        }

        var pid: Int { Int(process.pid) }
        var log: String { Sandbox.read(logPath) }
        var name: String { "worker \(index) (pid \(pid))" }
        /// `[job:…]` lines: what only the lease holder writes.
        var jobLines: [String] { log.split(separator: "\n").map(String.init).filter { $0.contains("[job:") } }
    }

    let box: Sandbox
    let members: [Member]
    /// The lease TTL every worker was configured with.
    let leaseTTL: Double
    private(set) var nginxMaster: ChildProcess!
    /// nginx's round-robin server over every worker's socket.
    private(set) var http: HTTPClient!
    var nginxErrorLogPath: String { box.folder + "/nginx-cluster-error.log" }

    /// `count` workers with `config` merged over the base config (own listen path and log file each,
    /// `jobs.leaseTTL` = `leaseTTL`). The database is created and migrated first (`--check-config`),
    /// then `setupSQL` runs in it (extra tables, triggers, rows), then the workers start one after
    /// the other, then nginx. With `postgres`, every worker uses that database (and `setupSQL` is
    /// PostgreSQL's).
    init(workers count: Int = 2, leaseTTL: String = "3s", config: [String: Any] = [:], setupSQL: String? = nil,
         postgres: PostgresDatabase? = nil) throws {
        let box = try Sandbox(postgres: postgres)
        self.box = box
        members = (0..<count).map { Member(index: $0, folder: box.folder) }
        guard let ttl = Double(leaseTTL.dropLast()), leaseTTL.hasSuffix("s"), !leaseTTL.hasSuffix("ms") else {
            box.close()
            throw HarnessError("leaseTTL must be whole seconds like \"3s\", not \(leaseTTL)")
        }
        self.leaseTTL = ttl
        do {
            for member in members {
                let own: [String: Any] = ["listen": member.socketPath, "logPath": member.logPath,
                                          "jobs": ["leaseTTL": leaseTTL]]
                try box.writeConfig(Sandbox.merge(own, config), to: member.configPath)
            }
            let check = try box.runTaskfcgi(["--check-config", "--config", members[0].configPath])
            guard check.ending == .exited(0) else {
                throw HarnessError("--check-config failed (\(check.ending!)): \(check.stderr)")
            }
            if let setupSQL { try box.sql(setupSQL) }
            for member in members {
                member.process = try box.startWorker(config: member.configPath, socket: member.socketPath)
            }
            try startNginx()
        } catch {
            close()
            throw error
        }
    }

    /// Stops a member with `signal` (SIGTERM: a clean stop; SIGKILL: a crash), waits for it to exit,
    /// and starts a new process with the same config and socket, as a supervisor would.
    func restart(_ member: Member, with signal: Int32) throws {
        member.process.send(signal)
        guard member.process.waitForExit(15) != nil else { throw HarnessError("\(member.name) did not exit after signal \(signal)") }
        if signal == SIGKILL { unlink(member.socketPath) }  // a crash leaves its socket file behind
        member.process = try box.startWorker(config: member.configPath, socket: member.socketPath)
    }

    /// Stops nginx (and any nginx worker process it leaves), then every worker, and removes the folder.
    func close() {
        if let master = nginxMaster, master.isRunning {
            let workers = Nginx.children(of: master.pid)
            master.stop(grace: 5)
            for worker in workers where Nginx.parent(of: worker) == 1 && Nginx.commandName(worker)?.hasPrefix("nginx") == true {
                kill(worker, SIGKILL)
            }
        }
        box.close()
    }

    // MARK: The lease

    /// The `job_lease` row: holder, pid, acquired_at, expires_at (nil if there is none).
    func leaseRow() throws -> (holder: String, pid: Int, acquiredAt: Int64, expiresAt: Int64)? {
        guard let row = try box.sql("SELECT holder, pid, acquired_at, expires_at FROM job_lease WHERE id = 1").first,
              row.count == 4, let pid = Int(row[1]), let acquired = Int64(row[2]), let expires = Int64(row[3]) else { return nil }
        return (row[0], pid, acquired, expires)
    }

    /// Waits until a running worker holds the lease by the database row and says so in its log.
    func waitForHolder(_ seconds: Double = 10, among candidates: [Member]? = nil) throws -> Member? {
        let candidates = candidates ?? members
        var holder: Member?
        try waitUntil(seconds, every: 0.05) {
            guard let row = try leaseRow(), row.expiresAt > nowMilliseconds() else { return false }
            holder = candidates.first { $0.process.isRunning && $0.pid == row.pid && $0.log.contains("holding the job lease (\(row.holder), generation") }
            return holder != nil
        }
        return holder
    }

    /// The first holder, or the test stops with the cluster's diagnostics.
    func requireHolder(sourceLocation: SourceLocation = #_sourceLocation) throws -> Member {
        try #require(try waitForHolder(), "no worker took the job lease within 10 s\n\(diagnostics)", sourceLocation: sourceLocation)
    }

    /// The other members.
    func others(than member: Member) -> [Member] { members.filter { $0 !== member } }

    // MARK: HTTP

    /// `/status` of one worker (through its own nginx server), parsed.
    func status(_ member: Member) throws -> [String: Any] {
        let response = try member.http.get("/status")
        guard response.status == 200,
              let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] else {
            throw HarnessError("/status of \(member.name) did not answer JSON: \(response)")
        }
        return json
    }

    /// A task created with one raw HTTP/1.1 request to nginx on `port` (no curl process: fast enough
    /// to post hundreds in a second); the status and the new id (nil unless 303 to /tasks/ID).
    func quickCreate(port: Int, title: String, due: String) throws -> (status: Int, id: Int64?) {
        let body = HTTPClient.urlEncoded([("title", title), ("due", due)])
        let request = "POST /tasks HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        let answer = try HTTPClient(port: port, folder: box.folder).raw(request)
        let head = answer.components(separatedBy: "\r\n\r\n").first ?? ""
        let lines = head.components(separatedBy: "\r\n")
        let statusFields = lines.first?.split(separator: " ") ?? []
        guard statusFields.count >= 2, let status = Int(statusFields[1]) else {
            throw HarnessError("no HTTP status line in: \(answer.prefix(500))")
        }
        var id: Int64?
        for line in lines.dropFirst() where line.lowercased().hasPrefix("location:") {
            let value = line.dropFirst("location:".count).trimmingCharacters(in: .whitespaces)
            if let range = value.range(of: "/tasks/") { id = Int64(value[range.upperBound...]) }
        }
        return (status, status == 303 ? id : nil)
    }

    // MARK: Diagnostics

    var diagnostics: String {
        var text = ""
        for member in members {
            text += "--- \(member.name) \(member.process.map { $0.ending.map { "\($0)" } ?? "running" } ?? "not started") log (tail):\n"
            text += member.log.split(separator: "\n").suffix(25).joined(separator: "\n")
            if let process = member.process, !process.stderr.isEmpty { text += "\nstderr:\n" + process.stderr }
            text += "\n"
        }
        text += "--- job_lease: \(String(describing: try? leaseRow()))\n"
        text += "--- nginx error log (tail):\n" + String(Sandbox.read(nginxErrorLogPath).suffix(2000))
        return text
    }

    // MARK: nginx

    /// The nginx config: an upstream of every socket on `ports[0]`, worker N alone on `ports[N + 1]`.
    func nginxConfig(ports: [Int]) -> String {
        let upstream = members.map { "        server unix:\($0.socketPath);" }.joined(separator: "\n")
        func server(port: Int, pass: String) -> String {
            """
                server {
                    listen 127.0.0.1:\(port);
                    server_name localhost;
                    client_max_body_size 1m;
                    include /etc/nginx/fastcgi_params;
                    fastcgi_connect_timeout 2s;
                    fastcgi_send_timeout 30s;
                    fastcgi_read_timeout 30s;
                    fastcgi_keep_conn on;
                    location / {
                        fastcgi_pass \(pass);
                    }
                }

            """
        }
        var servers = server(port: ports[0], pass: "workers")
        var alone = ""
        for member in members {
            servers += server(port: ports[member.index + 1], pass: "worker\(member.index)")
            alone += "        upstream worker\(member.index) {\n            server unix:\(member.socketPath);\n            keepalive 4;\n        }\n"
        }
        // Round-robin over every worker, on kept connections as shipped. A dead worker's socket
        // refuses the connection (kill -9) or is gone (SIGTERM): nginx then tries the next one
        // (fastcgi_next_upstream error).
        return Nginx.document(folder: box.folder, pidFile: box.folder + "/nginx-cluster.pid",
                              errorLog: nginxErrorLogPath, http: """
                upstream workers {
            \(upstream)
                    keepalive 16;
                }
            \(alone)

            \(servers)
            """)
    }

    private func startNginx() throws {
        let binary = try Tools.nginx()
        let configPath = box.folder + "/nginx-cluster.conf"
        var problems: [String] = []
        for attempt in 1...4 {
            let ports = try (0...members.count).map { _ in try Nginx.freePort() }
            guard Set(ports).count == ports.count else { continue }
            try nginxConfig(ports: ports).write(toFile: configPath, atomically: true, encoding: .utf8)
            let master = try box.start("nginx", binary, ["-p", box.folder, "-c", configPath, "-e", nginxErrorLogPath,
                                                        "-g", "daemon off;"])
            if waitUntil(10, { !master.isRunning || ports.allSatisfy { Nginx.canConnect(port: $0) } }), master.isRunning {
                nginxMaster = master
                http = HTTPClient(port: ports[0], folder: box.folder)
                for member in members { member.http = HTTPClient(port: ports[member.index + 1], folder: box.folder) }
                return
            }
            master.stop(grace: 2)
            problems.append("attempt \(attempt) on ports \(ports): \(master.ending.map { "\($0)" } ?? "no answer within 10 s"); stderr: \(master.stderr)")
        }
        throw HarnessError("nginx did not start:\n" + problems.joined(separator: "\n"))
    }
}
