import Foundation
import Testing

extension IntegrationTests {
    /// The same worker binary and config behind the other FastCGI front ends, each started from its
    /// config in `deploy/` (the socket path and port substituted) on a free loopback port: the form
    /// flow, errors, the body limit and the cross-site check, one table for every server.
    @Suite("Behind Apache httpd, Caddy and lighttpd")
    struct FrontEnds {
        static var available: [FrontEndServer] {
            FrontEndServer.allCases.filter { FileManager.default.isExecutableFile(atPath: $0.binary) || ProcessInfo.processInfo.environment["CI"] == "true" }
        }

        @Test("the form flow, errors, the body limit and the cross-site check, as behind nginx", arguments: Self.available)
        func sameAssertionsAsNginx(_ kind: FrontEndServer) throws {
            let stack = try FrontEndStack(kind)
            let http = stack.http
            // Create → 303 → the detail page → the job completes it.
            let due = utcFormText(nowMilliseconds() + 1500)
            let created = try http.post("/tasks", form: [("title", "Behind \(kind)"), ("due", due)], headers: ["Origin": http.origin])
            #expect(created.status == 303, "\(created)\n\(stack.box.logTail())")
            let id = try #require(Stack.taskID(fromLocation: created.location), "\(created)")
            let detail = try http.get("/tasks/\(id)")
            #expect(detail.status == 200 && detail.body.contains("Behind \(kind)"), "\(detail)")
            let completed = try waitUntil(8, every: 0.1) { try stack.box.sqlInt("SELECT completed FROM tasks WHERE id = \(id)") == 1 }
            #expect(completed, "\(stack.box.logTail())")
            // The list with a query: the path and the query both arrive.
            let pending = try http.get("/tasks?status=completed")
            #expect(pending.status == 200 && pending.body.contains("Behind \(kind)"), "\(pending)")
            // Errors, from the worker.
            #expect(try http.get("/no/such/page").status == 404)
            #expect(try http.request("PUT", "/tasks", body: Data("x".utf8)).status == 405)
            let invalid = try http.post("/tasks", form: [("title", ""), ("due", due)], headers: ["Origin": http.origin])
            #expect(invalid.status == 422 && invalid.body.contains("Enter a title."), "\(invalid)")
            // The body limit, from the server (1 MiB, like nginx's client_max_body_size).
            let huge = try http.post("/tasks", form: [("title", String(repeating: "a", count: 2_000_000)), ("due", due)])
            #expect(huge.status == 413, "\(kind) let a 2 MB body through: \(huge.status)")
            // Cross-site: another site's form is refused; our own is accepted (above).
            let foreign = try http.post("/tasks", form: [("title", "forged"), ("due", due)], headers: ["Origin": "http://evil.example"])
            #expect(foreign.status == 403, "\(foreign)")
            let browserForeign = try http.post("/tasks", form: [("title", "forged"), ("due", due)], headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(browserForeign.status == 403)
            #expect(try stack.box.sqlInt("SELECT count(*) FROM tasks WHERE title = 'forged'") == 0)
            // Operators' pages answer from this machine.
            #expect(try http.get("/status").status == 200)
            #expect(!stack.box.log.contains(" ? 404"), "a request was mis-routed:\n\(stack.box.logTail())")
        }

        @Test("cgi-fcgi answers /healthz on the socket, as PHP-FPM users probe /ping")
        func cgiFcgiProbe() throws {
            let cgiFcgi = "/usr/bin/cgi-fcgi"
            guard FileManager.default.isExecutableFile(atPath: cgiFcgi) || ProcessInfo.processInfo.environment["CI"] == "true" else {
                print("note: cgi-fcgi (libfcgi-bin) is not installed; skipped")
                return
            }
            let stack = try Stack()
            defer { stack.close() }
            let probe = try ChildProcess.run("cgi-fcgi", cgiFcgi, ["-bind", "-connect", stack.box.socketPath], folder: stack.box.folder,
                                             environment: ["SCRIPT_NAME": "/healthz", "REQUEST_METHOD": "GET"], timeout: 10)
            #expect(probe.ending == .exited(0))
            #expect(probe.stdout.hasPrefix("Status: 200 OK"), "\(probe.stdout)")
            #expect(probe.stdout.hasSuffix("\r\n\r\nok\n"), "\(probe.stdout)")
        }
    }
}

/// A front end, as its deploy config describes it.
enum FrontEndServer: String, CaseIterable, CustomTestStringConvertible {
    case apache, caddy, lighttpd
    var testDescription: String { rawValue }

    var binary: String {
        switch self {
        case .apache: return "/usr/sbin/apache2"
        case .caddy: return "/usr/bin/caddy"
        case .lighttpd: return "/usr/sbin/lighttpd"
        }
    }

    var deployFile: String {
        switch self {
        case .apache: return "apache-taskfcgi.conf"
        case .caddy: return "Caddyfile"
        case .lighttpd: return "lighttpd-taskfcgi.conf"
        }
    }

    /// The deploy config with this sandbox's socket, port and folders.
    func config(socket: String, port: Int, folder: String) throws -> String {
        let text = try String(contentsOfFile: Self.deployFolder + "/" + deployFile, encoding: .utf8)
            .replacingOccurrences(of: "/run/taskfcgi/taskfcgi.sock", with: socket)
            .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(port)")
            .replacingOccurrences(of: "server.port = 8080", with: "server.port = \(port)")
            .replacingOccurrences(of: "/var/empty", with: folder)
        guard self == .apache else { return text }
        // What Debian's apache2.conf would provide, for a server of our own.
        let modules = ["mpm_event", "authz_core", "authz_host", "proxy", "proxy_fcgi"].map {
            "LoadModule \($0)_module /usr/lib/apache2/modules/mod_\($0).so"
        }
        return (["ServerRoot /etc/apache2", "ServerName localhost", "PidFile \(folder)/apache.pid",
                 "Listen 127.0.0.1:\(port)", "ErrorLog \(folder)/apache-error.log", "User www-data", "Group www-data"]
                + modules).joined(separator: "\n") + "\n" + text
    }

    /// The command line that runs it in the foreground on `configPath`.
    func arguments(_ configPath: String) -> [String] {
        switch self {
        case .apache: return ["-f", configPath, "-DFOREGROUND"]
        case .caddy: return ["run", "--config", configPath, "--adapter", "caddyfile"]
        case .lighttpd: return ["-D", "-f", configPath]
        }
    }

    static var deployFolder: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/", !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url.path + "/deploy"
    }
}

/// The worker plus one front end, in one sandbox.
final class FrontEndStack {
    let box: Sandbox
    let http: HTTPClient
    let server: ChildProcess

    init(_ kind: FrontEndServer) throws {
        box = try Sandbox()
        do {
            try box.writeConfig()
            _ = try box.startWorker()
            // Apache's children run as www-data: let them reach the test's socket.
            chmod(box.socketPath, 0o666)
            let port = try Nginx.freePort()
            let configPath = box.folder + "/frontend.conf"
            try kind.config(socket: box.socketPath, port: port, folder: box.folder)
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            (environment["HOME"], environment["XDG_DATA_HOME"], environment["XDG_CONFIG_HOME"]) = (box.folder, box.folder, box.folder)
            let started = try box.start(kind.rawValue, kind.binary, kind.arguments(configPath), environment: environment)
            guard waitUntil(15, { !started.isRunning || Nginx.canConnect(port: port) }), started.isRunning else {
                throw HarnessError("\(kind) did not start: \(started.stderr) \(started.stdout)")
            }
            server = started
            http = HTTPClient(port: port, folder: box.folder)
        } catch {
            box.close()
            throw error
        }
    }

    deinit { box.close() }
}
