import Foundation
import Testing

extension IntegrationTests {
    /// The JSON API as a service reaches it: curl → nginx → the worker, every route, status and
    /// problem shape, idempotent retries and the cross-site refusal.
    @Suite("API through nginx")
    struct APIThroughNginx {
        static func json(_ response: HTTPResponse) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any], "\(response)")
        }

        static func send(_ stack: Stack, _ method: String, _ path: String, _ body: String? = nil,
                         headers: [String: String] = [:], contentType: String = "application/json") throws -> HTTPResponse {
            try stack.http.request(method, path, headers: headers, body: body.map { Data($0.utf8) }, contentType: body == nil ? nil : contentType)
        }

        /// Asserts an RFC 9457 problem with `status`.
        static func expectProblem(_ response: HTTPResponse, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
            #expect(response.header("content-type") == "application/problem+json", "\(response)", sourceLocation: sourceLocation)
            let problem = try json(response)
            #expect(problem["status"] as? Int == status && problem["type"] as? String == "about:blank"
                    && (problem["detail"] as? String)?.isEmpty == false, "\(response)", sourceLocation: sourceLocation)
        }

        @Test("create, list with Link, read, patch, delete; jobs and run now; every error as problem+json")
        func everyRoute() throws {
            let stack = try Stack(config: ["maxBodyBytes": 2048])
            defer { stack.close() }
            let created = try Self.send(stack, "POST", "/api/tasks", #"{"title":"Expire subscription 42","due":"2030-06-01T11:30:00+02:00"}"#)
            #expect(created.status == 201, "\(created)\n\(stack.diagnostics)")
            let task = try Self.json(created)
            let id = try #require(task["id"] as? Int)
            #expect(created.location == "/api/tasks/\(id)")
            #expect(task["due"] as? String == "2030-06-01T09:30:00.000Z")
            #expect(try stack.box.sql("SELECT title, due_at FROM tasks WHERE id = \(id)") == [["Expire subscription 42", "\(utcMilliseconds(2030, 6, 1, 9, 30))"]])

            let list = try stack.http.get("/api/tasks?status=pending")
            #expect(list.status == 200 && list.header("link")?.contains(#"rel="last""#) == true, "\(list)")
            #expect((try Self.json(list)["tasks"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id])
            #expect(try Self.json(try stack.http.get("/api/tasks/\(id)"))["title"] as? String == "Expire subscription 42")

            let patched = try Self.send(stack, "PATCH", "/api/tasks/\(id)", #"{"due":"2031-01-01T00:00:00Z"}"#)
            #expect(patched.status == 200, "\(patched)")
            #expect(try Self.json(patched)["due"] as? String == "2031-01-01T00:00:00.000Z")

            let jobs = try stack.http.get("/api/jobs")
            #expect(jobs.status == 200, "\(jobs)")
            let names = (try Self.json(jobs)["jobs"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["completeDueTasks", "purgeCompletedTasks"])
            #expect(waitUntil(5) { (try? Self.json(try stack.http.get("/api/jobs"))["holdsLease"] as? Bool) == true })
            let run = try Self.send(stack, "POST", "/api/jobs/completeDueTasks/run")
            #expect(run.status == 202, "\(run)")
            #expect(waitUntil(3) { stack.box.log.contains("[job:completeDueTasks]") && stack.box.log.contains("POST /api/jobs/completeDueTasks/run 202") })

            try Self.expectProblem(try Self.send(stack, "POST", "/api/tasks", #"{"title":"#), 400)
            try Self.expectProblem(try Self.send(stack, "POST", "/api/tasks", "title=a&due=b", contentType: "application/x-www-form-urlencoded"), 415)
            let invalid = try Self.send(stack, "POST", "/api/tasks", #"{"title":"","due":"tomorrow"}"#)
            try Self.expectProblem(invalid, 422)
            let errors = try Self.json(invalid)["errors"] as? [[String: String]] ?? []
            #expect(errors.map { $0["field"] ?? "" }.sorted() == ["due", "title"], "\(invalid)")
            try Self.expectProblem(try Self.send(stack, "POST", "/api/tasks", #"{"title":"\#(String(repeating: "x", count: 3000))"}"#), 413)
            try Self.expectProblem(try stack.http.get("/api/tasks/424242"), 404)
            let wrongMethod = try Self.send(stack, "PUT", "/api/tasks/\(id)", "{}")
            try Self.expectProblem(wrongMethod, 405)
            #expect(wrongMethod.header("allow") == "GET, HEAD, PATCH, DELETE")
            try Self.expectProblem(try Self.send(stack, "POST", "/api/jobs/nope/run"), 404)

            _ = try Self.send(stack, "POST", "/api/tasks", #"{"title":"Past","due":"2020-01-01T00:00:00Z"}"#)
            #expect(waitUntil(3) { (try? stack.box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 1")) == 1 })
            let completedID = try stack.box.sqlInt("SELECT id FROM tasks WHERE completed = 1")
            try Self.expectProblem(try Self.send(stack, "PATCH", "/api/tasks/\(completedID)", #"{"title":"x"}"#), 409)

            #expect(try Self.send(stack, "DELETE", "/api/tasks/\(id)").status == 204)
            try Self.expectProblem(try Self.send(stack, "DELETE", "/api/tasks/\(id)"), 404)
        }

        @Test("a busy database answers 503 problem+json with Retry-After")
        func busy() throws {
            let stack = try Stack(config: ["busyTimeout": "250ms"])
            defer { stack.close() }
            let lock = try WriteLockHolder(database: stack.box.databasePath, uncommittedTitle: "held")
            let response = try Self.send(stack, "POST", "/api/tasks", #"{"title":"Blocked","due":"2030-01-01T00:00:00Z"}"#)
            try lock.release()
            try Self.expectProblem(response, 503)
            #expect(response.header("retry-after") == "5")
        }

        @Test("an Idempotency-Key retried 10 times creates one task; a cross-site JSON POST creates none")
        func idempotencyAndCrossSite() throws {
            let stack = try Stack()
            defer { stack.close() }
            let body = #"{"title":"Close workflow step 7","due":"2030-01-01T00:00:00Z"}"#
            let answers = try (0..<10).map { _ in
                try Self.send(stack, "POST", "/api/tasks", body, headers: ["Idempotency-Key": "step-7-close"])
            }
            #expect(answers.allSatisfy { $0.status == 201 }, "\(answers)")
            #expect(Set(answers.map(\.body)).count == 1 && Set(answers.compactMap(\.location)).count == 1)
            #expect(try stack.box.sqlInt("SELECT count(*) FROM tasks") == 1)

            for headers in [["Sec-Fetch-Site": "cross-site"], ["Origin": "https://evil.example"]] {
                try Self.expectProblem(try Self.send(stack, "POST", "/api/tasks", #"{"title":"Evil","due":"2030-01-01T00:00:00Z"}"#, headers: headers), 403)
            }
            // What a cross-site page can send without a preflight: a "simple" content type.
            try Self.expectProblem(try Self.send(stack, "POST", "/api/tasks", #"{"title":"Evil","due":"2030-01-01T00:00:00Z"}"#,
                                                 contentType: "text/plain"), 415)
            #expect(try stack.box.sqlInt("SELECT count(*) FROM tasks") == 1)
        }

        @Test("logFormat json: every line of a mixed run, across a SIGHUP reopen, is one JSON object with its fields")
        func jsonLog() throws {
            let stack = try Stack(config: ["logFormat": "json"])
            defer { stack.close() }
            _ = try stack.createTask(title: "Log \"quoted\" \\ back", due: utcFormText(nowMilliseconds() - 1000))
            _ = try stack.http.get("/tasks?q=%0A%1B")
            _ = try Self.send(stack, "POST", "/api/tasks", #"{"title":"x"}"#)
            #expect(waitUntil(3) { stack.box.log.contains("\"job\":\"completeDueTasks\"") }, "\(stack.diagnostics)")
            try FileManager.default.moveItem(atPath: stack.box.logPath, toPath: stack.box.logPath + ".1")
            stack.worker.send(SIGHUP)
            #expect(waitUntil(3) { FileManager.default.fileExists(atPath: stack.box.logPath) && stack.box.log.contains("reopened") })
            _ = try stack.http.get("/healthz")
            #expect(waitUntil(3) { stack.box.log.contains("/healthz") })
            let lines = (Sandbox.read(stack.box.logPath + ".1") + stack.box.log).split(separator: "\n")
            var objects: [[String: Any]] = []
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object != nil, "not a JSON object: \(line)")
                if let object { objects.append(object) }
            }
            #expect(objects.allSatisfy { $0["time"] is String && $0["level"] is String && $0["source"] is String && $0["message"] is String })
            let access = objects.filter { $0["source"] as? String == "http" && $0["method"] != nil }
            #expect(access.count == 4, "\(lines)")
            #expect(access.contains { $0["path"] as? String == "/tasks?q=%0A%1B" && $0["status"] as? Int == 200 && $0["bytes"] is Int && $0["durationMs"] is Double })
            #expect(access.contains { $0["path"] as? String == "/api/tasks" && $0["status"] as? Int == 422 })
            let jobLines = objects.filter { $0["job"] as? String == "completeDueTasks" }
            #expect(jobLines.allSatisfy { $0["affected"] is Int && $0["durationMs"] is Double && $0["source"] as? String == "job:completeDueTasks" })
            #expect(jobLines.contains { $0["affected"] as? Int == 1 }, "\(lines)")
        }
    }
}
