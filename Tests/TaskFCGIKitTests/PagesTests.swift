import Testing
@testable import TaskFCGIKit

/// What pages show: escaping of user input, error pages (and their log lines), date texts.
@Suite struct PagesTests {
    typealias Web = UnitWebFixture

    private static let evil = #"<script>alert("x")</script> & 'q'"#
    private static let evilEscaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"
    /// The evil title, urlencoded as a browser posts it.
    private static let evilEncoded = "%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E+%26+%27q%27"

    private func expectOnlyEscaped(_ page: String, sourceLocation: SourceLocation = #_sourceLocation) {
        // Every page carries the worker's own script file; nothing else may be a script.
        let page = page.replacing(Layout.scriptElement, with: "")
        #expect(page.contains(Self.evilEscaped), sourceLocation: sourceLocation)
        #expect(!page.contains("<script"), sourceLocation: sourceLocation)
        #expect(!page.contains("</script"), sourceLocation: sourceLocation)
        #expect(!page.contains(#"alert("x")"#), sourceLocation: sourceLocation)
        #expect(!page.contains("'q'"), sourceLocation: sourceLocation)
        #expect(!page.contains(" & "), sourceLocation: sourceLocation)
    }

    // MARK: Escaping

    @Test func titleIsEscapedInListDetailAndEdit() throws {
        let web = try Web()
        let created = web.post("/tasks", "title=\(Self.evilEncoded)&due=2026-11-25T09%3A15")
        #expect(created.status == 303)
        let id = try #require(Web.redirectedID(created))
        #expect(try web.store.task(id: id)?.title == Self.evil) // stored as typed

        let list = Web.body(web.get("/tasks"))
        expectOnlyEscaped(list)
        #expect(Web.listTitles(list) == [Self.evilEscaped])

        let detail = Web.body(web.get("/tasks/\(id)"))
        expectOnlyEscaped(detail)
        #expect(detail.contains("<title>\(Self.evilEscaped) · TaskFCGI</title>"))
        #expect(detail.contains("<h1>\(Self.evilEscaped)</h1>"))

        let edit = Web.body(web.get("/tasks/\(id)/edit"))
        expectOnlyEscaped(edit)
        let title = try #require(Web.input(named: "title", in: edit))
        #expect(Web.attribute("value", of: title) == Self.evilEscaped)
    }

    @Test func keptInputIsEscapedInTheRerenderedForm() throws {
        let web = try Web()
        // A bad due date keeps the evil title; the evil due text cannot be a datetime-local
        // value (HTML forbids it, browsers drop it), so the field comes back empty.
        let response = web.post("/tasks", "title=\(Self.evilEncoded)&due=%22%3E%3Cscript%3E")
        #expect(response.status == 422)
        let page = Web.body(response)
        expectOnlyEscaped(page)
        #expect(Web.attribute("value", of: try #require(Web.input(named: "title", in: page))) == Self.evilEscaped)
        #expect(Web.attribute("value", of: try #require(Web.input(named: "due", in: page))) == "")
        #expect(try web.allTasks().isEmpty)

        // The same on the edit form.
        let task = try web.task("Plain", due: utc(2026, 11, 25))
        let update = web.post("/tasks/\(task.id)", "title=\(Self.evilEncoded)&due=nope")
        #expect(update.status == 422)
        expectOnlyEscaped(Web.body(update))
        #expect(try web.store.task(id: task.id) == task)
    }

    @Test func nulInKeptInputIsReplaced() throws {
        let web = try Web()
        let response = web.post("/tasks", "title=a%00b&due=2026-11-25T09%3A15")
        #expect(response.status == 422)
        #expect(!response.body.contains(0))
        #expect(Web.attribute("value", of: try #require(Web.input(named: "title", in: Web.body(response)))) == "a\u{FFFD}b")
    }

    @Test func errorMessagesEscapeWhatTheUserSent() throws {
        let web = try Web()
        let response = web.get("/tasks?status=%3Cb%3Ex%3C%2Fb%3E")
        #expect(response.status == 400)
        let page = Web.body(response)
        #expect(page.contains("Unknown status filter “&lt;b&gt;x&lt;/b&gt;”"))
        #expect(!page.contains("<b>"))
        let origin = web.post("/tasks", "title=a&due=2026-11-25T09%3A15",
                              headers: ["origin": "http://<i>evil</i>.example", "host": "tasks.example"])
        #expect(origin.status == 403)
        #expect(Web.body(origin).contains("http://&lt;i&gt;evil&lt;/i&gt;.example"))
        #expect(!Web.body(origin).contains("<i>"))
    }

    @Test func htmlEscapeOnItsOwn() {
        #expect(HTML.escape(Self.evil) == Self.evilEscaped)
        #expect(HTML.escape("plain über € 😀") == "plain über € 😀")
        #expect(HTML.escape("a\u{0}b") == "a\u{FFFD}b")
        #expect(HTML.escape("") == "")
    }

    // MARK: Error pages

    @Test func busyDatabaseIs503WithRetryAfter() throws {
        let web = try Web()
        let request = Request(method: "POST", path: "/tasks")
        let busy = SQLiteError(code: 5, message: "database is locked", sql: nil)
        let response = ErrorPages.response(for: busy, request: request, requestID: { "busy-id" }, log: web.log)
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        let page = Web.body(response)
        #expect(page.contains("<h1>503 Service Unavailable</h1>"))
        #expect(page.contains("The database is busy with other work right now. Nothing was changed; please try again in a moment."))
        #expect(!page.contains("database is locked"))
        let lines = try web.logLines()
        #expect(lines.count == 1)
        #expect(lines.first?.contains("WARN  [http] POST /tasks: database unavailable: SQLite error 5: database is locked") == true)

        // Extended codes (SQLITE_BUSY_SNAPSHOT = 517) and SQLITE_LOCKED (6) count as busy too.
        for code: Int32 in [517, 6] {
            let extended = SQLiteError(code: code, message: "busy", sql: "UPDATE tasks SET x = 1")
            let other = ErrorPages.response(for: extended, request: request, requestID: { "x" }, log: web.log)
            #expect(other.status == 503)
            #expect(other.header("Retry-After") == "5")
        }
    }

    @Test func readOnlyDatabaseIs503() throws {
        let web = try Web()
        let readOnly = SQLiteError(code: 8, message: "attempt to write a readonly database", sql: nil)
        let response = ErrorPages.response(for: readOnly, request: Request(method: "POST", path: "/tasks"),
                                           requestID: { "ro" }, log: web.log)
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
        #expect(Web.body(response).contains("The database is read-only right now"))
    }

    private struct Boom: Error, CustomStringConvertible {
        var description: String { "secret internals: table tasks is on fire" }
    }

    @Test func genericErrorIs500WithTheRequestIDOnly() throws {
        let web = try Web()
        let request = Request(method: "GET", path: "/tasks/7")
        let response = ErrorPages.response(for: Boom(), request: request, requestID: { "5f3a9c01d2e" }, log: web.log)
        #expect(response.status == 500)
        #expect(response.header("Retry-After") == nil)
        let page = Web.body(response)
        #expect(page.contains("<h1>500 Internal Server Error</h1>"))
        #expect(page.contains("give the operator this request id: 5f3a9c01d2e."))
        #expect(!page.contains("secret"))
        #expect(!page.contains("fire"))
        let lines = try web.logLines()
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.contains("ERROR [http]"))
        #expect(line.contains("request 5f3a9c01d2e"))
        #expect(line.contains("GET /tasks/7 failed"))
        #expect(line.contains("secret internals: table tasks is on fire"))
    }

    @Test func httpErrorKeepsItsStatusMessageAndHeaders() throws {
        let web = try Web()
        let error = HTTPError.methodNotAllowed(["GET", "HEAD"])
        let response = ErrorPages.response(for: error, request: Request(method: "PUT", path: "/"),
                                           requestID: { Issue.record("no id for an HTTPError"); return "" }, log: web.log)
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD")
        #expect(response.header("Cache-Control") == "no-store")
        #expect(Web.body(response).contains("It accepts GET, HEAD."))
        #expect(try web.logLines().isEmpty)
    }

    @Test func storageFailureInAHandlerIs500AndLogged() throws {
        let web = try Web()
        try web.store.db.execute("DROP TABLE tasks")
        let response = web.get("/tasks")
        #expect(response.status == 500)
        let page = Web.body(response)
        let message = try #require(Web.errorMessage(page))
        let prefix = "Something went wrong on our side. If it keeps happening, give the operator this request id: "
        #expect(message.hasPrefix(prefix))
        let id = String(message.dropFirst(prefix.count).dropLast()) // the trailing "."
        #expect(id.count >= 10 && id.allSatisfy(\.isHexDigit))
        #expect(!page.contains("no such table"))
        let lines = try web.logLines()
        #expect(lines.count == 1)
        #expect(lines.first?.contains("request \(id)") == true)
        #expect(lines.first?.contains("no such table: tasks") == true)

        // Each failure gets its own id.
        let again = try #require(Web.errorMessage(Web.body(web.get("/tasks"))))
        #expect(again != message)
        #expect(try web.logLines().count == 2)
    }

    @Test func lockedDatabaseInAHandlerIs503() throws {
        let web = try Web(busyTimeoutMilliseconds: 20)
        let other = try Connection(location: web.databasePath)
        try other.execute("BEGIN IMMEDIATE") // holds the write lock
        let response = web.post("/tasks", "title=Blocked&due=2026-11-25T09%3A15")
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
        #expect(Web.body(response).contains("The database is busy"))
        #expect(web.notified.count == 0)
        // Reading still works while another connection writes (WAL).
        #expect(web.get("/tasks").status == 200)
        try other.execute("ROLLBACK")
        #expect(web.post("/tasks", "title=Unblocked&due=2026-11-25T09%3A15").status == 303)
        #expect(try web.allTasks().map(\.title) == ["Unblocked"])
    }

    @Test func errorPagesLinkBackToTheList() {
        let page = Web.body(ErrorPages.page(404, "Gone."))
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<h1>404 Not Found</h1><p>Gone.</p><p><a href=\"/tasks\">Go to the task list</a></p>"))
        #expect(page.contains("<title>Not Found · TaskFCGI</title>"))
    }

    // MARK: DateText

    @Test func displayInBerlinWinterAndSummer() throws {
        let berlin = try #require(Zone(identifier: "Europe/Berlin"))
        #expect(DateText.display(utc(2026, 11, 24, 20, 30), in: berlin) == "Tue 24 Nov 2026, 21:30 CET")
        #expect(DateText.display(utc(2026, 7, 14, 10, 5), in: berlin) == "Tue 14 Jul 2026, 12:05 CEST")
        // Seconds only when not zero; the day rolls over at local midnight.
        #expect(DateText.display(utc(2026, 7, 14, 22, 0, 9), in: berlin) == "Wed 15 Jul 2026, 00:00:09 CEST")
        #expect(DateText.display(utc(2026, 12, 31, 23, 0), in: berlin) == "Fri 1 Jan 2027, 00:00 CET")
        // Both sides of the autumn overlap read 02:30, told apart by the abbreviation.
        #expect(DateText.display(utc(2026, 10, 25, 0, 30), in: berlin) == "Sun 25 Oct 2026, 02:30 CEST")
        #expect(DateText.display(utc(2026, 10, 25, 1, 30), in: berlin) == "Sun 25 Oct 2026, 02:30 CET")
        let utcZone = try #require(Zone(identifier: "UTC"))
        #expect(DateText.display(utc(2026, 11, 24, 20, 30), in: utcZone) == "Tue 24 Nov 2026, 20:30 UTC")
    }

    @Test func spans() {
        #expect(DateText.span(.milliseconds(250)) == "250 ms")
        #expect(DateText.span(.seconds(90)) == "90 s")
        #expect(DateText.span(.minutes(-5)) == "5 min")
        #expect(DateText.span(.hours(3)) == "3 h")
        #expect(DateText.span(.days(4)) == "4 days")
    }
}
