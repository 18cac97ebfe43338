import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

// MARK: - Shared fixture for RouterTests, FormTests, CrossOriginTests and PagesTests

/// The web app as the server runs it (`App.handler`: routing plus the one error-to-page place),
/// over a real migrated SQLite file in its own temp folder, a settable clock, Europe/Berlin and a
/// log file. No sockets: requests are plain `Request` values.
final class UnitWebFixture {
    /// A wall clock that reads whatever the test set.
    final class Clock: WallClock {
        private let current: Mutex<Instant>
        init(_ instant: Instant) { current = Mutex(instant) }
        func now() -> Instant { current.withLock { $0 } }
        func set(_ instant: Instant) { current.withLock { $0 = instant } }
    }

    /// Counts calls from any thread (for `notifyJobs`).
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func increment() { _ = value.add(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    /// 2026-11-24 12:00 UTC, 13:00 in Berlin (CET).
    static let defaultNow = utc(2026, 11, 24, 12)

    let folder: String
    let databasePath: String
    let logPath: String
    let store: SQLiteTaskStore
    let clock: Clock
    let zone: Zone
    let log: Log
    let notified = Counter()
    let context: AppContext
    let handler: (Request) -> Response

    init(_ label: String = #function, now: Instant = UnitWebFixture.defaultNow,
         busyTimeoutMilliseconds: Int32 = 5000, jobs: (any JobsView)? = nil, operators: OperatorGate? = nil) throws {
        folder = try makeTempFolder("web-" + label)
        databasePath = folder + "/tasks.db"
        logPath = folder + "/taskfcgi.log"
        clock = Clock(now)
        let db = try Connection(location: databasePath, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        try Schema.migrate(db, now: now)
        store = SQLiteTaskStore(db)
        zone = try #require(Zone(identifier: "Europe/Berlin"))
        log = try Log(path: logPath, level: .debug, clock: clock)
        let notified = self.notified
        context = AppContext(store: store, jobStore: SQLiteJobStore(db), zone: zone, clock: clock, log: log, jobs: jobs,
                             operators: operators, notifyJobs: { _ in notified.increment() })
        handler = App.handler(context)
    }

    deinit { removeFolder(folder) }

    // MARK: Requests

    /// Sends `method target` (the target may carry `?query`).
    /// The client is 127.0.0.1 unless given, as behind the shipped nginx on the same machine.
    func send(_ method: String, _ target: String, headers: [String: String] = [:], serverPort: String? = nil,
              body: [UInt8] = [], remoteAddress: String? = "127.0.0.1") -> Response {
        let (path, query): (String, String)
        if let mark = target.firstIndex(of: "?") {
            (path, query) = (String(target[..<mark]), String(target[target.index(after: mark)...]))
        } else {
            (path, query) = (target, "")
        }
        return handler(Request(method: method, path: path, query: query, headers: headers,
                               serverPort: serverPort, body: body, remoteAddress: remoteAddress))
    }

    func get(_ target: String, headers: [String: String] = [:]) -> Response {
        send("GET", target, headers: headers)
    }

    /// Posts an urlencoded body as a browser does from our own page.
    func post(_ target: String, _ body: String,
              headers: [String: String] = ["sec-fetch-site": "same-origin", "host": "tasks.example"],
              contentType: String? = "application/x-www-form-urlencoded") -> Response {
        var headers = headers
        if let contentType { headers["content-type"] = contentType }
        return send("POST", target, headers: headers, body: Array(body.utf8))
    }

    // MARK: Data

    /// Stores a pending task directly.
    @discardableResult
    func task(_ title: String, due: Instant) throws -> TaskItem {
        try store.create(title: title, due: due, now: clock.now())
    }

    /// Stores a task and lets the job complete it (due an hour ago, completed now).
    @discardableResult
    func completedTask(_ title: String) throws -> TaskItem {
        let created = try store.create(title: title, due: clock.now().adding(.hours(-1)), now: clock.now())
        _ = try store.completeDue(now: clock.now(), batchSize: 100)
        return try #require(try store.task(id: created.id))
    }

    func allTasks() throws -> [TaskItem] { try store.list(.all, limit: 1000, offset: 0) }

    /// The log file's lines.
    func logLines() throws -> [String] {
        let text = try String(contentsOfFile: logPath, encoding: .utf8)
        return text.split(separator: "\n").map(String.init)
    }

    // MARK: Reading responses

    static func body(_ response: Response) -> String { String(decoding: response.body, as: UTF8.self) }

    /// The `<input …>` tag whose name is `name`.
    static func input(named name: String, in html: String) -> String? {
        guard let regex = try? Regex("<input[^>]*\\bname=\"" + name + "\"[^>]*>"),
              let match = html.firstMatch(of: regex) else { return nil }
        return String(html[match.range])
    }

    /// The value of attribute `attribute` in a tag (still HTML-escaped).
    static func attribute(_ attribute: String, of tag: String) -> String? {
        guard let regex = try? Regex(" " + attribute + "=\"([^\"]*)\""),
              let match = tag.firstMatch(of: regex), let value = match.output[1].substring else { return nil }
        return String(value)
    }

    /// The task titles in a list page's table, in order (still HTML-escaped).
    static func listTitles(_ html: String) -> [String] {
        html.components(separatedBy: "<tr><td><a href=\"/tasks/").dropFirst().compactMap { cell in
            guard let start = cell.range(of: "\">"), let end = cell.range(of: "</a>") else { return nil }
            return String(cell[start.upperBound..<end.lowerBound])
        }
    }

    /// The message paragraph of an error page (`ErrorPages.page`).
    static func errorMessage(_ html: String) -> String? {
        guard let heading = html.range(of: "</h1><p>"),
              let end = html.range(of: "</p>", range: heading.upperBound..<html.endIndex) else { return nil }
        return String(html[heading.upperBound..<end.lowerBound])
    }

    /// The id a redirect to `/tasks/{id}` names.
    static func redirectedID(_ response: Response) -> Int64? {
        guard let location = response.header("Location"), location.hasPrefix("/tasks/") else { return nil }
        return Int64(location.dropFirst("/tasks/".count))
    }
}

// MARK: - Routes and statuses

@Suite struct RouterTests {
    typealias Web = UnitWebFixture
    private let html = "text/html; charset=utf-8"

    // MARK: / and /healthz

    @Test func rootRedirectsToTheList() throws {
        let web = try Web()
        for method in ["GET", "HEAD"] {
            let response = web.send(method, "/")
            #expect(response.status == 303)
            #expect(response.header("Location") == "/tasks")
        }
    }

    @Test func healthzSaysOK() throws {
        let web = try Web()
        let response = web.get("/healthz")
        #expect(response.status == 200)
        #expect(Web.body(response) == "ok\n")
        #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(web.send("HEAD", "/healthz").status == 200)
    }

    private struct StaleJobs: JobsView {
        let lastHeartbeat: Instant
        func runNow(_ name: String) -> Bool { false }
        var status: JobsStatus { JobsStatus(jobs: [], leaseTTL: .seconds(15), heartbeat: lastHeartbeat) }
    }

    @Test func healthzReportsAStalledJobThread() throws {
        let now = Web.defaultNow
        let alive = try Web(jobs: StaleJobs(lastHeartbeat: now.adding(.seconds(-2))))
        #expect(alive.get("/healthz").status == 200)
        let stalled = try Web(jobs: StaleJobs(lastHeartbeat: now.adding(.minutes(-5))))
        let response = stalled.get("/healthz")
        #expect(response.status == 503)
        #expect(Web.body(response).contains("job thread has not run for 5 min"))
    }

    // MARK: The list

    @Test func listShowsCountsInTheFilterTabs() throws {
        let web = try Web()
        try web.completedTask("Done one")
        try web.completedTask("Done two")
        for hours in 1...3 { try web.task("Open \(hours)", due: web.clock.now().adding(.hours(Int64(hours)))) }

        let response = web.get("/tasks")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == html)
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        let page = Web.body(response)
        #expect(page.contains(#"<a href="/tasks?status=all" class="on" aria-current="page">All (5)</a>"#))
        #expect(page.contains(#"<a href="/tasks?status=pending">Pending (3)</a>"#))
        #expect(page.contains(#"<a href="/tasks?status=completed">Completed (2)</a>"#))
        #expect(Web.listTitles(page) == ["Done one", "Done two", "Open 1", "Open 2", "Open 3"])
        #expect(page.contains("Page 1 of 1 · 5 tasks"))
    }

    @Test func emptyListInvitesToCreate() throws {
        let web = try Web()
        let page = Web.body(web.get("/tasks"))
        #expect(page.contains("No tasks here."))
        #expect(page.contains("All (0)"))
        #expect(page.contains("Page 1 of 1 · 0 tasks"))
    }

    @Test(arguments: [
        ("pending", ["Open 1", "Open 2"], "Pending (2)"),
        ("completed", ["Done"], "Completed (1)"),
        ("all", ["Done", "Open 1", "Open 2"], "All (3)"),
        ("", ["Done", "Open 1", "Open 2"], "All (3)"),
    ])
    func statusFilter(status: String, titles: [String], currentTab: String) throws {
        let web = try Web()
        try web.completedTask("Done")
        try web.task("Open 2", due: web.clock.now().adding(.hours(2)))
        try web.task("Open 1", due: web.clock.now().adding(.hours(1)))
        let response = web.get("/tasks?status=" + status)
        #expect(response.status == 200)
        let page = Web.body(response)
        #expect(Web.listTitles(page) == titles)
        #expect(page.contains(#"aria-current="page">"# + currentTab + "</a>"))
        // The summary counts the chosen filter.
        #expect(page.contains("Page 1 of 1 · \(titles.count) task"))
    }

    @Test func completedRowsShowTheirBadgeAndActionTime() throws {
        let web = try Web()
        try web.completedTask("Done")
        try web.task("Later", due: web.clock.now().adding(.hours(1)))
        let page = Web.body(web.get("/tasks"))
        #expect(page.contains(#"<span class="completed">completed</span>"#))
        #expect(page.contains(#"<span class="pending">pending</span>"#))
        // Completed at 13:00 Berlin time (the fixture's now).
        #expect(page.contains(#"<td><time datetime="2026-11-24T13:00:00+01:00">Tue 24 Nov 2026, 13:00 CET</time> <small>completed just now</small></td></tr>"#))
    }

    @Test(arguments: ["bogus", "Pending", "ALL", "pending%20"])
    func unknownStatusIs400(status: String) throws {
        let web = try Web()
        let response = web.get("/tasks?status=" + status)
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == html)
        #expect(Web.body(response).contains("Unknown status filter"))
        #expect(Web.body(response).contains("use all, pending or completed"))
    }

    @Test func pagingShowsTheRightRowsOrderedByDue() throws {
        let web = try Web()
        // 120 tasks inserted out of order; "Task 001" is due first.
        for step in 0..<120 {
            let index = step * 37 % 120
            let number = String(index + 1)
            let title = "Task " + String(repeating: "0", count: 3 - number.count) + number
            try web.task(title, due: web.clock.now().adding(.minutes(Int64(index) * 10 + 5)))
        }
        let expected = (1...120).map { number -> String in
            let digits = String(number)
            return "Task " + String(repeating: "0", count: 3 - digits.count) + digits
        }

        let first = Web.body(web.get("/tasks"))
        #expect(first.contains("Page 1 of 3 · 120 tasks"))
        #expect(Web.listTitles(first) == Array(expected[0..<50]))
        #expect(!first.contains("← Previous") && !first.contains("« First"))
        // Next carries the last row's sort key: its due date (Unix ms) and id.
        let row50 = try #require(try web.store.list(.all, limit: 1, offset: 49).first)
        let next = "/tasks?status=all&amp;after=\(row50.due.milliseconds).\(row50.id)"
        #expect(first.contains(#"<a href=""# + next + #"">Next →</a>"#))
        #expect(first.contains(#"<a href="/tasks?status=all&amp;page=last">Last »</a>"#))

        let response = web.get(Self.unescaped(next))
        #expect(response.status == 200)
        let second = Web.body(response)
        #expect(second.contains("120 tasks") && !second.contains("Page 2"), "a cursor page does not count the rows before it")
        #expect(Web.listTitles(second) == Array(expected[50..<100]))
        #expect(second.contains(#"<a href="/tasks?status=all&amp;page=1">« First</a>"#))
        let back = try #require(Self.link(second, "← Previous"))
        #expect(Web.listTitles(Web.body(web.get(back))) == Array(expected[0..<50]))
        let third = Web.body(web.get(try #require(Self.link(second, "Next →"))))
        #expect(Web.listTitles(third) == Array(expected[100..<120]))
        #expect(!third.contains("Next →") && !third.contains("Last »"))

        // Old page-number links keep working, and link on by cursor.
        let old = Web.body(web.get("/tasks?status=pending&page=3"))
        #expect(old.contains("Page 3 of 3 · 120 tasks"))
        #expect(Web.listTitles(old) == Array(expected[100..<120]))
        #expect(Web.listTitles(Web.body(web.get(try #require(Self.link(old, "← Previous"))))) == Array(expected[50..<100]))
        #expect(!old.contains("Next →"))

        // The last page is aligned with the numbered ones, so paging back meets them.
        let last = Web.body(web.get("/tasks?page=last"))
        #expect(last.contains("Page 3 of 3 · 120 tasks"))
        #expect(Web.listTitles(last) == Array(expected[100..<120]))
        let beforeLast = Web.body(web.get(try #require(Self.link(last, "← Previous"))))
        #expect(Web.listTitles(beforeLast) == Array(expected[50..<100]))
        let start = Web.body(web.get(try #require(Self.link(beforeLast, "← Previous"))))
        #expect(start.contains("Page 1 of 3") && Web.listTitles(start) == Array(expected[0..<50]))
    }

    /// The address of the pager link labelled `label`, unescaped.
    static func link(_ html: String, _ label: String) -> String? {
        guard let end = html.range(of: "\">" + label + "</a>") else { return nil }
        guard let start = html[..<end.lowerBound].range(of: "<a href=\"", options: .backwards) else { return nil }
        return unescaped(String(html[start.upperBound..<end.lowerBound]))
    }

    static func unescaped(_ href: String) -> String { href.replacingOccurrences(of: "&amp;", with: "&") }

    @Test func aPageBeforeTheStartIsTheFirstPageInFull() throws {
        let web = try Web()
        var tasks: [TaskItem] = []
        for index in 0..<60 { tasks.append(try web.task("T\(index)", due: web.clock.now().adding(.minutes(Int64(index) + 1)))) }
        // Before the 10th row there are only 9: the page shown is page 1, with 50 rows.
        let page = Web.body(web.get("/tasks?before=\(tasks[9].due.milliseconds).\(tasks[9].id)"))
        #expect(page.contains("Page 1 of 2 · 60 tasks"))
        #expect(Web.listTitles(page).count == 50 && !page.contains("← Previous"))
        // After the last row: an empty page that links back.
        let past = web.get("/tasks?after=\(tasks[59].due.milliseconds).\(tasks[59].id)")
        #expect(past.status == 200 && Web.body(past).contains("← Previous") && !Web.body(past).contains("Next →"))
    }

    static let cursorMessage = "cursor must be a due time in Unix milliseconds and a task number joined by a dot"
    static let twoStarts = "Give only one of page, after and before."

    @Test(arguments: [
        ("after=abc", cursorMessage), ("after=1", cursorMessage), ("after=1.", cursorMessage), ("after=1.2.3", cursorMessage),
        ("before=1.2%0A", cursorMessage), ("before=%2B1.2", cursorMessage), ("after=1234567890123456789.1", cursorMessage),
        ("before=%EF%BC%91.2", cursorMessage),
        ("page=2&after=1.2", twoStarts), ("after=1.2&before=3.4", twoStarts), ("page=last&before=1.2", twoStarts),
    ])
    func malformedOrConflictingStartIs400(query: String, message: String) throws {
        let web = try Web()
        let response = web.get("/tasks?" + query)
        #expect(response.status == 400)
        #expect(Web.body(response).contains(message))
    }

    @Test func blankCursorsAreIgnoredAsBlankPagesAre() throws {
        let web = try Web()
        #expect(web.get("/tasks?status=&page=&after=&before=").status == 200)
    }

    @Test(arguments: ["abc", "0", "-1", "+2", "1.5", "99999999999999999999", "%20"])
    func invalidPageIs400(page: String) throws {
        let web = try Web()
        let response = web.get("/tasks?page=" + page)
        #expect(response.status == 400)
        #expect(Web.body(response).contains("The page number must be a whole number from 1."))
    }

    @Test(arguments: ["2", "1000001"])
    func pageAfterTheLastIs404(page: String) throws {
        let web = try Web()
        let response = web.get("/tasks?page=" + page)
        #expect(response.status == 404)
        #expect(Web.body(response).contains("the last page is 1"))
    }

    // MARK: New and create

    @Test func newFormHasTitleAndDatetimeLocalDue() throws {
        let web = try Web()
        let response = web.get("/tasks/new")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == html)
        let page = Web.body(response)
        #expect(page.contains(#"<form class="card" method="post" action="/tasks" novalidate>"#))
        let title = try #require(Web.input(named: "title", in: page))
        #expect(Web.attribute("type", of: title) == "text")
        #expect(Web.attribute("value", of: title) == "")
        let due = try #require(Web.input(named: "due", in: page))
        #expect(Web.attribute("type", of: due) == "datetime-local")
        #expect(Web.attribute("value", of: due) == "")
        #expect(page.contains("(Europe/Berlin)"))
        #expect(page.contains("Create task"))
        #expect(!page.contains("aria-invalid"))
    }

    @Test func createRedirectsToTheNewTaskAndWakesTheJobs() throws {
        let web = try Web()
        let response = web.post("/tasks", "title=Water+the+plants&due=2026-11-25T09%3A15")
        #expect(response.status == 303)
        let id = try #require(Web.redirectedID(response))
        #expect(response.header("Location") == "/tasks/\(id)")
        let stored = try #require(try web.store.task(id: id))
        #expect(stored.title == "Water the plants")
        #expect(stored.due == utc(2026, 11, 25, 8, 15)) // 09:15 CET
        #expect(stored.createdAt == web.clock.now())
        #expect(!stored.isCompleted)
        #expect(web.notified.count == 1)

        let detail = web.get("/tasks/\(id)")
        #expect(detail.status == 200)
        #expect(Web.body(detail).contains("<h1>Water the plants</h1>"))
        #expect(Web.body(detail).contains("Wed 25 Nov 2026, 09:15 CET"))
    }

    @Test func createTrimsTheTitleAndAcceptsSeconds() throws {
        let web = try Web()
        let response = web.post("/tasks", "title=++Call+Bob%0A+&due=2026-07-01T08%3A00%3A30")
        #expect(response.status == 303)
        let stored = try #require(try Web.redirectedID(response).flatMap { try web.store.task(id: $0) })
        #expect(stored.title == "Call Bob")
        #expect(stored.due == utc(2026, 7, 1, 6, 0, 30)) // CEST
    }

    @Test(arguments: ["", "+++", "%09%0A"])
    func emptyTitleIs422AndKeepsTheDue(title: String) throws {
        let web = try Web()
        let response = web.post("/tasks", "title=\(title)&due=2026-11-25T09%3A15")
        #expect(response.status == 422)
        #expect(response.header("Content-Type") == html)
        let page = Web.body(response)
        #expect(page.contains(#"<p class="error" id="title-error">Enter a title.</p>"#))
        #expect(page.contains("Please correct the marked fields."))
        let due = try #require(Web.input(named: "due", in: page))
        #expect(Web.attribute("value", of: due) == "2026-11-25T09:15")
        #expect(!due.contains("aria-invalid"))
        let titleInput = try #require(Web.input(named: "title", in: page))
        #expect(titleInput.contains(#"aria-invalid="true" aria-describedby="title-error""#))
        #expect(try web.allTasks().isEmpty)
        #expect(web.notified.count == 0)
    }

    @Test(arguments: [
        ("tomorrow", "Enter the due date as YYYY-MM-DDTHH:MM, e.g. 2026-11-24T21:30."),
        ("2026-11-25", "Enter the due date as YYYY-MM-DDTHH:MM, e.g. 2026-11-24T21:30."),
        ("2026-02-30T10:00", "That date does not exist in the calendar."),
        ("2026-11-25T24:00", "That date does not exist in the calendar."),
        ("", "Enter a due date and time."),
    ])
    func badDueIs422AndKeepsTheTitle(due: String, message: String) throws {
        let web = try Web()
        let response = web.post("/tasks", "title=Pay+rent&due=" + due)
        #expect(response.status == 422)
        let page = Web.body(response)
        #expect(page.contains(#"<p class="error" id="due-error">"# + message + "</p>"))
        #expect(Web.attribute("value", of: try #require(Web.input(named: "title", in: page))) == "Pay rent")
        let dueInput = try #require(Web.input(named: "due", in: page))
        // Kept as typed only where a datetime-local field can hold it (HTML forbids anything else).
        #expect(Web.attribute("value", of: dueInput) == "")
        #expect(dueInput.contains(#"aria-invalid="true" aria-describedby="due-error""#))
        #expect(!page.contains("title-error"))
        #expect(try web.allTasks().isEmpty)
    }

    @Test func titleLengthLimitIs200Characters() throws {
        let web = try Web()
        let tooLong = web.post("/tasks", "title=" + String(repeating: "x", count: 201) + "&due=2026-11-25T09%3A15")
        #expect(tooLong.status == 422)
        #expect(Web.body(tooLong).contains("Keep the title to 200 characters; this one has 201."))
        #expect(try web.allTasks().isEmpty)

        // Characters, not bytes: 200 umlauts (400 UTF-8 bytes) are fine.
        let umlauts = web.post("/tasks", "title=" + String(repeating: "%C3%BC", count: 200) + "&due=2026-11-25T09%3A15")
        #expect(umlauts.status == 303)
        let exact = web.post("/tasks", "title=" + String(repeating: "y", count: 200) + "&due=2026-11-25T09%3A15")
        #expect(exact.status == 303)
        #expect(try web.allTasks().map(\.title.count) == [200, 200])
    }

    private static let controlMessage = "The title cannot contain control characters such as line breaks or tabs."

    // Control characters are refused; a title of zero-width characters only (ZWSP, BOM, soft
    // hyphen, word joiner, ZWJ) is as empty as one of spaces.
    @Test(arguments: ["a%09b", "a%00b", "a%0Ab", "a%0D%0Ab", "a%1Bb", "a%7Fb"].map { ($0, controlMessage) }
        + ["%E2%80%8B", "%E2%80%8B+%EF%BB%BF%C2%AD", "%E2%81%A0%E2%80%8D"].map { ($0, "Enter a title.") })
    func unusableTitlesAre422(title: String, message: String) throws {
        let web = try Web()
        let response = web.post("/tasks", "title=\(title)&due=2026-11-25T09%3A15")
        #expect(response.status == 422)
        #expect(Web.body(response).contains(message))
        #expect(try web.allTasks().isEmpty)
    }

    @Test func titlesWithSomethingVisibleAreKept() throws {
        let web = try Web()
        // A zero-width joiner inside an emoji sequence is part of a visible title.
        #expect(web.post("/tasks", "title=%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB&due=2026-11-25T09%3A15").status == 303)
        #expect(web.post("/tasks", "title=%E2%80%8Bx&due=2026-11-25T09%3A15").status == 303)
        #expect(try web.allTasks().count == 2)
    }

    @Test func daylightSavingGapIs422() throws {
        let web = try Web()
        let response = web.post("/tasks", "title=Gap&due=2026-03-29T02%3A30")
        #expect(response.status == 422)
        let page = Web.body(response)
        #expect(page.contains("That time does not exist in Europe/Berlin"))
        #expect(page.contains("daylight saving"))
        #expect(Web.attribute("value", of: try #require(Web.input(named: "due", in: page))) == "2026-03-29T02:30")
        #expect(try web.allTasks().isEmpty)
        // Either side of the gap is fine.
        #expect(web.post("/tasks", "title=Before&due=2026-03-29T01%3A59").status == 303)
        #expect(web.post("/tasks", "title=After&due=2026-03-29T03%3A00").status == 303)
        #expect(try web.allTasks().map(\.due) == [utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1)])
    }

    @Test func daylightSavingOverlapMeansTheEarlierInstant() throws {
        let web = try Web()
        let response = web.post("/tasks", "title=Overlap&due=2026-10-25T02%3A30")
        #expect(response.status == 303)
        let id = try #require(Web.redirectedID(response))
        let stored = try #require(try web.store.task(id: id))
        #expect(stored.due == utc(2026, 10, 25, 0, 30)) // 02:30 CEST, not 02:30 CET (01:30Z)
        #expect(Web.body(web.get("/tasks/\(id)")).contains("Sun 25 Oct 2026, 02:30 CEST"))
        let edit = Web.body(web.get("/tasks/\(id)/edit"))
        #expect(Web.attribute("value", of: try #require(Web.input(named: "due", in: edit))) == "2026-10-25T02:30")
    }

    // MARK: Show, edit, update

    @Test func showsATask() throws {
        let web = try Web()
        let task = try web.task("Water the plants", due: utc(2026, 11, 25, 8, 15))
        let response = web.get("/tasks/\(task.id)")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == html)
        let page = Web.body(response)
        #expect(page.contains("<title>Water the plants · TaskFCGI</title>"))
        #expect(page.contains("<h1>Water the plants</h1>"))
        #expect(page.contains(#"<dt>Due</dt><dd><time datetime="2026-11-25T09:15:00+01:00">Wed 25 Nov 2026, 09:15 CET</time> <small>due in 20 h</small></dd>"#))
        #expect(page.contains(#"<span class="pending">pending</span>"#))
        #expect(page.contains(#"<span class="muted">not yet</span>"#))
        #expect(page.contains(#"<dt>Created</dt><dd><time datetime="2026-11-24T13:00:00+01:00">Tue 24 Nov 2026, 13:00 CET</time></dd>"#))
        #expect(page.contains(#"<a class="button" href="/tasks/\#(task.id)/edit">Edit</a>"#))
        #expect(page.contains(#"<form method="post" action="/tasks/\#(task.id)/delete">"#))
    }

    @Test func showsAnOverdueTaskAsWaitingForTheJob() throws {
        let web = try Web()
        let task = try web.task("Late", due: web.clock.now().adding(.minutes(-1)))
        let page = Web.body(web.get("/tasks/\(task.id)"))
        #expect(page.contains("overdue, waiting for the job"))
        #expect(page.contains("The due time has passed, so the job completes this task at once."))
    }

    @Test func showsACompletedTaskWithoutEdit() throws {
        let web = try Web()
        let task = try web.completedTask("Done")
        let page = Web.body(web.get("/tasks/\(task.id)"))
        #expect(page.contains(#"<span class="completed">completed</span>"#))
        #expect(page.contains("Tue 24 Nov 2026, 13:00 CET</time> <small>completed just now</small> <span class=\"muted\">(60 min after the due time)</span>"))
        #expect(page.contains("Completed tasks are read-only"))
        #expect(!page.contains("/edit\""))
        #expect(page.contains("/delete\""))
    }

    @Test func editFormIsPrefilledInBerlinTime() throws {
        let web = try Web()
        let winter = try web.task("Winter", due: utc(2026, 11, 25, 8, 15))
        let summer = try web.task("Summer", due: utc(2026, 7, 14, 10, 5, 30))

        let response = web.get("/tasks/\(winter.id)/edit")
        #expect(response.status == 200)
        let page = Web.body(response)
        #expect(page.contains(#"<form class="card" method="post" action="/tasks/\#(winter.id)" novalidate>"#))
        #expect(page.contains("<h1>Edit task</h1>"))
        #expect(page.contains("Save changes"))
        #expect(Web.attribute("value", of: try #require(Web.input(named: "title", in: page))) == "Winter")
        let due = try #require(Web.input(named: "due", in: page))
        #expect(Web.attribute("type", of: due) == "datetime-local")
        #expect(Web.attribute("value", of: due) == "2026-11-25T09:15")

        let summerPage = Web.body(web.get("/tasks/\(summer.id)/edit"))
        #expect(Web.attribute("value", of: try #require(Web.input(named: "due", in: summerPage))) == "2026-07-14T12:05:30")
    }

    @Test func updateChangesTheTaskAndRedirects() throws {
        let web = try Web()
        let task = try web.task("Old", due: utc(2026, 11, 25, 8, 15))
        let response = web.post("/tasks/\(task.id)", "title=New+title&due=2026-12-01T18%3A00")
        #expect(response.status == 303)
        #expect(response.header("Location") == "/tasks/\(task.id)")
        let stored = try #require(try web.store.task(id: task.id))
        #expect(stored.title == "New title")
        #expect(stored.due == utc(2026, 12, 1, 17))
        #expect(stored.createdAt == task.createdAt)
        #expect(web.notified.count == 1)
        #expect(try web.allTasks().count == 1)
    }

    @Test func invalidUpdateIs422AndChangesNothing() throws {
        let web = try Web()
        let task = try web.task("Old", due: utc(2026, 11, 25, 8, 15))
        let response = web.post("/tasks/\(task.id)", "title=&due=2026-12-01T18%3A00")
        #expect(response.status == 422)
        let page = Web.body(response)
        #expect(page.contains("Enter a title."))
        #expect(page.contains(#"action="/tasks/\#(task.id)""#))
        #expect(Web.attribute("value", of: try #require(Web.input(named: "due", in: page))) == "2026-12-01T18:00")
        #expect(try web.store.task(id: task.id) == task)
        #expect(web.notified.count == 0)
    }

    @Test func updateOfAMissingTaskIs404() throws {
        let web = try Web()
        let response = web.post("/tasks/42", "title=New&due=2026-12-01T18%3A00")
        #expect(response.status == 404)
        #expect(Web.body(response).contains("There is no task with this number. It may have been deleted."))
        #expect(try web.allTasks().isEmpty)
    }

    @Test func completedTasksAreReadOnly() throws {
        let web = try Web()
        let task = try web.completedTask("Done")

        let edit = web.get("/tasks/\(task.id)/edit")
        #expect(edit.status == 409)
        #expect(edit.header("Content-Type") == html)
        let editPage = Web.body(edit)
        #expect(editPage.contains("This task is completed"))
        #expect(editPage.contains("Completed tasks are read-only."))
        #expect(editPage.contains(#"<a href="/tasks/\#(task.id)">Back to the task</a>"#))
        #expect(!editPage.contains("<form"))

        let update = web.post("/tasks/\(task.id)", "title=Sneaky&due=2026-12-01T18%3A00")
        #expect(update.status == 409)
        #expect(Web.body(update).contains("Completed tasks are read-only."))
        // Even invalid input gets the read-only page, not a form.
        #expect(web.post("/tasks/\(task.id)", "title=&due=").status == 409)
        #expect(try web.store.task(id: task.id) == task)
        #expect(web.notified.count == 0)
    }

    // MARK: Delete

    @Test func deleteRedirectsToTheListAndTheTaskIsGone() throws {
        let web = try Web()
        let task = try web.task("Doomed", due: utc(2026, 11, 25, 8, 15))
        let keep = try web.task("Kept", due: utc(2026, 11, 26, 8, 15))
        let response = web.post("/tasks/\(task.id)/delete", "")
        #expect(response.status == 303)
        #expect(response.header("Location") == "/tasks")
        #expect(web.get("/tasks/\(task.id)").status == 404)
        #expect(web.get("/tasks/\(task.id)/edit").status == 404)
        #expect(try web.allTasks() == [keep])
        // Deleting again: nothing there.
        let again = web.post("/tasks/\(task.id)/delete", "")
        #expect(again.status == 404)
        #expect(Web.body(again).contains("There is no task with this number. It may have been deleted."))
    }

    @Test func completedTasksCanBeDeleted() throws {
        let web = try Web()
        let task = try web.completedTask("Done")
        #expect(web.post("/tasks/\(task.id)/delete", "").status == 303)
        #expect(try web.store.task(id: task.id) == nil)
    }

    // MARK: 404 and 405

    @Test(arguments: [
        "/nope", "/tasks/abc", "/tasks/0", "/tasks/-1", "/tasks/99999999999999999999", "/tasks/1;drop",
        "/tasks/1", "/tasks/", "/tasks/1/", "/tasks/1/edit/x", "/tasks/+1", "/tasks/1.0", "/tasks/%31",
        "/tasks/abc/edit", "/tasks/0/delete", "/tasks/1/nope", "//tasks", "/Tasks", "/healthz/x", "",
    ])
    func unknownAddressesAre404(path: String) throws {
        let web = try Web()
        let response = web.get(path)
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == html)
        #expect(Web.body(response).contains("<h1>404 Not Found</h1>"))
        #expect(response.header("Allow") == nil)
    }

    @Test func taskNumbersAreDigitsUpToInt64Max() throws {
        let web = try Web()
        #expect(web.get("/tasks/9223372036854775807").status == 404) // valid id, no task
        #expect(Web.errorMessage(Web.body(web.get("/tasks/9223372036854775808"))) == "There is no task with this number.")
        let task = try web.task("Leading zeros", due: utc(2026, 11, 25))
        #expect(web.get("/tasks/000\(task.id)").status == 200)
    }

    @Test(arguments: [
        ("DELETE", "/tasks", "GET, HEAD, POST"),
        ("PUT", "/tasks", "GET, HEAD, POST"),
        ("GET", "/tasks/1/delete", "POST"),
        ("HEAD", "/tasks/1/delete", "POST"),
        ("POST", "/tasks/new", "GET, HEAD"),
        ("POST", "/tasks/1/edit", "GET, HEAD"),
        ("DELETE", "/tasks/1", "GET, HEAD, POST"),
        ("POST", "/", "GET, HEAD"),
        ("POST", "/healthz", "GET, HEAD"),
        ("OPTIONS", "/tasks", "GET, HEAD, POST"),
    ])
    func wrongMethodIs405WithAllow(method: String, path: String, allow: String) throws {
        let web = try Web()
        let task = try web.task("Still here", due: utc(2026, 11, 25))
        #expect(task.id == 1)
        let response = web.send(method, path, headers: ["sec-fetch-site": "same-origin"])
        #expect(response.status == 405)
        #expect(response.header("Allow") == allow)
        #expect(Web.errorMessage(Web.body(response)) == "This address does not accept that method. It accepts \(allow).")
        #expect(try web.store.task(id: 1) == task)
    }

    // MARK: HEAD

    @Test func headIsServedAsGet() throws {
        let web = try Web()
        let task = try web.task("Heads up", due: utc(2026, 11, 25))
        for path in ["/tasks", "/tasks?status=pending", "/tasks/new", "/tasks/\(task.id)", "/tasks/\(task.id)/edit"] {
            let get = web.get(path)
            let head = web.send("HEAD", path)
            #expect(head.status == 200, "\(path)")
            #expect(head.status == get.status, "\(path)")
            #expect(head.header("Content-Type") == get.header("Content-Type"), "\(path)")
            #expect(head.header("Content-Type") == html, "\(path)")
        }
        #expect(web.send("HEAD", "/tasks/999").status == 404)
        #expect(web.send("HEAD", "/tasks?status=bogus").status == 400)
    }
}
