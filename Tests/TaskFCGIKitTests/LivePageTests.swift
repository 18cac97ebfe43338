import Testing
@testable import TaskFCGIKit

/// What live pages rest on: the store's change token (on every backend), `/tasks/changes` with its
/// `304`, the hashed asset files, relative times, and the markup the script patches.
@Suite struct LivePageTests {
    typealias Web = UnitWebFixture
    private let t0 = utc(2026, 11, 24, 12)

    @Test(arguments: Backend.all) func theChangeTokenMovesWithEveryWriteAndOnlyThen(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let store = temp.store
        var token = try store.changeToken()
        /// Asserts the token moved (or not) since the last look.
        func expectMoved(_ moved: Bool, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let now = try store.changeToken()
            #expect((now > token) == moved, "\(what): token \(token) → \(now)", sourceLocation: sourceLocation)
            #expect(now >= token, "the token went back", sourceLocation: sourceLocation)
            token = now
        }
        let task = try store.create(title: "Water the plants", due: t0.adding(.minutes(-1)), now: t0)
        try expectMoved(true, "create")
        _ = try store.task(id: task.id)
        _ = try store.list(.all, limit: 50, offset: 0)
        _ = try store.counts()
        let (counts, sameToken) = try store.countsAndChangeToken()
        #expect(counts == (try store.counts()) && sameToken == token)
        try expectMoved(false, "reads")
        #expect(try store.update(id: task.id, title: "Water the roses", due: task.due) == .updated)
        try expectMoved(true, "a new title")
        #expect(try temp.runJob(CompleteDueTasks(), now: t0) == 1)
        try expectMoved(true, "the job completing it")
        // Another connection (another thread or worker) sees the same token move.
        let other = try temp.another().store
        #expect(try other.changeToken() == token)
        let second = try other.create(title: "Second", due: t0.adding(.hours(1)), now: t0)
        try expectMoved(true, "a create on another connection")
        // Delete and re-create leaves the counts as they were, but not the token.
        #expect(try store.delete(id: second.id))
        try expectMoved(true, "delete")
        _ = try store.create(title: "Second", due: t0.adding(.hours(1)), now: t0)
        try expectMoved(true, "create after delete (same counts)")
    }

    @Test func changesAnswers304WhileNothingChanged() throws {
        let web = try Web()
        let first = web.get("/tasks/changes")
        #expect(first.status == 200)
        #expect(first.header("Content-Type") == "application/json")
        #expect(first.header("Cache-Control") == "no-store")
        let tag = try #require(first.header("ETag"))
        #expect(String(decoding: first.body, as: UTF8.self) == "{\"token\":\(tag.dropFirst().dropLast())}")

        let unchanged = web.get("/tasks/changes", headers: ["if-none-match": tag])
        #expect(unchanged.status == 304)
        #expect(unchanged.body.isEmpty)
        #expect(web.get("/tasks/changes", headers: ["if-none-match": "\"x\", W/" + tag]).status == 304)

        try web.task("New", due: web.clock.now().adding(.hours(1)))
        let changed = web.get("/tasks/changes", headers: ["if-none-match": tag])
        #expect(changed.status == 200)
        #expect(changed.header("ETag") != tag)
        #expect(web.send("POST", "/tasks/changes").status == 405)
    }

    @Test func pagesCarryTheTokenTheyWereRenderedAt() throws {
        let web = try Web()
        let task = try web.task("Water the plants", due: web.clock.now().adding(.minutes(3)))
        let tag = try #require(web.get("/tasks/changes").header("ETag"))
        let token = String(tag.dropFirst().dropLast())
        for page in ["/tasks", "/tasks/\(task.id)"] {
            let body = Web.body(web.get(page))
            #expect(body.contains("<main id=\"main\" data-token=\"\(token)\" data-now=\"\(web.clock.now().milliseconds)\">"), "\(page)")
            #expect(body.contains("<small>due in 3 min</small>"), "\(page)")
        }
        // Pages that do not change by themselves are not live.
        #expect(!Web.body(web.get("/tasks/new")).contains("data-token"))
    }

    @Test func assetsAreServedUnderTheirHashForAYear() throws {
        let web = try Web()
        let page = Web.body(web.get("/tasks"))
        for asset in [Assets.style, Assets.live] {
            #expect(page.contains(asset.path))
            #expect(asset.name.wholeMatch(of: /(style|live)\.[0-9a-f]{16}\.(css|js)/) != nil, "\(asset.name)")
            let response = web.get(asset.path)
            #expect(response.status == 200)
            #expect(response.header("Cache-Control") == "public, max-age=31536000, immutable")
            #expect(response.body == asset.body)
        }
        #expect(web.get("/assets/live.0000000000000000.js").status == 404)
        #expect(web.get("/assets/").status == 404)
        #expect(Asset.hash(Array("a".utf8)) != Asset.hash(Array("b".utf8)))
        // Only the worker's own files run or style a page: nothing inline.
        let policy = try #require(web.get("/tasks").header("Content-Security-Policy"))
        #expect(policy.contains("script-src 'self'") && policy.contains("style-src 'self'") && !policy.contains("unsafe-inline"))
        #expect(!page.contains("<style") && !page.contains(" style="))
    }

    @Test(arguments: [
        (0, RelativeTime.Kind.due, "due now"), (999, .due, "due now"), (5_000, .due, "due in 5 s"),
        (-59_999, .due, "due 59 s ago"), (180_000, .due, "due in 3 min"), (7_200_000, .due, "due in 2 h"),
        (-172_800_000, .due, "due 2 days ago"), (-500, .done, "completed just now"), (-120_000, .done, "completed 2 min ago"),
    ])
    func relativeTimes(offset: Int64, kind: RelativeTime.Kind, text: String) {
        #expect(RelativeTime.text(kind, t0.adding(Interval(milliseconds: offset)), now: t0) == text)
    }

    @Test func timesCarryTheirInstantForMachines() throws {
        let utcZone = try #require(Zone(identifier: "UTC"))
        var html = HTML()
        html.time(Instant(milliseconds: 1_764_504_785_000), in: utcZone)
        html.time(Instant(milliseconds: 1_764_504_785_042), in: utcZone)
        #expect(String(decoding: html.bytes, as: UTF8.self) ==
                #"<time datetime="2025-11-30T12:13:05Z">Sun 30 Nov 2025, 12:13:05 UTC</time><time datetime="2025-11-30T12:13:05Z">Sun 30 Nov 2025, 12:13:05 UTC</time>"#)
    }

    @Test func theFormFocusesTheFirstFieldWithAProblem() throws {
        let web = try Web()
        let onlyDue = Web.body(web.post("/tasks", "title=Pay+rent&due=tomorrow"))
        #expect(try #require(Web.input(named: "due", in: onlyDue)).contains("autofocus"))
        #expect(!(try #require(Web.input(named: "title", in: onlyDue)).contains("autofocus")))
        let both = Web.body(web.post("/tasks", "title=&due=tomorrow"))
        #expect(try #require(Web.input(named: "title", in: both)).contains("autofocus"))
        #expect(!(try #require(Web.input(named: "due", in: both)).contains("autofocus")))
        #expect(DueDate.isInputValue("2026-11-25T09:15") && DueDate.isInputValue("2026-11-25T09:15:30"))
        #expect(!DueDate.isInputValue("2026-02-30T10:00") && !DueDate.isInputValue(" 2026-11-25T09:15"))
    }
}
