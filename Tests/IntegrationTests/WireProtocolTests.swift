import Foundation
import Synchronization
import Testing

extension IntegrationTests {
    /// The worker's own FastCGI record layer, spoken to over a raw socket: records no front end
    /// sends, split and padded as the specification allows, kept connections, stalled peers.
    @Suite("FastCGI wire (raw socket)")
    struct WireProtocol {
        /// A worker on a unix socket, with short deadlines where a test needs them.
        static func worker(_ overrides: [String: Any] = [:]) throws -> (Sandbox, ChildProcess) {
            let box = try Sandbox()
            do {
                try box.writeConfig(["threads": 4].merging(overrides) { $1 })
                return (box, try box.startWorker())
            } catch {
                box.close()
                throw error
            }
        }

        static func openDescriptors(_ pid: Int32) -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        }

        @Test("GET_VALUES naming FCGI_MAX_CONNS eight times is answered at once with real values; the worker stays up")
        func getValuesRepeated() throws {
            let (box, worker) = try Self.worker(["maxConnections": 300])
            defer { box.close() }
            let names = [(String, String)](repeating: ("FCGI_MAX_CONNS", ""), count: 8) + [("FCGI_MPXS_CONNS", ""), ("FCGI_NOT_A_NAME", ""), ("FCGI_MAX_REQS", "")]
            let connection = try RecordConnection(unix: box.socketPath)
            // Unpadded and alone: nothing follows it, so an answer must not wait for more bytes.
            connection.send(Records.record(9, id: 0, Records.pairs(names)))
            let answer = connection.read(timeout: 5) { !$0.isEmpty }
            #expect(answer.first?.type == 10, "\(answer)")
            #expect(answer.first?.content == Records.pairs([("FCGI_MAX_CONNS", "300"), ("FCGI_MPXS_CONNS", "0"), ("FCGI_MAX_REQS", "300")]))
            // Another management type, on the same connection.
            connection.send(Records.record(200, id: 0, [1, 2]))
            let unknown = connection.read(timeout: 5) { !$0.isEmpty }
            #expect(unknown.first?.type == 11 && unknown.first?.content.first == 200, "\(unknown)")
            // The connection still serves a request after both.
            connection.send(Records.request())
            let served = connection.readResponse()
            #expect(RecordConnection.status(served) == 200, "\(served)\n\(box.logTail())")
            #expect(worker.isRunning && !worker.stderr.contains("stack smashing"))
        }

        @Test("records split at every byte, and padded, are served like whole ones")
        func splitAndPadded() throws {
            // A byte per send is slow on a busy machine: the read deadline must not be what is tested.
            let (box, worker) = try Self.worker(["requestReadTimeout": "10m"])
            defer { box.close() }
            let body = Array("title=split&due=2099-01-01T10%3A00".utf8)
            for padding in [0, 3, 255] {
                let connection = try RecordConnection(unix: box.socketPath)
                let bytes = Records.request("POST", "/tasks", body: body, padding: padding)
                let unsent = bytes.indices.first { !connection.send([bytes[$0]]) }
                #expect(unsent == nil, "padding \(padding): the worker closed the connection at byte \(unsent ?? -1) (errno \(errno)); log:\n\(box.logTail())")
                let records = connection.readResponse()
                #expect(RecordConnection.status(records) == 303, "padding \(padding): \(RecordConnection.stdout(records))")
                #expect(records.last?.protocolStatus == 0)
            }
            #expect(try box.sqlInt("SELECT count(*) FROM tasks WHERE title = 'split'") == 3)
            #expect(worker.isRunning)
        }

        @Test("other roles get UNKNOWN_ROLE; a second BEGIN_REQUEST gets CANT_MPX_CONN and the first is served")
        func rolesAndMultiplexing() throws {
            let (box, worker) = try Self.worker()
            defer { box.close() }
            for role: UInt16 in [2, 3] {
                let connection = try RecordConnection(unix: box.socketPath)
                connection.send(Records.begin(id: 5, role: role) + Records.record(4, id: 5, Records.pairs(Records.params("GET", "/healthz")))
                                + Records.record(4, id: 5) + Records.record(5, id: 5))
                let records = connection.readResponse(id: 5)
                #expect(records.map(\.type) == [3] && records.last?.protocolStatus == 3, "role \(role): \(records)")
            }
            let connection = try RecordConnection(unix: box.socketPath)
            connection.send(Records.begin(id: 1) + Records.record(4, id: 1, Records.pairs(Records.params("GET", "/healthz"))))
            connection.send(Records.request("GET", "/tasks", id: 2))
            let refused = connection.readResponse(id: 2)
            #expect(refused.last?.protocolStatus == 1, "\(refused)")
            connection.send(Records.record(4, id: 1) + Records.record(5, id: 1))
            let first = connection.readResponse(id: 1)
            #expect(RecordConnection.status(first) == 200 && first.last?.protocolStatus == 0, "\(first)")
            #expect(worker.isRunning)
        }

        @Test("ABORT_REQUEST before the body is complete: END_REQUEST and no task created")
        func abortMidBody() throws {
            let (box, _) = try Self.worker()
            defer { box.close() }
            let body = Array("title=aborted&due=2099-01-01T10%3A00".utf8)
            let connection = try RecordConnection(unix: box.socketPath)
            connection.send(Records.begin(id: 3, keep: true) + Records.record(4, id: 3, Records.pairs(Records.params("POST", "/tasks", body: body)))
                            + Records.record(4, id: 3) + Records.record(5, id: 3, Array(body.prefix(10))))
            connection.send(Records.record(2, id: 3))
            let ended = connection.readResponse(id: 3)
            #expect(ended.map(\.type) == [3] && ended.last?.protocolStatus == 0, "\(ended)")
            // The kept connection goes on to serve the next request.
            connection.send(Records.request("GET", "/healthz", id: 4, keep: true))
            let next = connection.readResponse(id: 4)
            #expect(RecordConnection.status(next, id: 4) == 200, "\(next) \(RecordConnection.stdout(next, id: 4))")
            #expect(try box.sqlInt("SELECT count(*) FROM tasks") == 0)
        }

        @Test("framing errors close the connection with one log line naming the peer, never a 200", arguments: [
            ("version 2", Records.record(1, id: 1, [0, 1, 0, 0, 0, 0, 0, 0], version: 2), "version 2"),
            ("STDOUT inside the params", Records.begin() + Records.record(4, id: 1, Records.pairs(Records.params("GET", "/healthz")))
                + Records.record(6, id: 1, Array("Status: 200\r\n\r\n".utf8)) + Records.record(4, id: 1) + Records.record(5, id: 1), "STDOUT record"),
            ("STDIN before the params end", Records.begin() + Records.record(5, id: 1, [65]), "before its params had ended"),
            ("a BEGIN_REQUEST of 4 bytes", Records.record(1, id: 1, [0, 1, 0, 0]), "4 bytes of content"),
        ])
        func framingErrors(_ name: String, _ bytes: [UInt8], _ reason: String) throws {
            let (box, worker) = try Self.worker()
            defer { box.close() }
            let connection = try RecordConnection(unix: box.socketPath)
            connection.send(bytes)
            #expect(connection.waitForClose(timeout: 5), "\(name): the connection stayed open")
            #expect(RecordConnection.status(connection.read(timeout: 0) { _ in false }) == nil)
            let logged = waitUntil(3) { box.log.contains("closed the FastCGI connection from the unix socket peer (pid \(getpid())): ") && box.log.contains(reason) }
            #expect(logged, "\(name): log:\n\(box.logTail())")
            #expect(worker.isRunning)
        }

        @Test("kept connections: 50 connections × 3 requests each are all answered; descriptors return to where they were")
        func keptConnections() throws {
            let (box, worker) = try Self.worker()
            defer { box.close() }
            var connections = try (0..<50).map { _ in try RecordConnection(unix: box.socketPath) }
            for round in 0..<3 {
                for (index, connection) in connections.enumerated() {
                    connection.send(Records.request(id: UInt16(round + 1), keep: true))
                    let records = connection.readResponse(id: UInt16(round + 1))
                    #expect(RecordConnection.status(records, id: UInt16(round + 1)) == 200, "connection \(index), request \(round + 1)")
                }
            }
            let open = Self.openDescriptors(worker.pid)
            connections.removeAll()
            let back = waitUntil(5) { Self.openDescriptors(worker.pid) <= open - 50 }
            #expect(back, "open descriptors: \(Self.openDescriptors(worker.pid)), with the 50 connections: \(open)")
            #expect(box.log.components(separatedBy: "GET /healthz 200").count - 1 == 150)
        }

        @Test("stalled peers hold no thread: 16 half-sent records, and a 17th client is answered at once")
        func stalledPeers() throws {
            let (box, worker) = try Self.worker(["threads": 2])
            defer { box.close() }
            let stalled = try (0..<16).map { _ in try RecordConnection(unix: box.socketPath) }
            for connection in stalled { connection.send(Array(Records.request().prefix(20))) }
            let client = try RecordConnection(unix: box.socketPath)
            client.send(Records.request())
            let records = client.readResponse(timeout: 3)
            #expect(RecordConnection.status(records) == 200, "a client behind 16 stalled peers waited: \(records)")
            #expect(worker.isRunning)
        }

        @Test("requestReadTimeout cuts a stalled peer off and says so; responseWriteTimeout one that does not read")
        func deadlines() throws {
            let (box, _) = try Self.worker(["requestReadTimeout": "500ms", "responseWriteTimeout": "500ms"])
            defer { box.close() }
            let slow = try RecordConnection(unix: box.socketPath)
            slow.send(Array(Records.request().prefix(12)))
            #expect(slow.waitForClose(timeout: 5), "a stalled peer stayed connected")
            #expect(waitUntil(3) { box.log.contains("no complete request within 500 ms (requestReadTimeout)") }, "log:\n\(box.logTail())")

            // Responses pile up in the socket, then in the worker, while the peer reads none.
            let deaf = try RecordConnection(unix: box.socketPath)
            var batch: [UInt8] = []
            for id in 1...400 { batch += Records.request("GET", "/api/openapi.json", id: UInt16(id), keep: true) }
            deaf.send(batch)
            let cut = waitUntil(8) { box.log.contains("(responseWriteTimeout)") }
            #expect(cut, "log:\n\(box.logTail())")
            #expect(deaf.waitForClose(timeout: 5))
        }

        @Test("a worker stopped with kept connections open ends within stopTimeout; idle ones are closed")
        func stopWithKeptConnections() throws {
            let (box, worker) = try Self.worker(["stopTimeout": "3s"])
            defer { box.close() }
            let kept = try (0..<20).map { _ in try RecordConnection(unix: box.socketPath) }
            for connection in kept {
                connection.send(Records.request(keep: true))
                #expect(RecordConnection.status(connection.readResponse()) == 200)
            }
            let began = Date()
            worker.send(SIGTERM)
            #expect(worker.waitForExit(5) == .exited(0), "stderr: \(worker.stderr)")
            #expect(Date().timeIntervalSince(began) < 3, "took \(Date().timeIntervalSince(began)) s")
            #expect(kept.allSatisfy { $0.waitForClose(timeout: 1) })
        }
    }
}

extension IntegrationTests {
    /// nginx pooling connections to the worker (`keepalive`, `fastcgi_keep_conn on`, as shipped),
    /// under load from wrk.
    @Suite("Kept connections through nginx")
    struct KeptConnections {
        /// Runs wrk against `path` and returns (requests, non-2xx/3xx responses, socket errors).
        static func wrk(port: Int, path: String, seconds: Int, connections: Int = 32, folder: String) throws -> (requests: Int, bad: Int, errors: Int, text: String) {
            let run = try ChildProcess.run("wrk", try Tools.find("wrk"),
                                           ["-t2", "-c\(connections)", "-d\(seconds)s", "http://127.0.0.1:\(port)\(path)"],
                                           folder: folder, timeout: Double(seconds) + 20)
            let text = run.stdout
            func number(after label: String) -> Int {
                guard let range = text.range(of: label) else { return 0 }
                return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            let errors = text.range(of: "Socket errors:").map { line in
                text[line.upperBound...].prefix { $0 != "\n" }.split(separator: ",").compactMap { Int($0.filter(\.isNumber)) }.reduce(0, +)
            } ?? 0
            return (Int(text.split(separator: "\n").first { $0.contains("requests in") }?.split(separator: " ").first ?? "0") ?? 0,
                    number(after: "Non-2xx or 3xx responses: "), errors, text)
        }

        static func socketCount(_ pid: Int32) -> Int {
            let folder = "/proc/\(pid)/fd"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return names.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\($0)"))?.hasPrefix("socket:") == true }.count
        }

        @Test("wrk at 32 connections: every response 2xx, connections reused (kept open after the load), and a worker killed with -9 is replaced")
        func underLoadAndKill() throws {
            let stack = try Stack()
            defer { stack.close() }
            let (box, nginx) = (stack.box, stack.nginx)
            let first = try Self.wrk(port: nginx.port, path: "/tasks", seconds: 3, folder: box.folder)
            #expect(first.requests > 100 && first.bad == 0 && first.errors == 0, "\(first.text)")
            // nginx keeps its idle connections (keepalive 16): the worker still holds them after the
            // load, where connections made per request would all be gone.
            // Connections nginx closes beyond its 16 take a moment to be seen closed on a busy machine.
            var kept = 0
            _ = waitUntil(5) {
                kept = Self.socketCount(stack.worker.pid) - 1
                return kept >= 1 && kept <= 16 + 4
            }
            #expect(kept >= 1 && kept <= 16 + 4, "sockets open after the load besides the listener: \(kept)")
            let logged = box.log.components(separatedBy: "[http] GET /tasks 200").count - 1
            // wrk counts completed responses only: up to one per connection was cut off at its end.
            #expect(logged >= first.requests && logged <= first.requests + 32, "wrk counted \(first.requests) requests, the worker logged \(logged)")

            // kill -9 mid-load, then a new worker on the same socket path: nginx drops the dead
            // kept connections and every request after the restart is answered.
            let healthzBefore = box.log.components(separatedBy: "GET /healthz 200").count
            let load = Thread { _ = try? Self.wrk(port: nginx.port, path: "/healthz", seconds: 2, folder: box.folder) }
            load.start()
            #expect(waitUntil(5) { box.log.components(separatedBy: "GET /healthz 200").count > healthzBefore + 100 }, "the load did not start")
            stack.worker.send(SIGKILL)
            #expect(stack.worker.waitForExit(5) != nil)
            let second = try box.startWorker()
            defer { second.stop(grace: 5) }
            #expect(waitUntil(10) { (try? stack.http.get("/healthz").status) == 200 }, "the new worker is not reached through nginx")
            let after = try Self.wrk(port: nginx.port, path: "/tasks", seconds: 2, folder: box.folder)
            #expect(after.requests > 50 && after.bad == 0 && after.errors == 0, "after kill -9 and restart: \(after.text)\n\(nginx.errorLog.suffix(1500))")
            #expect(second.isRunning)
        }
    }
}
