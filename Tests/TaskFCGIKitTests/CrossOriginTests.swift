import Testing
@testable import TaskFCGIKit

/// Cross-site form posts are refused (403) before any handler runs; same-site ones and
/// non-browser clients pass; reading is never refused.
@Suite struct CrossOriginTests {
    typealias Web = UnitWebFixture

    private let form = "title=From+somewhere&due=2026-11-25T09%3A15"
    private let contentType = ["content-type": "application/x-www-form-urlencoded"]

    /// POST /tasks with `headers` (plus the form content type); the response and whether a task was stored.
    private func create(_ headers: [String: String], serverPort: String? = nil) throws -> (Response, Bool) {
        let web = try Web()
        let response = web.send("POST", "/tasks", headers: headers.merging(contentType) { a, _ in a },
                                serverPort: serverPort, body: Array(form.utf8))
        return (response, try !web.allTasks().isEmpty)
    }

    private func expectAllowed(_ headers: [String: String], serverPort: String? = nil,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (response, stored) = try create(headers, serverPort: serverPort)
        #expect(response.status == 303, sourceLocation: sourceLocation)
        #expect(stored, sourceLocation: sourceLocation)
    }

    /// Expects a 403 page whose message contains `reason`; returns the message.
    @discardableResult
    private func expectRefused(_ headers: [String: String], serverPort: String? = nil, reason: String,
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let (response, stored) = try create(headers, serverPort: serverPort)
        #expect(response.status == 403, sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8", sourceLocation: sourceLocation)
        #expect(!stored, sourceLocation: sourceLocation)
        let page = Web.body(response)
        #expect(page.contains("<h1>403 Forbidden</h1>"), sourceLocation: sourceLocation)
        let message = Web.errorMessage(page) ?? ""
        #expect(message.contains(reason), sourceLocation: sourceLocation)
        #expect(message.contains("forms are accepted only from this site’s own pages"), sourceLocation: sourceLocation)
        return message
    }

    // MARK: Sec-Fetch-Site

    @Test(arguments: ["same-origin", "none"])
    func secFetchSiteOfOurOwnIsAllowed(site: String) throws {
        try expectAllowed(["sec-fetch-site": site, "host": "tasks.example"])
    }

    @Test(arguments: ["cross-site", "same-site"])
    func secFetchSiteFromElsewhereIs403(site: String) throws {
        let message = try expectRefused(["sec-fetch-site": site, "host": "tasks.example"],
                                        reason: "The browser reported this form was sent from another site (\(site)).")
        #expect(message.hasPrefix("The browser reported"))
    }

    @Test func secFetchSiteWinsOverOrigin() throws {
        // A browser that sends both: Sec-Fetch-Site is the more precise signal.
        try expectAllowed(["sec-fetch-site": "same-origin", "origin": "http://evil.example", "host": "tasks.example"])
        try expectRefused(["sec-fetch-site": "cross-site", "origin": "http://tasks.example", "host": "tasks.example"],
                          reason: "(cross-site)")
    }

    @Test func unknownSecFetchSiteValueIs403() throws {
        try expectRefused(["sec-fetch-site": "Same-Origin", "host": "tasks.example"], reason: "(Same-Origin)")
    }

    // MARK: Origin against Host

    @Test func originMatchingHostWithPortIsAllowed() throws {
        try expectAllowed(["origin": "http://127.0.0.1:8080", "host": "127.0.0.1:8080"])
        try expectAllowed(["origin": "http://localhost:8080", "host": "localhost:8080"], serverPort: "9999")
        try expectAllowed(["origin": "http://tasks.example", "host": "tasks.example"], serverPort: "80")
        try expectAllowed(["origin": "http://Tasks.Example", "host": "tasks.example"])
    }

    @Test func hostWithoutPortUsesTheServerPort() throws {
        // Debian's fastcgi_params passes `$host`, which drops the port.
        try expectAllowed(["origin": "http://127.0.0.1:8080", "host": "127.0.0.1"], serverPort: "8080")
        try expectRefused(["origin": "http://127.0.0.1:8080", "host": "127.0.0.1"], serverPort: "9090",
                          reason: "The form was sent from http://127.0.0.1:8080, another site.")
        // Without SERVER_PORT the scheme's default port stands in.
        try expectRefused(["origin": "http://127.0.0.1:8080", "host": "127.0.0.1"], reason: "another site")
        try expectAllowed(["origin": "http://127.0.0.1", "host": "127.0.0.1"])
    }

    @Test func otherOriginsAre403() throws {
        try expectRefused(["origin": "http://evil.example", "host": "tasks.example"],
                          reason: "The form was sent from http://evil.example, another site.")
        try expectRefused(["origin": "http://tasks.example.evil.example", "host": "tasks.example"], reason: "another site")
        try expectRefused(["origin": "http://tasks.example:8081", "host": "tasks.example:8080"], reason: "another site")
        try expectRefused(["origin": "null", "host": "tasks.example"], reason: "The form was sent from null")
        // An Origin but no Host to compare with.
        try expectRefused(["origin": "http://tasks.example"], reason: "another site")
        try expectRefused(["origin": "http://tasks.example", "host": ""], reason: "another site")
    }

    @Test func httpsUsesPort443ByDefault() throws {
        try expectAllowed(["origin": "https://tasks.example", "host": "tasks.example"], serverPort: "443")
        try expectAllowed(["origin": "https://tasks.example", "host": "tasks.example"])
        try expectAllowed(["origin": "https://tasks.example:443", "host": "tasks.example"], serverPort: "443")
        try expectAllowed(["origin": "https://tasks.example", "host": "tasks.example:443"])
        try expectAllowed(["origin": "https://tasks.example:8443", "host": "tasks.example"], serverPort: "8443")
        // The scheme's port must match the one the request came in on.
        try expectRefused(["origin": "https://tasks.example", "host": "tasks.example"], serverPort: "80", reason: "another site")
        try expectRefused(["origin": "http://tasks.example", "host": "tasks.example"], serverPort: "443", reason: "another site")
        try expectRefused(["origin": "https://tasks.example", "host": "tasks.example:80"], reason: "another site")
    }

    @Test func ipv6LiteralsKeepTheirBrackets() throws {
        try expectAllowed(["origin": "http://[::1]:8080", "host": "[::1]:8080"])
        try expectAllowed(["origin": "http://[::1]:8080", "host": "[::1]"], serverPort: "8080")
        try expectAllowed(["origin": "http://[::1]", "host": "[::1]"])
        try expectRefused(["origin": "http://[::1]:8080", "host": "[::1]"], serverPort: "9090", reason: "another site")
    }

    @Test func noHeadersAtAllIsAllowed() throws {
        // curl and scripts send neither header and cannot be tricked into posting.
        try expectAllowed([:])
        try expectAllowed(["host": "tasks.example"])
    }

    // MARK: Which requests are checked

    @Test(arguments: ["GET", "HEAD"])
    func readingIsNeverRefused(method: String) throws {
        let web = try Web()
        let task = try web.task("Visible", due: utc(2026, 11, 25))
        let hostile = ["sec-fetch-site": "cross-site", "origin": "http://evil.example", "host": "tasks.example"]
        for path in ["/", "/tasks", "/tasks/new", "/tasks/\(task.id)", "/tasks/\(task.id)/edit", "/healthz"] {
            #expect(web.send(method, path, headers: hostile).status != 403, "\(method) \(path)")
        }
        #expect(web.send(method, "/tasks", headers: hostile).status == 200)
        #expect(CrossOrigin.refusal(Request(method: "OPTIONS", path: "/tasks", headers: hostile)) == nil)
    }

    @Test func crossSiteDeleteAndUpdateAreRefusedAndChangeNothing() throws {
        let web = try Web()
        let task = try web.task("Keep me", due: utc(2026, 11, 25))
        let hostile = ["sec-fetch-site": "cross-site", "host": "tasks.example"]
        #expect(web.post("/tasks/\(task.id)/delete", "", headers: hostile).status == 403)
        #expect(web.post("/tasks/\(task.id)", "title=Pwned&due=2026-11-25T09%3A15", headers: hostile).status == 403)
        #expect(web.post("/tasks/\(task.id)/delete", "", headers: ["origin": "http://evil.example", "host": "tasks.example"])
            .status == 403)
        #expect(try web.store.task(id: task.id) == task)
        #expect(web.notified.count == 0)
    }

    @Test func refusalComesBeforeRouting() throws {
        // Even addresses that do not exist, or methods not allowed, answer 403 to a cross-site post.
        let web = try Web()
        let hostile = ["sec-fetch-site": "cross-site"]
        #expect(web.send("POST", "/nope", headers: hostile).status == 403)
        #expect(web.send("DELETE", "/tasks", headers: hostile).status == 403)
    }

    @Test func refusalOnItsOwn() {
        func refusal(_ method: String, _ headers: [String: String], port: String? = nil) -> String? {
            CrossOrigin.refusal(Request(method: method, path: "/tasks", headers: headers, serverPort: port))
        }
        #expect(refusal("POST", ["sec-fetch-site": "same-origin"]) == nil)
        #expect(refusal("POST", ["sec-fetch-site": "same-site"]) == "The browser reported this form was sent from another site (same-site).")
        #expect(refusal("PUT", ["origin": "http://evil.example", "host": "a"]) == "The form was sent from http://evil.example, another site.")
        #expect(refusal("GET", ["sec-fetch-site": "cross-site"]) == nil)
        #expect(CrossOrigin.sameOrigin("http://a:8080", host: "a", serverPort: "8080"))
        #expect(!CrossOrigin.sameOrigin("http://a:8080", host: "a", serverPort: "9090"))
        #expect(!CrossOrigin.sameOrigin("a:8080", host: "a:8080", serverPort: nil))
        #expect(CrossOrigin.sameOrigin("HTTPS://A", host: "a", serverPort: "443"))
    }
}
