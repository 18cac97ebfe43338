import Foundation
import Testing

extension IntegrationTests {
    /// The app as a user reaches it: curl → real nginx (Debian's stock fastcgi_params) → unix socket
    /// → the real worker → a real SQLite file.
    @Suite("Through nginx")
    struct ThroughNginx {
        @Test("GET / redirects to /tasks; the list answers 200 with HTML")
        func rootRedirectsToTheList() throws {
            let stack = try Stack()
            defer { stack.close() }
            let root = try stack.http.get("/")
            #expect(root.status == 303, "\(root)\n\(stack.diagnostics)")
            #expect(root.location == "/tasks")
            let list = try stack.http.get("/tasks")
            #expect(list.status == 200)
            #expect(list.header("content-type")?.hasPrefix("text/html") == true)
            #expect(list.body.contains("<h1>Tasks</h1>"))
            #expect(waitUntil(3) { stack.box.log.contains("[http] GET / 303") }, "\(stack.diagnostics)")
            let health = try stack.http.get("/healthz")
            #expect(health.status == 200 && health.body == "ok\n", "\(health)")
        }

        @Test("POST /tasks → 303 to /tasks/ID → the detail page shows the title, escaped")
        func createThenShow() throws {
            let stack = try Stack()
            defer { stack.close() }
            let title = "Buy milk & \"eggs\" <today>"
            let id = try stack.createTask(title: title, due: "2030-06-01T09:30")
            let detail = try stack.http.get("/tasks/\(id)")
            #expect(detail.status == 200, "\(detail)")
            #expect(detail.body.contains("<h1>Buy milk &amp; &quot;eggs&quot; &lt;today&gt;</h1>"), "\(detail)")
            #expect(detail.body.contains("Sat 1 Jun 2030, 09:30"), "\(detail)")
            let rows = try stack.box.sql("SELECT title, due_at, completed FROM tasks WHERE id = \(id)")
            #expect(rows == [[title, "\(utcMilliseconds(2030, 6, 1, 9, 30))", "0"]])
        }

        @Test("a task due in 2 s is shown completed within 3 s; the job and access lines share the log")
        func dueTaskCompletesAndShowsCompleted() throws {
            let stack = try Stack()
            defer { stack.close() }
            // Whole seconds, as the form sends them: due 1–2 s from now.
            let due = (nowMilliseconds() + 2000) / 1000 * 1000
            let posted = monotonicSeconds()
            let id = try stack.createTask(title: "Due soon", due: utcFormText(due))
            let before = try stack.http.get("/tasks/\(id)")
            if nowMilliseconds() < due - 100 {
                #expect(before.body.contains("<span class=\"pending\">pending</span>"), "\(before)")
            }

            var list = try stack.http.get("/tasks")
            let completed = try waitUntil(3 - (monotonicSeconds() - posted), every: 0.1) {
                list = try stack.http.get("/tasks")
                return list.body.contains("<span class=\"completed\">completed</span>")
            }
            #expect(completed, "not shown completed within 3 s:\n\(list)\n\(stack.diagnostics)")
            #expect(list.body.contains("Completed (1)"))

            let row = try stack.box.sql("SELECT due_at, action_at FROM tasks WHERE id = \(id)").first ?? []
            #expect(row.first == "\(due)")
            if row.count == 2, let action = Int64(row[1]) {
                #expect(action >= due && action - due <= 1000, "completed \(action - due) ms after due")
            } else {
                Issue.record("no action_at: \(row)")
            }
            let log = stack.box.log
            #expect(log.contains("[job:completeDueTasks] completed 1 task"), "\(stack.diagnostics)")
            #expect(log.contains("[http] POST /tasks 303"), "\(stack.diagnostics)")
            #expect(log.contains("[http] GET /tasks 200"), "\(stack.diagnostics)")
        }

        @Test("422 keeps the input: an empty title, an impossible date")
        func validationKeepsTheInput() throws {
            let stack = try Stack()
            defer { stack.close() }

            let empty = try stack.http.post("/tasks", form: [("title", ""), ("due", "2030-01-01T10:00")])
            #expect(empty.status == 422, "\(empty)")
            #expect(empty.body.contains("Enter a title."))
            #expect(inputValue(empty.body, name: "title") == "")
            #expect(inputValue(empty.body, name: "due") == "2030-01-01T10:00")

            let blank = try stack.http.post("/tasks", form: [("title", "   "), ("due", "2030-01-01T10:00")])
            #expect(blank.status == 422, "\(blank)")
            #expect(blank.body.contains("Enter a title."))
            #expect(inputValue(blank.body, name: "title") == "   ")

            let badDate = try stack.http.post("/tasks", form: [("title", "Pay rent"), ("due", "2026-02-30T10:00")])
            #expect(badDate.status == 422, "\(badDate)")
            #expect(inputValue(badDate.body, name: "title") == "Pay rent")
            // Not a date a datetime-local field can hold, so not echoed into it (HTML forbids it).
            #expect(inputValue(badDate.body, name: "due") == "")
            #expect(badDate.body.contains("id=\"due-error\""))
            #expect(!badDate.body.contains("Enter a title."))

            let garbage = try stack.http.post("/tasks", form: [("title", "x"), ("due", "\"><script>alert(1)</script>")])
            #expect(garbage.status == 422)
            #expect(inputValue(garbage.body, name: "due") == "")
            #expect(!garbage.body.contains("<script>"))

            #expect(try stack.box.taskCount() == 0, "a refused form stored a task")
            #expect(stack.box.log.contains("[http] POST /tasks 422"))
        }

        @Test("a <script> title is shown escaped on every page, never raw")
        func scriptTitleIsEscaped() throws {
            let stack = try Stack()
            defer { stack.close() }
            let title = "<script>alert(1)</script>"
            let id = try stack.createTask(title: title, due: "2030-01-01T10:00")
            let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
            for path in ["/tasks/\(id)", "/tasks", "/tasks/\(id)/edit"] {
                let page = try stack.http.get(path)
                #expect(page.status == 200, "\(path): \(page)")
                #expect(page.body.contains(escaped), "\(path) does not show the escaped title")
                // The page's own script file is the one script element allowed.
                #expect(!page.body.replacingOccurrences(of: "<script src=\"/assets/live.", with: "").contains("<script"), "\(path) contains a raw <script")
                #expect(page.header("content-security-policy")?.contains("default-src 'none'") == true, "\(path)")
            }
            #expect(try stack.box.sql("SELECT title FROM tasks") == [[title]], "the title must be stored as typed")
        }

        @Test("413: nginx refuses a 2 MiB body; the worker refuses one above maxBodyBytes that nginx let through")
        func bodyLimits() throws {
            let stack = try Stack(config: ["maxBodyBytes": 4096], clientMaxBodySize: "1m")
            defer { stack.close() }

            let huge = Data(("title=" + String(repeating: "a", count: 2 * 1024 * 1024) + "&due=2030-01-01T10:00").utf8)
            let byNginx = try stack.http.request("POST", "/tasks", body: huge, contentType: "application/x-www-form-urlencoded")
            #expect(byNginx.status == 413, "\(byNginx)")
            #expect(byNginx.body.contains("nginx"), "expected nginx's own 413 page: \(byNginx)")

            let large = Data(("title=" + String(repeating: "b", count: 10 * 1024) + "&due=2030-01-01T10:00").utf8)
            let byWorker = try stack.http.request("POST", "/tasks", body: large, contentType: "application/x-www-form-urlencoded")
            #expect(byWorker.status == 413, "\(byWorker)\n\(stack.diagnostics)")
            #expect(byWorker.body.contains("at most 4096"), "expected the worker's 413 page: \(byWorker)")
            // Far above the limit (the worker drains at most 8 × maxBodyBytes, then stops reading):
            // still a clean 413, not a 502.
            let larger = Data(("title=" + String(repeating: "c", count: 900 * 1024) + "&due=2030-01-01T10:00").utf8)
            let byWorkerAgain = try stack.http.request("POST", "/tasks", body: larger, contentType: "application/x-www-form-urlencoded")
            #expect(byWorkerAgain.status == 413, "\(byWorkerAgain)\n\(stack.diagnostics)")
            // Only the last two reached the worker.
            let lines = AccessLine.all(in: stack.box.log).filter { $0.method == "POST" }
            #expect(lines == Array(repeating: AccessLine(method: "POST", target: "/tasks", status: 413), count: 2),
                    "\(stack.diagnostics)")

            // The worker still serves normally after draining the oversized body.
            _ = try stack.createTask(title: "small", due: "2030-01-01T10:00")
            #expect(try stack.box.taskCount() == 1)
        }

        @Test("403 for cross-site posts; same-origin posts pass with Debian's stock fastcgi_params")
        func crossSitePostsAreRefused() throws {
            let stack = try Stack()
            defer { stack.close() }
            let form = [("title", "forged"), ("due", "2030-01-01T10:00")]
            let refused: [(String, [String: String])] = [
                ("Sec-Fetch-Site: cross-site", ["Sec-Fetch-Site": "cross-site"]),
                ("Sec-Fetch-Site: same-site", ["Sec-Fetch-Site": "same-site"]),
                ("Origin: http://evil.example", ["Origin": "http://evil.example"]),
                ("Origin on another port", ["Origin": "http://127.0.0.1:\(stack.nginx.port == 1 ? 2 : 1)"]),
                ("cross-site with a same-origin Origin", ["Sec-Fetch-Site": "cross-site", "Origin": stack.http.origin]),
            ]
            for (label, headers) in refused {
                let response = try stack.http.post("/tasks", form: form, headers: headers)
                #expect(response.status == 403, "\(label): \(response)")
            }
            #expect(try stack.box.taskCount() == 0, "a refused post stored a task")

            let sameOrigin = try stack.http.post("/tasks", form: [("title", "mine"), ("due", "2030-01-01T10:00")],
                                                 headers: ["Origin": stack.http.origin])
            #expect(sameOrigin.status == 303, "Origin \(stack.http.origin): \(sameOrigin)\n\(stack.diagnostics)")
            let browser = try stack.http.post("/tasks", form: [("title", "mine too"), ("due", "2030-01-01T10:00")],
                                              headers: ["Origin": stack.http.origin, "Sec-Fetch-Site": "same-origin"])
            #expect(browser.status == 303, "\(browser)")
            // Cross-site GETs are fine: only state changes are refused.
            let get = try stack.http.get("/tasks", headers: ["Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"])
            #expect(get.status == 200)
            #expect(try stack.box.taskCount() == 2)
        }

        @Test("404 for unknown tasks and paths, 405 with Allow, HEAD without a body")
        func notFoundMethodNotAllowedAndHead() throws {
            let stack = try Stack()
            defer { stack.close() }
            for path in ["/tasks/abc", "/tasks/0", "/tasks/99999999999999999999", "/tasks/123", "/nope", "/tasks/-1"] {
                let response = try stack.http.get(path)
                #expect(response.status == 404, "\(path): \(response)")
            }
            let delete = try stack.http.request("DELETE", "/tasks")
            #expect(delete.status == 405, "\(delete)")
            #expect(delete.header("allow") == "GET, HEAD, POST", "\(delete)")

            let head = try stack.http.raw("HEAD /tasks HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(head.hasPrefix("HTTP/1.1 200 "), "\(head)")
            let parts = head.components(separatedBy: "\r\n\r\n")
            #expect(parts.count == 2 && parts[1].isEmpty, "HEAD sent a body: \(head)")
            #expect(waitUntil(3) { stack.box.log.contains("[http] HEAD /tasks 200") }, "\(stack.diagnostics)")
            #expect(try stack.box.taskCount() == 0)
        }

        @Test("edit (POST /tasks/ID) and delete (POST /tasks/ID/delete)")
        func editThenDelete() throws {
            let stack = try Stack()
            defer { stack.close() }
            let id = try stack.createTask(title: "Old title", due: "2030-01-01T10:00")
            let form = try stack.http.get("/tasks/\(id)/edit")
            #expect(form.status == 200)
            #expect(inputValue(form.body, name: "title") == "Old title")
            #expect(inputValue(form.body, name: "due") == "2030-01-01T10:00")

            let edited = try stack.http.post("/tasks/\(id)", form: [("title", "New title"), ("due", "2031-05-06T07:08")])
            #expect(edited.status == 303, "\(edited)")
            #expect(edited.location == "/tasks/\(id)")
            let detail = try stack.http.get("/tasks/\(id)")
            #expect(detail.body.contains("<h1>New title</h1>"), "\(detail)")
            #expect(!detail.body.contains("Old title"))
            #expect(try stack.box.sql("SELECT title, due_at FROM tasks WHERE id = \(id)")
                    == [["New title", "\(utcMilliseconds(2031, 5, 6, 7, 8))"]])

            let invalid = try stack.http.post("/tasks/\(id)", form: [("title", ""), ("due", "2031-05-06T07:08")])
            #expect(invalid.status == 422)
            #expect(try stack.box.sql("SELECT title FROM tasks WHERE id = \(id)") == [["New title"]])

            let deleted = try stack.http.post("/tasks/\(id)/delete", form: [])
            #expect(deleted.status == 303, "\(deleted)")
            #expect(deleted.location == "/tasks")
            #expect(try stack.http.get("/tasks/\(id)").status == 404)
            #expect(try stack.http.post("/tasks/\(id)/delete", form: []).status == 404)
            #expect(try stack.http.post("/tasks/\(id)", form: [("title", "ghost"), ("due", "2031-05-06T07:08")]).status == 404)
            #expect(try stack.box.taskCount() == 0)
        }
    }
}
