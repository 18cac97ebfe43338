import Foundation
import Testing

/// A front-end config from `deploy/` as the permission table runs it: the shipped text with only
/// the socket, port, listen address, certificates and password file substituted, so the rules
/// under test are the shipped ones. `nginxBare` is a hand-written site with no rules at all.
enum PermissionFrontEnd: String, CaseIterable, CustomTestStringConvertible {
    case nginx, nginxProduction, nginxSeveralHosts, nginxBare, apache, caddy, lighttpd
    var testDescription: String { rawValue }

    var binary: String {
        switch self {
        case .nginx, .nginxProduction, .nginxSeveralHosts, .nginxBare: return (try? Tools.nginx()) ?? "/usr/sbin/nginx"
        case .apache: return FrontEndServer.apache.binary
        case .caddy: return FrontEndServer.caddy.binary
        case .lighttpd: return FrontEndServer.lighttpd.binary
        }
    }

    /// Whether the config refuses strangers on operator routes itself (all shipped ones do).
    var hasOperatorRules: Bool { self != .nginxBare }

    /// Whether the whole site sits behind the front end's own HTTP Basic login.
    var hasSiteLogin: Bool { self == .nginxProduction || self == .nginxSeveralHosts }

    /// The config text listening on every address at `port`.
    func config(socket: String, port: Int, folder: String, htpasswd: String) throws -> String {
        let deploy = FrontEndServer.deployFolder + "/"
        func read(_ name: String) throws -> String { try String(contentsOfFile: deploy + name, encoding: .utf8) }
        let user = geteuid() == 0 ? "user root;\n" : ""
        switch self {
        case .nginx:
            return try user + read("nginx.conf")
                .replacingOccurrences(of: "listen 127.0.0.1:8080;", with: "listen \(port);")
                .replacingOccurrences(of: "unix:taskfcgi.sock", with: "unix:" + socket)
        case .nginxProduction, .nginxSeveralHosts:
            var text = try read(self == .nginxProduction ? "nginx-production.conf" : "nginx-several-hosts.conf")
                .replacingOccurrences(of: "listen 443 ssl http2;", with: "listen \(port);")
                .replacingOccurrences(of: "unix:/run/taskfcgi/taskfcgi.sock", with: "unix:" + socket)
                .replacingOccurrences(of: "server 10.0.0.11:9000;", with: "server unix:\(socket);")
                .replacingOccurrences(of: "include fastcgi_params;", with: "include /etc/nginx/fastcgi_params;")
                .replacingOccurrences(of: "/etc/nginx/taskfcgi.htpasswd", with: htpasswd)
            // Plain HTTP for the test: no certificates, and one upstream host (this test's worker).
            text = text.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.contains("ssl_certificate") && !$0.contains("10.0.0.12") && !$0.contains("10.0.0.13") }
                .joined(separator: "\n")
            return Nginx.document(folder: folder, pidFile: folder + "/nginx.pid", errorLog: folder + "/nginx-error.log", http: text)
                + "\n"
        case .nginxBare:
            return Nginx.document(folder: folder, pidFile: folder + "/nginx.pid", errorLog: folder + "/nginx-error.log", http: """
                    server {
                        listen \(port);
                        include /etc/nginx/fastcgi_params;
                        location / { fastcgi_pass unix:\(socket); }
                    }
                """) + "\n"
        case .apache:
            return try FrontEndServer.apache.config(socket: socket, port: port, folder: folder)
                .replacingOccurrences(of: "Listen 127.0.0.1:\(port)", with: "Listen \(port)")
                .replacingOccurrences(of: "<VirtualHost 127.0.0.1:\(port)>", with: "<VirtualHost *:\(port)>")
        case .caddy:
            // Caddy listens on every address unless told otherwise; the site address is its Host match.
            return try FrontEndServer.caddy.config(socket: socket, port: port, folder: folder)
        case .lighttpd:
            return try FrontEndServer.lighttpd.config(socket: socket, port: port, folder: folder)
                .replacingOccurrences(of: "server.bind = \"127.0.0.1\"", with: "server.bind = \"0.0.0.0\"")
        }
    }

    /// The server's own syntax check of `path`.
    func syntaxCheck(_ path: String, folder: String) -> [String] {
        switch self {
        case .nginx: return ["-t", "-p", folder + "/", "-c", path]
        case .nginxProduction, .nginxSeveralHosts, .nginxBare: return ["-t", "-p", folder + "/", "-c", path, "-g", "daemon off;"]
        case .apache: return ["-t", "-f", path]
        case .caddy: return ["validate", "--config", path, "--adapter", "caddyfile"]
        case .lighttpd: return ["-tt", "-f", path]
        }
    }

    /// The command line that runs it in the foreground.
    func arguments(_ path: String, folder: String) -> [String] {
        switch self {
        case .nginx: return ["-p", folder + "/", "-c", path]
        case .nginxProduction, .nginxSeveralHosts, .nginxBare: return ["-p", folder + "/", "-c", path, "-g", "daemon off;"]
        case .apache: return FrontEndServer.apache.arguments(path)
        case .caddy: return FrontEndServer.caddy.arguments(path)
        case .lighttpd: return FrontEndServer.lighttpd.arguments(path)
        }
    }

    /// `apachectl` for the syntax check (Debian's wrapper sets Apache's environment), else the server.
    var checker: String {
        if self == .apache, let apachectl = try? Tools.find("apachectl") { return apachectl }
        return binary
    }
}

/// The worker (as the example config runs it: no `operators`) behind one permission front end.
final class PermissionStack {
    let box: Sandbox
    let port: Int
    let server: ChildProcess
    /// The front end's own login, when the config has one (sent with every row).
    let siteLogin: [String: String]

    init(_ kind: PermissionFrontEnd) throws {
        box = try Sandbox()
        do {
            try box.writeConfig()
            _ = try box.startWorker()
            chmod(box.socketPath, 0o666)
            let htpasswd = box.folder + "/site.htpasswd"
            let made = try ChildProcess.run("htpasswd", try Tools.find("htpasswd"), ["-c", "-B", "-b", htpasswd, "reader", "site-pw"],
                                            folder: box.folder)
            guard made.ending == .exited(0) else { throw HarnessError("htpasswd -B failed: \(made.stderr)") }
            chmod(htpasswd, 0o644)
            siteLogin = kind.hasSiteLogin ? ["Authorization": "Basic " + Data("reader:site-pw".utf8).base64EncodedString()] : [:]
            let port = try Nginx.freePort()
            self.port = port
            let configPath = box.folder + "/frontend.conf"
            try kind.config(socket: box.socketPath, port: port, folder: box.folder, htpasswd: htpasswd)
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            for name in ["client_body", "fastcgi_temp", "proxy_temp", "uwsgi_temp", "scgi_temp"] {
                try FileManager.default.createDirectory(atPath: box.folder + "/" + name, withIntermediateDirectories: true)
            }
            var environment = ProcessInfo.processInfo.environment
            (environment["HOME"], environment["XDG_DATA_HOME"], environment["XDG_CONFIG_HOME"]) = (box.folder, box.folder, box.folder)
            let check = try ChildProcess.run("\(kind)-check", kind.checker, kind.syntaxCheck(configPath, folder: box.folder),
                                             folder: box.folder, environment: environment)
            guard check.ending == .exited(0) else {
                throw HarnessError("\(kind)'s syntax check refused the config: \(check.stderr) \(check.stdout)\n\(Sandbox.read(configPath))")
            }
            let started = try box.start(kind.rawValue, kind.binary, kind.arguments(configPath, folder: box.folder), environment: environment)
            guard waitUntil(15, { !started.isRunning || Nginx.canConnect(port: port) }), started.isRunning else {
                throw HarnessError("\(kind) did not start: \(started.stderr) \(started.stdout)")
            }
            server = started
        } catch {
            box.close()
            throw error
        }
    }
}
