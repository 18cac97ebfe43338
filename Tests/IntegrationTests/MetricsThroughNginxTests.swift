import Foundation
import Testing

extension IntegrationTests {
    /// `/metrics` scraped through nginx after a mixed load, checked by the parsers Prometheus users
    /// rely on: `promtool check metrics` for the text format and `prometheus_client`'s OpenMetrics
    /// parser, then the values against what the test sent.
    @Suite("Metrics through nginx", .enabled(if: Validators.shouldRun, "\(Validators.missing ?? "") (skipped; under CI=true this fails)"))
    struct MetricsThroughNginx {
        /// Parses an OpenMetrics scrape on stdin with prometheus_client and prints every sample as
        /// `name{label=value,…} value`, labels sorted; any parse error exits non-zero.
        static let parser = """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                    print(f"{s.name}{{{labels}}} {s.value}")
            """

        @Test("after a mixed load both formats parse, requests counted equal requests sent, lateness count equals completed tasks")
        func scrapeAfterMixedLoad() throws {
            let stack = try Stack()
            defer { stack.close() }
            // The load: form posts (due now and soon), list and detail pages, a 404, API reads and creates.
            var ids: [Int64] = []
            let now = nowMilliseconds()
            for index in 0..<6 {
                ids.append(try stack.createTask(title: "Metric \(index)", due: utcFormText(now - 60_000 + Int64(index) * 24_000)))
            }
            for _ in 0..<7 { #expect(try stack.http.get("/tasks").status == 200) }
            for id in ids.prefix(4) { #expect(try stack.http.get("/tasks/\(id)").status == 200) }
            #expect(try stack.http.get("/tasks/987654").status == 404)
            for _ in 0..<3 { #expect(try stack.http.get("/api/tasks").status == 200) }
            let body = Data(#"{"title":"From the API","due":"2020-01-01T00:00:00Z"}"#.utf8)
            #expect(try stack.http.request("POST", "/api/tasks", body: body, contentType: "application/json").status == 201)
            // Every task above is due within 90 s of the start; wait for the job to complete the due ones.
            let due = 1 + (0..<6).filter { now - 60_000 + Int64($0) * 24_000 <= nowMilliseconds() + 200 }.count
            #expect(waitUntil(5) { (try? stack.box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 1")) ?? 0 >= due },
                    "\(stack.diagnostics)")
            let completed = try stack.box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 1")

            let text = try stack.http.get("/metrics")
            #expect(text.status == 200 && text.header("content-type") == "text/plain; version=0.0.4; charset=utf-8", "\(text)")
            let promtool = try Validators.run(try #require(Validators.promtool), ["check", "metrics"], input: text.body, folder: stack.box.folder)
            #expect(promtool.status == 0, "promtool check metrics:\n\(promtool.output)\n\(text.body)")

            let open = try stack.http.get("/metrics", headers: ["Accept": "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5"])
            #expect(open.header("content-type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
            #expect(open.body.hasSuffix("# EOF\n"))
            let parsed = try Validators.run(try #require(Validators.python("python")), ["-c", Self.parser], input: open.body, folder: stack.box.folder)
            #expect(parsed.status == 0, "prometheus_client's OpenMetrics parser refused the scrape:\n\(parsed.output)\n\(open.body)")
            let samples = Dictionary(parsed.output.split(separator: "\n").compactMap { line -> (String, Double)? in
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
                return (String(line[..<space]), value)
            }, uniquingKeysWith: { $1 })
            #expect(samples["taskfcgi_http_requests_total{code=2xx,route=/tasks}"] == 7, "\(parsed.output)")
            #expect(samples["taskfcgi_http_requests_total{code=3xx,route=/tasks}"] == 6)
            #expect(samples["taskfcgi_http_requests_total{code=2xx,route=/tasks/{id}}"] == 4)
            #expect(samples["taskfcgi_http_requests_total{code=4xx,route=/tasks/{id}}"] == 1)
            #expect(samples["taskfcgi_http_requests_total{code=2xx,route=/api/tasks}"] == 4)
            #expect(samples["taskfcgi_http_request_duration_seconds_count{route=/tasks}"] == 13)
            // The first scrape is counted by the second.
            #expect(samples["taskfcgi_http_requests_total{code=2xx,route=/metrics}"] == 1)
            #expect(samples["taskfcgi_task_lateness_seconds_count{}"] == Double(completed), "\(parsed.output)")
            #expect(samples["taskfcgi_tasks{state=completed}"] == Double(completed))
            #expect(samples["taskfcgi_tasks{state=pending}"] == Double(7 - completed))
            #expect(samples["taskfcgi_job_lease_held{}"] == 1)
            #expect(samples["taskfcgi_job_lease_takeovers_total{}"] == 1)
            #expect((samples["taskfcgi_job_runs_total{job=completeDueTasks}"] ?? 0) >= 1)
            #expect(samples["taskfcgi_build_info{backend=sqlite,version=\(try workerVersion(stack))}"] == 1)
            #expect(samples["taskfcgi_request_threads_max{}"] == 4)
            #expect(samples["taskfcgi_accepted_connections_total{}"] == 24, "every request above, and the first scrape")
            let started = try #require(samples["process_start_time_seconds{}"])
            #expect(abs(started * 1000 - Double(now)) < 30_000)
        }

        /// The version the worker reports (`taskfcgi --version` prints `taskfcgi VERSION`).
        private func workerVersion(_ stack: Stack) throws -> String {
            let version = try ChildProcess.run("version", try Tools.taskfcgi(), ["--version"], folder: stack.box.folder)
            return version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "taskfcgi ", with: "")
        }

    }
}
