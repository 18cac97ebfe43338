import Foundation
import Testing

extension IntegrationTests {
    @Suite("Graceful stop under load")
    struct GracefulStop {
        /// 8 curl processes send GETs and POSTs, each with a unique `?n=`, through nginx; mid-load the
        /// worker gets SIGTERM. Every request the worker logged must have reached the client with
        /// that status (none cut off into a 502); the ones it never took may get 502 from nginx, and
        /// no other status.
        @Test("SIGTERM under load: exit 0, every logged request answered as logged, 502 only for unlogged ones")
        func sigtermUnderLoad() throws {
            let stack = try Stack()
            defer { stack.close() }
            let loops = 8, perLoop = 800, total = loops * perLoop
            let base = stack.http.base

            var clients: [ChildProcess] = []
            let curl = try Tools.curl()
            for loop in 0..<loops {
                var config = ""
                for index in 0..<perLoop {
                    let n = loop * perLoop + index
                    if index > 0 { config += "next\n" }
                    config += "url = \"\(base)/tasks?n=\(n)\"\n"
                    if index % 4 == 3 {
                        config += "data = \"title=load+\(n)&due=2030-01-01T10%3A00\"\n"
                    }
                    config += "output = \"/dev/null\"\nwrite-out = \"%{http_code} %{method} %{url_effective}\\n\"\n"
                    config += "silent\nshow-error\nmax-time = 20\n"
                }
                let path = "\(stack.box.folder)/load-\(loop).curlrc"
                try config.write(toFile: path, atomically: true, encoding: .utf8)
                clients.append(try stack.box.start("curl-load-\(loop)", curl, ["-K", path]))
            }

            // Let the load run for about a second with some requests served (sooner on a machine so
            // fast that more than half would be through: the stop must come mid-load).
            let began = monotonicSeconds()
            var served = 0
            let loaded = waitUntil(15, every: 0.05) {
                served = AccessLine.all(in: stack.box.log).count
                return served * 2 >= total || (monotonicSeconds() - began >= 1 && served >= 20)
            }
            #expect(loaded, "only \(served) requests served after 15 s\n\(stack.diagnostics)")

            stack.worker.send(SIGTERM)
            let stopping = monotonicSeconds()
            let ending = stack.worker.waitForExit(10)
            #expect(ending == .exited(0), "worker: \(String(describing: ending))\n\(stack.diagnostics)")
            #expect(monotonicSeconds() - stopping < 10)

            let clientsDone = waitUntil(60, every: 0.05) { clients.allSatisfy { !$0.isRunning } }
            #expect(clientsDone, "curl loops did not finish within 60 s")
            for client in clients {
                #expect(client.ending == .exited(0), "\(client.name): \(String(describing: client.ending)) \(client.stderr)")
            }

            // What the clients saw, by target.
            var seen: [String: (method: String, status: Int)] = [:]
            for client in clients {
                let lines = client.stdout.split(separator: "\n")
                #expect(lines.count == perLoop, "\(client.name) reported \(lines.count) of \(perLoop) requests")
                for line in lines {
                    let fields = line.split(separator: " ")
                    guard fields.count == 3, let status = Int(fields[0]), fields[2].hasPrefix(base) else {
                        Issue.record("unexpected curl line: \(line)")
                        continue
                    }
                    seen[String(fields[2].dropFirst(base.count))] = (String(fields[1]), status)
                }
            }

            // What the worker logged, by target (each target exactly once).
            let log = stack.box.log
            var logged: [String: AccessLine] = [:]
            for line in AccessLine.all(in: log) {
                #expect(logged[line.target] == nil, "\(line.target) logged twice")
                logged[line.target] = line
            }
            #expect(!log.contains("(client went away)"))
            #expect(stack.box.logLines.last?.hasSuffix("stopped") == true, "last log line: \(stack.box.logLines.last ?? "")")

            var mismatches: [String] = []
            for (target, line) in logged {
                guard let client = seen[target] else { mismatches.append("\(target): logged \(line.status), not seen by the client"); continue }
                if client.status != line.status || client.method != line.method {
                    mismatches.append("\(target): logged \(line.method) \(line.status), client got \(client.method) \(client.status)")
                }
            }
            for (target, client) in seen where logged[target] == nil && client.status != 502 {
                mismatches.append("\(target): not logged, client got \(client.status) (expected 502)")
            }
            let report = mismatches.sorted().prefix(30).joined(separator: "\n")
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(report)\nnginx error log:\n\(stack.nginx.errorLog.suffix(2000))")

            let gateway = seen.values.filter { $0.status == 502 }.count
            let postsStored = logged.values.filter { $0.method == "POST" && $0.status == 303 }.count
            #expect(logged.count > 0 && logged.count < total, "logged \(logged.count) of \(total): the stop did not happen mid-load")
            #expect(gateway > 0, "no request got 502: the stop did not happen mid-load")
            #expect(gateway + logged.count == total, "\(gateway) × 502 + \(logged.count) logged ≠ \(total)")
            #expect(logged.values.allSatisfy { $0.status == 200 || $0.status == 303 }, "unexpected statuses in the log")
            // Every POST the worker answered 303 is stored; nothing else is.
            #expect(try stack.box.taskCount() == postsStored)

            // Stricter: a 502 only ever means "nginx could not connect" (the socket file is gone),
            // never "nginx connected and sent the request, then the worker dropped it": connections
            // queued in the backlog at SIGTERM are still served.
            let dropped = stack.nginx.errorLog.split(separator: "\n").filter {
                $0.contains("from upstream") && ($0.contains("reset by peer") || $0.contains("prematurely closed"))
            }
            #expect(dropped.isEmpty, "\(dropped.count) requests nginx had handed over were dropped:\n\(dropped.prefix(5).joined(separator: "\n"))")
        }
    }
}
