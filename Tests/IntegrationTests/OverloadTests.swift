import Foundation
import Synchronization
import Testing

extension IntegrationTests {
    /// Overload and hostile peers at the FastCGI edge: the database held by another process,
    /// descriptors exhausted, and a TCP listener beyond loopback.
    @Suite("Overload at the edge")
    struct OverloadTests {
        /// One request over a fresh connection to nginx: the status, the whole answer, the time.
        static func exchange(_ port: Int, _ folder: String, _ request: String) -> (status: Int?, answer: String, seconds: Double) {
            let began = monotonicSeconds()
            let answer = (try? HTTPClient(port: port, folder: folder).raw(request, timeout: 30)) ?? ""
            let fields = answer.prefix { $0 != "\r" }.split(separator: " ")
            return (fields.count >= 2 ? Int(fields[1]) : nil, answer, monotonicSeconds() - began)
        }

        static func postRequest(_ port: Int, title: String) -> String {
            let body = HTTPClient.urlEncoded([("title", title), ("due", "2030-01-01T10:00")])
            return "POST /tasks HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        }

        static func getRequest(_ port: Int, _ target: String) -> String {
            "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
        }

        /// Runs `count` requests at once, one thread each; returns their results in order.
        static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> (status: Int?, answer: String, seconds: Double))
            -> [(status: Int?, answer: String, seconds: Double)] {
            let results = Mutex<[Int: (status: Int?, answer: String, seconds: Double)]>([:])
            let group = DispatchGroup()
            for index in 0..<count {
                group.enter()
                Thread {
                    let result = body(index)
                    results.withLock { $0[index] = result }
                    group.leave()
                }.start()
            }
            _ = group.wait(timeout: .now() + 60)
            return results.withLock { all in (0..<count).map { all[$0] ?? (nil, "no answer within 60 s", 60) } }
        }

        @Test("the database held by another process (sqlite3 BEGIN EXCLUSIVE, 10 s; busyTimeout 1 s): 32 POSTs each 503 within 1.5 s with the form kept, GET /tasks 200 throughout, POSTs succeed after")
        func databaseHeldByAnotherProcess() throws {
            let stack = try Stack(config: ["busyTimeout": "1s"])
            defer { stack.close() }
            let (port, folder, box) = (stack.nginx.port, stack.box.folder, stack.box)
            #expect(waitUntil(10) { box.log.contains("holding the job lease") }, "\(stack.diagnostics)")
            let holder = try box.sql("SELECT holder FROM job_lease")

            // The worker's job thread may be writing at that instant (a lease renewal): wait for it.
            let script = folder + "/hold.sql"
            try ".timeout 5000\nBEGIN EXCLUSIVE;\nINSERT INTO tasks (title, due_at, created_at) VALUES ('held', 0, 0);\n.shell sleep 10\nCOMMIT;\n"
                .write(toFile: script, atomically: true, encoding: .utf8)
            let sqlite = try box.start("sqlite3-holder", try Tools.sqlite3(), [box.databasePath],
                                       stdin: FileHandle(forReadingAtPath: script))
            let locked = waitUntil(5) {
                let probe = try? ChildProcess.run("probe", try Tools.sqlite3(), ["-cmd", ".timeout 0", box.databasePath, "BEGIN IMMEDIATE; ROLLBACK;"], folder: folder)
                return probe?.ending != .exited(0)
            }
            #expect(locked, "sqlite3 did not take the lock: \(sqlite.stderr)")

            // Readers all along, while the POSTs run and until the lock is gone.
            let reads = Mutex<[(status: Int?, seconds: Double)]>([])
            let readsDone = DispatchSemaphore(value: 0)
            Thread {
                while sqlite.isRunning {
                    let result = Self.exchange(port, folder, Self.getRequest(port, "/tasks"))
                    reads.withLock { $0.append((result.status, result.seconds)) }
                    usleep(50_000)
                }
                readsDone.signal()
            }.start()

            let posts = Self.concurrently(32) { Self.exchange(port, folder, Self.postRequest(port, title: "held-\($0)")) }
            #expect(sqlite.isRunning, "the lock ended before the POSTs did")
            for (index, post) in posts.enumerated() {
                #expect(post.status == 503 && post.seconds < 1.5, "POST \(index): \(post.status.map(String.init) ?? "none") after \(post.seconds) s")
                #expect(post.answer.contains("Retry-After: 5") && post.answer.contains(#"value="held-\#(index)""#),
                        "POST \(index): no Retry-After or the title was not kept: \(post.answer.prefix(600))")
            }
            #expect(sqlite.waitForExit(15) == .exited(0), "\(sqlite.stderr)")
            #expect(readsDone.wait(timeout: .now() + 35) == .success)
            let allReads = reads.withLock { $0 }
            #expect(allReads.count >= 20 && allReads.allSatisfy { $0.status == 200 && $0.seconds < 1 },
                    "GET /tasks while held: \(allReads.map { "\($0.status.map(String.init) ?? "-")@\(String(format: "%.2f", $0.seconds))" })")

            let after = Self.concurrently(32) { Self.exchange(port, folder, Self.postRequest(port, title: "after-\($0)")) }
            #expect(after.allSatisfy { $0.status == 303 }, "after the release: \(after.map { $0.status.map(String.init) ?? "-" })")
            #expect(try box.sqlInt("SELECT count(*) FROM tasks WHERE title LIKE 'held-%'") == 0)
            #expect(try box.sqlInt("SELECT count(*) FROM tasks WHERE title LIKE 'after-%'") == 32)
            #expect(try box.sql("SELECT holder FROM job_lease") == holder, "the job lease changed hands")
            let worst = posts.map(\.seconds).max() ?? 0
            print("[edge] database held: 32 POSTs answered 503 in at most \(String(format: "%.2f", worst)) s; \(allReads.count) GETs, slowest \(String(format: "%.2f", allReads.map(\.seconds).max() ?? 0)) s")
        }

        @Test("descriptors exhausted (prlimit) under 48 connections: they queue or get 503, then every request thread serves again")
        func descriptorsExhausted() throws {
            // nginx connecting per request: with kept connections the burst could be served on
            // the connections already open and never need a descriptor.
            let stack = try Stack(keepConnections: false)
            defer { stack.close() }
            let (port, folder, box, pid) = (stack.nginx.port, stack.box.folder, stack.box, stack.worker.pid)
            // Every thread opens its read connection on its first request: warm them all up.
            _ = Self.concurrently(16) { Self.exchange(port, folder, Self.getRequest(port, "/tasks?warm=\($0)")) }
            // The limit caps descriptor numbers, not their count: one above the lowest free number
            // leaves the worker a single descriptor to accept with.
            let used = Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int($0) })
            let lowestFree = (0...).first { !used.contains($0) }!
            let prlimit = try Tools.find("prlimit")
            let limits = Sandbox.read("/proc/\(pid)/limits").split(separator: "\n").first { $0.hasPrefix("Max open files") }
            let numbers = limits?.split(separator: " ").compactMap { Int($0) } ?? []
            try #require(numbers.count == 2, "cannot read the limits: \(String(describing: limits))")
            func setLimit(_ soft: Int) throws {
                let run = try ChildProcess.run("prlimit", prlimit, ["--pid", "\(pid)", "--nofile=\(soft):\(numbers[1])"], folder: folder)
                #expect(run.ending == .exited(0), "\(run.stderr)")
            }
            try setLimit(lowestFree + 1)
            // One idle connection takes that descriptor, so the burst needs a second one for sure
            // (on a busy machine the worker could otherwise finish each request before the next).
            let holder = try FastCGIClient.unix(box.socketPath)

            let results = Mutex<[(status: Int?, answer: String, seconds: Double)]>([])
            let burst = Thread {
                let all = Self.concurrently(48) { Self.exchange(port, folder, Self.getRequest(port, "/tasks?burst=\($0)")) }
                results.withLock { $0 = all }
            }
            burst.start()
            let failing = waitUntil(15) { box.log.contains("cannot accept connections: Too many open files") }
            #expect(failing, "no EMFILE reported:\n\(box.logTail())")
            try setLimit(numbers[0])
            let restored = monotonicSeconds()
            close(holder)
            #expect(waitUntil(60) { results.withLock { $0.count } == 48 }, "the burst did not finish")

            let statuses = results.withLock { $0 }.map(\.status)
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "statuses: \(statuses)")
            #expect(statuses.contains(200))
            // The recovery is logged by the first accept a second after the last failure.
            waitUntil(3) { monotonicSeconds() - restored >= 1.2 }
            _ = Self.exchange(port, folder, Self.getRequest(port, "/tasks?after"))
            #expect(waitUntil(5) { box.log.contains("accepting connections again after") }, "\(box.logTail())")
            let reports = occurrences(of: "cannot accept connections", in: box.log)
            #expect(reports == 1, "\(reports) accept-failure lines: not once per burst\n\(box.logTail())")
            let names = (try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))
                .map { Sandbox.read("/proc/\(pid)/task/\($0)/comm").trimmingCharacters(in: .whitespacesAndNewlines) }
            let alive = (1...4).filter { names.contains("taskfcgi-req\($0)") }.count
            #expect(alive == 4, "request threads alive: \(names.sorted())")
            let status = try stack.http.get("/status")
            #expect(status.status == 200, "\(status)")
            let again = Self.concurrently(8) { Self.exchange(port, folder, Self.getRequest(port, "/tasks?again=\($0)")) }
            #expect(again.allSatisfy { $0.status == 200 }, "\(again.map(\.status))")
            print("[edge] descriptors exhausted: 48 requests → \(statuses.filter { $0 == 200 }.count)×200, \(statuses.filter { $0 == 503 }.count)×503; \(reports) log line(s) for the burst; \(alive) of 4 request threads alive")
        }

        @Test("listen on 0.0.0.0 without trustedProxies: exit 78 naming the key; with it, a peer not listed is refused")
        func nonLoopbackListenNeedsTrustedProxies() throws {
            let box = try Sandbox()
            defer { box.close() }
            let port = try Nginx.freePort()
            try box.writeConfig(["listen": "0.0.0.0:\(port)"])
            let refused = try box.runTaskfcgi(["--config", box.configPath])
            #expect(refused.ending == .exited(78), "\(String(describing: refused.ending)) \(refused.stderr)")
            #expect(refused.stderr.contains("trustedProxies"), "\(refused.stderr)")

            try box.writeConfig(["listen": "0.0.0.0:\(port)", "trustedProxies": ["127.0.0.2"]])
            let worker = try box.start("worker", try Tools.taskfcgi(), ["--config", box.configPath])
            #expect(waitUntil(10) { box.log.contains("started (pid \(worker.pid)") }, "\(worker.stderr)")
            try Self.expectOnlyTrusted(port: port, box: box, trusted: "127.0.0.2", stranger: "127.0.0.1")
            #expect(worker.isRunning)
        }

        /// A peer from `trusted` is served over TCP `port`; one from `stranger` is cut off unanswered
        /// and logged.
        static func expectOnlyTrusted(port: Int, box: Sandbox, trusted: String, stranger: String) throws {
            let served = FastCGIClient.get("/tasks", on: try FastCGIClient.tcp(port: port, from: trusted))
            #expect(served.ended && served.status == 200, "from \(trusted): \(served.stdout.prefix(300))\n\(box.logTail())")
            let refused = FastCGIClient.get("/tasks", on: try FastCGIClient.tcp(port: port, from: stranger))
            #expect(!refused.ended && refused.stdout.isEmpty, "\(stranger) is not listed, yet got: \(refused.stdout.prefix(300))")
            #expect(waitUntil(3) { box.log.contains("refused a FastCGI connection from \(stranger): not in trustedProxies") }, "\(box.logTail())")
        }

        /// A listening TCP socket as spawn-fcgi `-p PORT` or systemd `ListenStream=PORT` make it:
        /// bound to every address, IPv4 only or dual-stack IPv6 (IPv4 peers then show as ::ffff:…).
        static func listenEverywhere(port: Int, ipv6: Bool) throws -> Int32 {
            let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var on: Int32 = 1, off: Int32 = 0
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            let bound: Int32
            if ipv6 {
                setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = UInt16(port).bigEndian
                bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
                }
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(port).bigEndian
                bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            guard fd >= 0, bound == 0, listen(fd, 64) == 0 else { throw HarnessError("cannot listen on port \(port): errno \(errno)") }
            return fd
        }

        @Test("an inherited socket bound to every address: exit 78 without trustedProxies; on a dual-stack socket, IPv4 peers match IPv4 entries")
        func inheritedSocketBeyondLoopbackNeedsTrustedProxies() throws {
            for ipv6 in [false, true] {
                let box = try Sandbox()
                defer { box.close() }
                let port = try Nginx.freePort()
                let socket = try Self.listenEverywhere(port: port, ipv6: ipv6)
                defer { close(socket) }
                try box.writeConfig(["listen": NSNull()])
                let handle = FileHandle(fileDescriptor: socket, closeOnDealloc: false)
                let refused = try box.start("refused", try Tools.taskfcgi(), ["--config", box.configPath], stdin: handle)
                #expect(refused.waitForExit(10) == .exited(78), "ipv6 \(ipv6): \(refused.stderr)")
                #expect(refused.stderr.contains("trustedProxies: is required: the inherited socket is bound to"), "\(refused.stderr)")

                try box.writeConfig(["listen": NSNull(), "trustedProxies": ["127.0.0.2", "fd00::/8"]])
                let worker = try InheritedSocket.startWorker(box, socket: socket, style: .spawnFCGI)
                try Self.expectOnlyTrusted(port: port, box: box, trusted: "127.0.0.2", stranger: "127.0.0.3")
                #expect(worker.isRunning)
            }
        }
    }
}
