import Foundation
import Testing
@testable import TaskFCGIKit

/// `/metrics` as the app writes it: both formats, and counts that follow the requests answered.
@Suite struct MetricsTests {
    /// An app with stats and metrics, as the worker wires it.
    static func app(_ fixture: UnitWebFixture) -> (AppContext, Metrics) {
        let metrics = Metrics(jobs: ["completeDueTasks", "purgeCompletedTasks"])
        let context = AppContext(store: fixture.store, jobStore: SQLiteJobStore(fixture.store.db), zone: fixture.zone,
                                 clock: fixture.clock, log: fixture.log, stats: ServerStats(threads: 4, startedAt: fixture.clock.now()),
                                 metrics: metrics)
        return (context, metrics)
    }

    /// The value of the sample line that starts with `prefix` (name and labels, exactly as written).
    static func value(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test("requests are counted by route template and status class, durations in a histogram per route")
    func requestCounts() throws {
        let fixture = try UnitWebFixture()
        let (context, _) = Self.app(fixture)
        let handler = App.handler(context)
        let task = try fixture.task("A", due: utc(2027, 1, 1))
        for _ in 0..<3 { _ = handler(Request(method: "GET", path: "/tasks/\(task.id)")) }
        _ = handler(Request(method: "GET", path: "/tasks/999"))
        _ = handler(Request(method: "GET", path: "/no/such/page"))
        let scrape = handler(Request(method: "GET", path: "/metrics", remoteAddress: "127.0.0.1"))
        #expect(scrape.status == 200)
        #expect(scrape.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let text = String(decoding: scrape.body, as: UTF8.self)
        #expect(Self.value(text, #"taskfcgi_http_requests_total{route="/tasks/{id}",code="2xx"}"#) == 3)
        #expect(Self.value(text, #"taskfcgi_http_requests_total{route="/tasks/{id}",code="4xx"}"#) == 1)
        #expect(Self.value(text, #"taskfcgi_http_requests_total{route="other",code="4xx"}"#) == 1)
        #expect(Self.value(text, #"taskfcgi_http_request_duration_seconds_count{route="/tasks/{id}"}"#) == 4)
        #expect(Self.value(text, #"taskfcgi_http_request_duration_seconds_bucket{route="/tasks/{id}",le="+Inf"}"#) == 4)
        #expect(Self.value(text, #"taskfcgi_tasks{state="pending"}"#) == 1)
        #expect(text.contains("# TYPE taskfcgi_http_requests_total counter"))
        #expect(!text.contains("# EOF"))
        #expect(!text.contains("/tasks/999"), "raw paths never become labels")
    }

    @Test("Accept: application/openmetrics-text gets OpenMetrics 1.0: counter families without _total, info, units, # EOF")
    func openMetrics() throws {
        let fixture = try UnitWebFixture()
        let (context, metrics) = Self.app(fixture)
        metrics.jobs.completed(dues: [1000, 2000], action: Instant(milliseconds: 2500))
        metrics.jobs.misfired("completeDueTasks", slots: 2)
        let scrape = App.handler(context)(Request(method: "GET", path: "/metrics",
                                                  headers: ["accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"],
                                                  remoteAddress: "127.0.0.1"))
        #expect(scrape.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        let text = String(decoding: scrape.body, as: UTF8.self)
        #expect(text.hasSuffix("# EOF\n"))
        #expect(text.contains("# TYPE taskfcgi_job_runs counter\n"))
        #expect(text.contains("# TYPE taskfcgi_build info\n"))
        #expect(text.contains("# UNIT taskfcgi_task_lateness_seconds seconds\n"))
        #expect(Self.value(text, "taskfcgi_task_lateness_seconds_count") == 2)
        #expect(Self.value(text, "taskfcgi_task_lateness_seconds_sum") == 2)
        #expect(Self.value(text, #"taskfcgi_task_lateness_seconds_bucket{le="1.0"}"#) == 1)
        #expect(Self.value(text, #"taskfcgi_job_misfires_total{job="completeDueTasks"}"#) == 2)
    }

    @Test("label values are escaped; histograms add up across shards")
    func escapingAndShards() {
        var out = Exposition(format: .prometheus)
        out.gauge("g", "help", [([("l", "a\"b\\c\nd")], 1)])
        #expect(out.finished().contains(#"g{l="a\"b\\c\nd"} 1"#))
        let requests = RequestMetrics()
        let (one, two) = (requests.shard(), requests.shard())
        one.observe(route: Route.tasks.rawValue, status: 200, microseconds: 300)
        two.observe(route: Route.tasks.rawValue, status: 503, microseconds: 20_000_000)
        let merged = requests.merged()[Route.tasks.rawValue]
        #expect(merged.byClass[2] == 1 && merged.byClass[5] == 1)
        #expect(merged.duration.cumulative.first?.count == 1 && merged.duration.cumulative.last?.count == 2)
    }
}

/// `logFormat: "json"`: one object a line with the same events.
@Suite struct JSONLogTests {
    @Test("access and job lines are JSON objects with their fields; hostile text stays inside its string")
    func jsonLines() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let log = try Log(path: folder + "/log", level: .info, format: .json)
        log.access(method: "GET", target: "/tasks?x=\"\n", status: 200, bytes: 123, microseconds: 1500, clientGone: false)
        log.info("job:completeDueTasks", "completed 2 tasks", fields: [("job", .string("completeDueTasks")), ("affected", .int(2))])
        log.warning("main", "line\u{2028}break \u{1B}[31m")
        let lines = try String(contentsOfFile: folder + "/log", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects[0]["path"] as? String == "/tasks?x=\"\n" && objects[0]["status"] as? Int == 200)
        #expect(objects[0]["bytes"] as? Int == 123 && objects[0]["durationMs"] as? Double == 1.5)
        #expect(objects[0]["level"] as? String == "info" && objects[0]["source"] as? String == "http")
        #expect(objects[1]["affected"] as? Int == 2 && objects[1]["job"] as? String == "completeDueTasks")
        #expect(objects[2]["message"] as? String == "line\u{2028}break \u{1B}[31m")
        #expect(objects.allSatisfy { ($0["time"] as? String)?.hasSuffix("Z") == true })
    }
}
