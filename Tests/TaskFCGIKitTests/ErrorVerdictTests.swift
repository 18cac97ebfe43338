import Foundation
import Testing
@testable import TaskFCGIKit

/// One classifier, two renderers: every database fault is the same 503 with `Retry-After` on a
/// page and in the API, whichever backend raised it.
@Suite struct ErrorVerdictTests {
    typealias Web = UnitWebFixture

    /// A database error as the PostgreSQL backend reports them (this build may not link libpq).
    struct Outage: DatabaseUnavailable, CustomStringConvertible {
        var isBusy = false, isReadOnly = false, isDown = false
        var description: String { "PostgreSQL error 08006: server closed the connection unexpectedly" }
    }

    static let faults: [(String, any Error, String)] = [
        ("SQLite busy", SQLiteError(code: 5, message: "database is locked", sql: nil), "busy"),
        ("SQLite locked", SQLiteError(code: 6, message: "database table is locked", sql: nil), "busy"),
        ("SQLite read-only", SQLiteError(code: 8, message: "attempt to write a readonly database", sql: nil), "read-only"),
        ("lock timeout", Outage(isBusy: true), "busy"),
        ("read-only stand-by", Outage(isReadOnly: true), "read-only"),
        ("server stopped", Outage(isDown: true), "cannot be reached"),
    ]

    @Test("a busy, locked, read-only or unreachable database: 503, Retry-After and the same words as HTML and as problem+json, one warning each")
    func databaseFaults() throws {
        let web = try Web()
        for (name, error, words) in Self.faults {
            let page = ErrorPages.response(for: error, request: Request(method: "POST", path: "/tasks"), requestID: { "id" }, log: web.log)
            let api = ErrorPages.response(for: error, request: Request(method: "POST", path: "/api/tasks"), requestID: { "id" }, log: web.log)
            #expect(page.status == 503 && api.status == 503, "\(name)")
            #expect(page.header("Retry-After") == "5" && api.header("Retry-After") == "5", "\(name)")
            #expect(page.header("Content-Type") == "text/html; charset=utf-8" && api.header("Content-Type") == "application/problem+json")
            let verdict = ErrorVerdict.classify(error, request: Request(method: "GET", path: "/"), requestID: { "id" })
            #expect(Web.body(page).contains(verdict.message) && verdict.message.contains(words), "\(name)")
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(api.body)) as? [String: Any])
            #expect(problem["detail"] as? String == verdict.message && problem["status"] as? Int == 503, "\(name)")
            #expect(!Web.body(page).contains("08006") && !Web.body(api).contains("08006"), "internals stay in the log")
        }
        let warnings = try web.logLines().filter { $0.contains("WARN  [http]") && $0.contains("database unavailable") }
        #expect(warnings.count == 2 * Self.faults.count)
    }

    @Test("every 503 carries Retry-After, also one thrown without it (the FastCGI edge's database that cannot be opened)")
    func every503SaysWhenToComeBack() throws {
        let web = try Web()
        let error = HTTPError(503, "The database cannot be opened right now. Please try again in a moment.")
        for path in ["/tasks", "/api/tasks"] {
            let response = ErrorPages.response(for: error, request: Request(method: "GET", path: path), requestID: { "x" }, log: web.log)
            #expect(response.status == 503 && response.header("Retry-After") == "5", "\(path)")
        }
    }

    @Test("any other error: 500 with the request id on both, an error line in the log")
    func otherErrors() throws {
        struct Boom: Error {}
        let web = try Web()
        let page = ErrorPages.response(for: Boom(), request: Request(method: "GET", path: "/tasks"), requestID: { "abc123" }, log: web.log)
        let api = ErrorPages.response(for: Boom(), request: Request(method: "GET", path: "/api/tasks"), requestID: { "abc124" }, log: web.log)
        #expect(page.status == 500 && api.status == 500 && page.header("Retry-After") == nil)
        #expect(Web.body(page).contains("abc123") && Web.body(api).contains("abc124"))
        #expect(try web.logLines().filter { $0.contains("ERROR [http]") }.count == 2)
    }

    @Test("a held write lock: the API's POST is a 503 problem with Retry-After, like the form's")
    func lockedThroughTheAPI() throws {
        let web = try Web(busyTimeoutMilliseconds: 20)
        let other = try Connection(location: web.databasePath)
        try other.execute("BEGIN IMMEDIATE")
        let response = web.send("POST", "/api/tasks", headers: ["content-type": "application/json"],
                                body: Array(#"{"title":"Blocked","due":"2026-11-25T09:15:00Z"}"#.utf8))
        #expect(response.status == 503 && response.header("Retry-After") == "5")
        #expect(response.header("Content-Type") == "application/problem+json")
        try other.execute("ROLLBACK")
        #expect(web.send("POST", "/api/tasks", headers: ["content-type": "application/json"],
                         body: Array(#"{"title":"Unblocked","due":"2026-11-25T09:15:00Z"}"#.utf8)).status == 201)
    }
}
