import Dispatch
import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

/// The FastCGI edge's settings, the shared writer's deadline, and editing around a fall-back hour.
@Suite struct EdgeTests {
    private func load(_ extra: String, label: String = #function) throws -> Config {
        let folder = try makeTempFolder(label)
        defer { removeFolder(folder) }
        let file = folder + "/taskfcgi.json"
        try "{ connectionString: 'tasks.db', logPath: 'x.log', \(extra) }".write(toFile: file, atomically: true, encoding: .utf8)
        return try Config.load(path: file)
    }

    @Test func stopTimeoutDefaultsToTenSecondsAndRefusesLessThanOne() throws {
        #expect(try load("").stopTimeout == .seconds(10))
        #expect(try load("stopTimeout: '4s'").stopTimeout == .seconds(4))
        let error = try #require(throws: ConfigError.self) { try load("stopTimeout: '500ms'") }
        #expect(error.key == "stopTimeout")
    }

    @Test func nonLoopbackTCPListenNeedsTrustedProxies() throws {
        let error = try #require(throws: ConfigError.self) { try load("listen: '0.0.0.0:9000'") }
        #expect(error.key == "trustedProxies")
        #expect(error.problem.contains("0.0.0.0:9000"))
        #expect(try load("listen: '0.0.0.0:9000', trustedProxies: ['10.0.0.5']").trustedProxies == ["10.0.0.5"])
        #expect(try load("listen: '127.0.0.1:9000'").trustedProxies == nil)
        let bad = try #require(throws: ConfigError.self) { try load("listen: '0.0.0.0:9000', trustedProxies: ['nginx.local']") }
        #expect(bad.key == "trustedProxies" && bad.problem.contains("not an IPv4 or IPv6 address or a CIDR range"))
        let ranges = "listen: '0.0.0.0:9000', trustedProxies: ['10.0.0.5', '10.1.0.0/16', '::1', 'fd00::/8', '::ffff:10.2.0.0/112']"
        #expect(try load(ranges).trustedProxies?.count == 5)
        for wrong in ["10.0.0.0/33", "10.0.0.0/", "fd00::/129", "10.0.0.0/-1"] {
            let error = try #require(throws: ConfigError.self) { try load("listen: '0.0.0.0:9000', trustedProxies: ['\(wrong)']") }
            #expect(error.key == "trustedProxies" && error.problem.contains(wrong))
        }
        let empty = try #require(throws: ConfigError.self) { try load("listen: '0.0.0.0:9000', trustedProxies: []") }
        #expect(empty.key == "trustedProxies")
    }

    @Test func trustedProxyRangesMatchMappedAndIPv6Peers() throws {
        func allowed(_ range: String, _ peer: String) -> Bool {
            AddressRange(range)!.contains(IPAddress(peer)!)
        }
        #expect(allowed("10.0.0.5", "10.0.0.5") && !allowed("10.0.0.5", "10.0.0.6"))
        #expect(allowed("10.0.0.5", "::ffff:10.0.0.5"), "a dual-stack socket's IPv4 peer matches its IPv4 entry")
        #expect(allowed("10.1.0.0/16", "10.1.255.3") && !allowed("10.1.0.0/16", "10.2.0.1"))
        #expect(allowed("::ffff:10.2.0.0/112", "10.2.9.9"))
        #expect(allowed("fd00::/8", "fd12::1") && !allowed("fd00::/8", "fe80::1"))
        #expect(allowed("::1", "::1") && !allowed("::1", "127.0.0.1"))
        #expect(allowed("0.0.0.0/0", "192.0.2.1") && !allowed("0.0.0.0/0", "2001:db8::1"))
        #expect(IPAddress("::ffff:127.0.0.1")!.isLoopback && IPAddress("::1")!.isLoopback && !IPAddress("10.0.0.1")!.isLoopback)
    }

    @Test func connectionKeys() throws {
        let config = try load("requestReadTimeout: '2s', responseWriteTimeout: '3s', idleTimeout: '90s', maxConnections: 50")
        #expect(config.connections.requestReadTimeout == .seconds(2) && config.connections.responseWriteTimeout == .seconds(3))
        #expect(config.connections.idleTimeout == .seconds(90) && config.connections.maxConnections == 50)
        #expect(try load("").connections == ConnectionSettings())
        let short = try #require(throws: ConfigError.self) { try load("requestReadTimeout: '50ms'") }
        #expect(short.key == "requestReadTimeout")
        let none = try #require(throws: ConfigError.self) { try load("maxConnections: 0") }
        #expect(none.key == "maxConnections")
    }

    /// `slowRequest`: 1 s unless set, 1ms…1h, and a restart to change.
    @Test func theSlowRequestKey() throws {
        #expect(try load("").connections.slowRequest == .seconds(1))
        #expect(try load("slowRequest: '50ms'").connections.slowRequest == .milliseconds(50))
        #expect(try load("slowRequest: '1h'").connections.slowRequest == .hours(1))
        let long = try #require(throws: ConfigError.self) { try load("slowRequest: '2h'") }
        #expect(long.key == "slowRequest" && "\(long)".contains("out of range 1ms…1h"), "\(long)")
        let zero = try #require(throws: ConfigError.self) { try load("slowRequest: '0ms'") }
        #expect(zero.key == "slowRequest")
        let running = try load("slowRequest: '50ms'")
        var changed = running
        changed.connections.slowRequest = .seconds(2)
        #expect(Reload.restartOnly(running, changed) == ["slowRequest"])
        #expect(Reload.restartOnly(running, running).isEmpty)
    }

    /// Berlin, 25 Oct 2026: 02:30 happens twice. A task due at the second 02:30 shows "02:30" in
    /// its edit form; saving a new title with that unchanged must not move it an hour earlier.
    @Test func editingATaskDueInTheRepeatedHourKeepsItsInstant() throws {
        let web = try UnitWebFixture()
        let secondOccurrence = utc(2026, 10, 25, 1, 30)
        let task = try web.store.create(title: "late", due: secondOccurrence, now: UnitWebFixture.defaultNow)
        let form = UnitWebFixture.body(web.get("/tasks/\(task.id)/edit"))
        #expect(form.contains(#"name="due" step="1" required value="2026-10-25T02:30""#))
        let saved = web.post("/tasks/\(task.id)", "title=renamed&due=2026-10-25T02%3A30")
        #expect(saved.status == 303)
        #expect(try web.store.task(id: task.id)?.due == secondOccurrence)
        // Typed anew, the same text still means the earlier instant.
        let created = web.post("/tasks", "title=new&due=2026-10-25T02%3A30")
        let id = try #require(UnitWebFixture.redirectedID(created))
        #expect(try web.store.task(id: id)?.due == utc(2026, 10, 25, 0, 30))
    }

    /// Another connection holds the write lock. The writer inside waits its 400 ms budget; the
    /// ones queued behind it give up as soon as it has waited 100 ms, not 400 ms each in turn.
    @Test func writersWaitTogetherAtMostTheBusyTimeout() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let (writer, holder) = try writerBehindHeldLock(folder, busyTimeoutMilliseconds: 400)

        let results = Mutex<[(ok: Bool, seconds: Double)]>([])
        let group = DispatchGroup()
        // Threads, not the global queue: its pool grows slowly past blocked work, and the four
        // writers must arrive together, as four request threads would.
        for _ in 0..<4 {
            group.enter()
            Thread {
                let start = monotonicNanoseconds()
                let ok = (try? writer.write { db in try db.transaction { try db.run("INSERT INTO t VALUES (1)") } }) != nil
                let seconds = Double(monotonicNanoseconds() - start) / 1e9
                results.withLock { $0.append((ok, seconds)) }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 5) == .success)
        let outcomes = results.withLock { $0 }
        #expect(outcomes.allSatisfy { !$0.ok }, "a write got through a held lock: \(outcomes)")
        #expect(outcomes.allSatisfy { $0.seconds < 0.7 }, "a writer waited past its budget: \(outcomes)")
        #expect(outcomes.filter { $0.seconds < 0.3 }.count >= 2, "queued writers waited in turn: \(outcomes)")

        try holder.execute("COMMIT")
        try writer.write { db in try db.transaction { try db.run("INSERT INTO t VALUES (2)") } }
        #expect(try holder.firstRow("SELECT count(*) FROM t") { $0.int(0) } == 1)
    }
}
