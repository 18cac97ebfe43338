import Foundation

/// Real nginx in the foreground, configured like deploy/nginx.conf but with everything (pid, temp
/// folders, error log) under the test's folder and a free loopback port.
final class Nginx: @unchecked Sendable {
    let port: Int
    let folder: String
    let master: ChildProcess
    var errorLogPath: String { folder + "/nginx-error.log" }
    var errorLog: String { Sandbox.read(errorLogPath) }

    private init(port: Int, folder: String, master: ChildProcess) {
        (self.port, self.folder, self.master) = (port, folder, master)
    }

    /// A whole nginx config around `http` (server and upstream blocks): pid, error log and temp
    /// folders under `folder`, and `user root;` when running as root — as root, nginx's worker
    /// would drop to www-data, which cannot open the worker's 0660 socket.
    static func document(folder: String, pidFile: String, errorLog: String, http: String) -> String {
        let user = geteuid() == 0 ? "user root;\n" : ""
        return """
            \(user)worker_processes 1;
            pid \(pidFile);
            error_log \(errorLog) warn;

            events {
                worker_connections 1024;
            }

            http {
                access_log off;
                client_body_temp_path \(folder)/client_body;
                fastcgi_temp_path \(folder)/fastcgi_temp;
                proxy_temp_path \(folder)/proxy_temp;
                uwsgi_temp_path \(folder)/uwsgi_temp;
                scgi_temp_path \(folder)/scgi_temp;

            \(http)
            }

            """
    }

    /// The config for `port`, modelled on deploy/nginx.conf; `upstream` is what `fastcgi_pass`
    /// names (`unix:PATH` for a socket, `127.0.0.1:PORT` for TCP).
    /// `keepConnections: false` makes nginx connect per request (as Caddy and lighttpd do).
    static func config(folder: String, upstream: String, port: Int, clientMaxBodySize: String, keepConnections: Bool = true) -> String {
        document(folder: folder, pidFile: folder + "/nginx.pid", errorLog: folder + "/nginx-error.log", http: """
                # Kept connections, as deploy/nginx.conf ships them.
                upstream worker {
                    server \(upstream);
                    \(keepConnections ? "keepalive 16;" : "")
                    keepalive_timeout 60s;
                }

                server {
                    listen 127.0.0.1:\(port);
                    server_name localhost;

                    client_max_body_size \(clientMaxBodySize);

                    # Debian's stock params: HTTP_HOST is $host, without the port.
                    include /etc/nginx/fastcgi_params;
                    fastcgi_connect_timeout 2s;
                    fastcgi_send_timeout 30s;
                    fastcgi_read_timeout 30s;
                    fastcgi_keep_conn \(keepConnections ? "on" : "off");

                    location / {
                        fastcgi_pass worker;
                    }

                    error_page 405 = @worker;
                    location @worker {
                        fastcgi_pass worker;
                    }

                    location = /status {
                        allow 127.0.0.1;
                        deny all;
                        fastcgi_pass worker;
                    }

                    location ~ ^(/api)?/jobs/[^/]+/(run|pause|resume)$ {
                        allow 127.0.0.1;
                        deny all;
                        fastcgi_pass worker;
                    }

                    location = /metrics {
                        allow 127.0.0.1;
                        deny all;
                        fastcgi_pass worker;
                    }
                }
            """)
    }

    /// Starts nginx and waits until it accepts connections; retries on another port if the one it
    /// was given was taken in the meantime.
    static func start(folder: String, upstream: String, clientMaxBodySize: String, keepConnections: Bool = true) throws -> Nginx {
        let binary = try Tools.nginx()
        var problems: [String] = []
        for attempt in 1...4 {
            let port = try freePort()
            let configPath = folder + "/nginx.conf"
            try config(folder: folder, upstream: upstream, port: port, clientMaxBodySize: clientMaxBodySize, keepConnections: keepConnections)
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            let master = try ChildProcess(name: "nginx", executable: binary,
                                          arguments: ["-p", folder, "-c", configPath, "-e", folder + "/nginx-error.log",
                                                      "-g", "daemon off;"],
                                          folder: folder)
            let nginx = Nginx(port: port, folder: folder, master: master)
            if waitUntil(10, { !master.isRunning || canConnect(port: port) }), master.isRunning {
                return nginx
            }
            nginx.stop()
            problems.append("attempt \(attempt) on port \(port): \(master.ending.map { "\($0)" } ?? "no answer within 10 s"); stderr: \(master.stderr) error log: \(nginx.errorLog)")
        }
        throw HarnessError("nginx did not start:\n" + problems.joined(separator: "\n"))
    }

    /// Stops nginx: SIGTERM (fast shutdown) to the master, then SIGKILL to it and its workers.
    func stop() {
        guard master.isRunning else { return }
        let workers = Nginx.children(of: master.pid)
        master.send(SIGTERM)
        if master.waitForExit(5) == nil {
            master.send(SIGKILL)
            master.waitForExit(5)
        }
        // Workers normally exit with the master; make sure none outlives the test.
        for worker in workers where Nginx.parent(of: worker) == master.pid || Nginx.parent(of: worker) == 1 {
            if Nginx.commandName(worker)?.hasPrefix("nginx") == true { kill(worker, SIGKILL) }
        }
    }

    // MARK: Helpers

    /// A loopback TCP port nobody listens on right now (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind to 127.0.0.1:0 failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw HarnessError("getsockname failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Pids whose parent is `pid`, from /proc.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { parent(of: $0) == pid }
    }

    /// The parent pid from /proc/PID/stat (the field after the parenthesised command name).
    static func parent(of pid: Int32) -> Int32? {
        let stat = Sandbox.read("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    static func commandName(_ pid: Int32) -> String? {
        let name = Sandbox.read("/proc/\(pid)/comm").trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }
}
