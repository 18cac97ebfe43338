import Foundation
import Testing
@testable import TaskFCGIKit

/// The JSON API called as the server calls it (no sockets): every route, status and problem shape.
@Suite struct APITests {
    /// A JSON request as a non-browser client sends it.
    static func json(_ fixture: UnitWebFixture, _ method: String, _ target: String, _ body: String?,
                     headers: [String: String] = [:], contentType: String = "application/json") -> Response {
        var headers = headers
        if body != nil { headers["content-type"] = contentType }
        return fixture.send(method, target, headers: headers, body: Array((body ?? "").utf8))
    }

    static func body(_ response: Response) -> String { String(decoding: response.body, as: UTF8.self) }

    static func object(_ response: Response) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    /// The `errors` of a problem, as (field, message).
    static func fieldErrors(_ response: Response) throws -> [String: String] {
        let errors = try object(response)["errors"] as? [[String: String]] ?? []
        return Dictionary(uniqueKeysWithValues: errors.map { ($0["field"] ?? "", $0["message"] ?? "") })
    }

    @Test("POST creates: 201, Location, the task with RFC 3339 instants; GET reads it back")
    func createAndRead() throws {
        let fixture = try UnitWebFixture()
        let created = Self.json(fixture, "POST", "/api/tasks", #"{"title":"  Ship <it> & \"go\"  ","due":"2026-12-01T10:00:00+01:00"}"#)
        #expect(created.status == 201)
        #expect(created.header("Content-Type") == "application/json")
        let task = try Self.object(created)
        let id = try #require(task["id"] as? Int)
        #expect(created.header("Location") == "/api/tasks/\(id)")
        #expect(task["title"] as? String == "Ship <it> & \"go\"")
        #expect(task["due"] as? String == "2026-12-01T09:00:00.000Z")
        #expect(task["status"] as? String == "pending")
        #expect(task["actionAt"] is NSNull)
        #expect(fixture.notified.count == 1)
        let read = fixture.get("/api/tasks/\(id)")
        #expect(read.status == 200)
        #expect(try Self.object(read)["title"] as? String == "Ship <it> & \"go\"")
    }

    @Test("invalid fields: 422 problem+json listing each field with the form's messages")
    func validation() throws {
        let fixture = try UnitWebFixture()
        let response = Self.json(fixture, "POST", "/api/tasks", #"{"title":"   ","due":"2026-12-01T09:00","extra":1}"#)
        #expect(response.status == 422)
        #expect(response.header("Content-Type") == "application/problem+json")
        let problem = try Self.object(response)
        #expect(problem["status"] as? Int == 422 && problem["title"] as? String == "Unprocessable Content")
        let errors = try Self.fieldErrors(response)
        #expect(errors["title"] == "Enter a title.")
        #expect(errors["due"]?.contains("RFC 3339") == true)
        #expect(errors["extra"] != nil)
        let missing = try Self.fieldErrors(Self.json(fixture, "POST", "/api/tasks", "{}"))
        #expect(missing == ["title": "Enter a title.", "due": "Enter a due date and time."])
        let wrongTypes = try Self.fieldErrors(Self.json(fixture, "POST", "/api/tasks", #"{"title":5,"due":null}"#))
        #expect(wrongTypes["title"] == "The title must be a string; this is a number.")
        #expect(wrongTypes["due"] == "The due date must be a string; this is null.")
        #expect(try fixture.allTasks().isEmpty)
    }

    @Test("malformed JSON 400, wrong content type 415, a non-object 422, unknown id 404, wrong method 405 with Allow")
    func errorStatuses() throws {
        let fixture = try UnitWebFixture()
        #expect(Self.json(fixture, "POST", "/api/tasks", #"{"title":"#).status == 400)
        #expect(Self.json(fixture, "POST", "/api/tasks", "title=a&due=b", contentType: "application/x-www-form-urlencoded").status == 415)
        #expect(Self.json(fixture, "POST", "/api/tasks", "[1]").status == 422)
        #expect(fixture.get("/api/tasks/99").status == 404)
        #expect(fixture.get("/api/tasks/abc").status == 404)
        #expect(fixture.get("/api/nothing").status == 404)
        let put = fixture.send("PUT", "/api/tasks")
        #expect(put.status == 405 && put.header("Allow") == "GET, HEAD, POST")
        #expect(put.header("Content-Type") == "application/problem+json")
        #expect(fixture.get("/api/tasks?status=done").status == 400)
        #expect(fixture.get("/api/tasks?page=0").status == 400)
        #expect(fixture.get("/api/tasks?page=2").status == 404)
        #expect(fixture.get("/api/tasks?page=10621495418791600848896").status == 404, "past the last page, however large")
    }

    @Test("PATCH changes a pending task; a completed one is 409; DELETE is 204 then 404")
    func patchAndDelete() throws {
        let fixture = try UnitWebFixture()
        let task = try fixture.task("Old", due: utc(2027, 1, 1))
        let patched = Self.json(fixture, "PATCH", "/api/tasks/\(task.id)", #"{"title":"New"}"#, contentType: "application/merge-patch+json")
        #expect(patched.status == 200)
        #expect(try Self.object(patched)["title"] as? String == "New")
        #expect(try fixture.store.task(id: task.id)?.due == utc(2027, 1, 1))
        let done = try fixture.completedTask("Done")
        #expect(Self.json(fixture, "PATCH", "/api/tasks/\(done.id)", #"{"title":"x"}"#).status == 409)
        #expect(fixture.send("DELETE", "/api/tasks/\(task.id)").status == 204)
        #expect(fixture.send("DELETE", "/api/tasks/\(task.id)").status == 404)
    }

    @Test("an Idempotency-Key retried 10 times creates one task and answers the first result each time")
    func idempotency() throws {
        let fixture = try UnitWebFixture()
        let body = #"{"title":"Once","due":"2027-01-01T00:00:00Z"}"#
        let answers = (0..<10).map { _ in Self.json(fixture, "POST", "/api/tasks", body, headers: ["idempotency-key": "abc-123"]) }
        #expect(answers.allSatisfy { $0.status == 201 })
        #expect(Set(answers.map { $0.header("Location") ?? "" }).count == 1)
        #expect(Set(answers.map(\.body)).count == 1)
        #expect(try fixture.allTasks().count == 1)
        let reused = Self.json(fixture, "POST", "/api/tasks", #"{"title":"Other","due":"2027-01-01T00:00:00Z"}"#,
                               headers: ["idempotency-key": "abc-123"])
        #expect(reused.status == 422)
        // Once its task is deleted, a replay says so rather than pointing at a task that is gone.
        let id = try #require(fixture.allTasks().first?.id)
        #expect(fixture.send("DELETE", "/api/tasks/\(id)").status == 204)
        let gone = Self.json(fixture, "POST", "/api/tasks", body, headers: ["idempotency-key": "abc-123"])
        #expect(gone.status == 409 && Self.body(gone).contains("deleted"))
        #expect(try fixture.allTasks().isEmpty)
        // After 24 h the key is forgotten: the same request creates a second task.
        fixture.clock.set(fixture.clock.now().adding(.hours(25)))
        #expect(Self.json(fixture, "POST", "/api/tasks", body, headers: ["idempotency-key": "abc-123"]).status == 201)
        #expect(try fixture.allTasks().count == 1)
        #expect(Self.json(fixture, "POST", "/api/tasks", body, headers: ["idempotency-key": "bad key\u{7F}"]).status == 400)
    }

    @Test("a cross-site JSON POST is refused with 403 and creates nothing")
    func crossSite() throws {
        let fixture = try UnitWebFixture()
        let body = #"{"title":"Evil","due":"2027-01-01T00:00:00Z"}"#
        let refused = Self.json(fixture, "POST", "/api/tasks", body, headers: ["sec-fetch-site": "cross-site"])
        #expect(refused.status == 403 && refused.header("Content-Type") == "application/problem+json")
        let origin = Self.json(fixture, "POST", "/api/tasks", body, headers: ["origin": "https://evil.example", "host": "tasks.example"])
        #expect(origin.status == 403)
        #expect(try fixture.allTasks().isEmpty)
    }

    @Test("the list pages with Link headers and filters by status")
    func listing() throws {
        let fixture = try UnitWebFixture()
        for index in 0..<55 { try fixture.task("T\(index)", due: utc(2027, 1, 1).adding(.minutes(Int64(index)))) }
        let first = fixture.get("/api/tasks")
        #expect(first.status == 200)
        let page = try Self.object(first)
        #expect((page["tasks"] as? [Any])?.count == 50 && page["pages"] as? Int == 2 && page["total"] as? Int == 55)
        #expect(page["page"] as? Int == 1)
        let row50 = try #require(try fixture.store.list(.all, limit: 1, offset: 49).first)
        let after = "after=\(row50.due.milliseconds).\(row50.id)"
        #expect(first.header("Link") == #"</api/tasks?page=1>; rel="first", </api/tasks?"# + after + #">; rel="next", </api/tasks?page=last>; rel="last""#)
        // The next link's page: the last five, found by the cursor (so no page number).
        let next = fixture.get("/api/tasks?" + after)
        let second = try Self.object(next)
        #expect((second["tasks"] as? [[String: Any]])?.map { $0["title"] as? String } == (50..<55).map { "T\($0)" })
        #expect(second["page"] == nil && second["pages"] as? Int == 2 && second["total"] as? Int == 55)
        let row51 = try #require(try fixture.store.list(.all, limit: 1, offset: 50).first)
        #expect(next.header("Link") == #"</api/tasks?page=1>; rel="first", </api/tasks?before=\#(row51.due.milliseconds).\#(row51.id)>; rel="prev", </api/tasks?page=last>; rel="last""#)
        // Old page numbers still work, and the status filter stays in the links.
        let old = fixture.get("/api/tasks?status=pending&page=2")
        #expect((try Self.object(old)["tasks"] as? [Any])?.count == 5)
        #expect(old.header("Link")?.contains("</api/tasks?status=pending&before=\(row51.due.milliseconds).\(row51.id)>; rel=\"prev\"") == true)
        let last = try Self.object(fixture.get("/api/tasks?page=last"))
        #expect(last["page"] as? Int == 2 && (last["tasks"] as? [Any])?.count == 5)
        #expect((try Self.object(fixture.get("/api/tasks?status=completed"))["tasks"] as? [Any])?.isEmpty == true)
    }

    @Test("a malformed cursor is a 400 problem, two page starts a 422 naming both")
    func cursorErrors() throws {
        let fixture = try UnitWebFixture()
        for query in ["after=", "after=x", "before=1.2.3", "after=-1", "before=1.2%0A", "after=1234567890123456789.0"] {
            let response = fixture.get("/api/tasks?" + query)
            #expect(response.status == 400 && response.header("Content-Type") == "application/problem+json", "\(query)")
            #expect(Self.body(response).contains("cursor must be a due time in Unix milliseconds"), "\(query)")
        }
        let both = fixture.get("/api/tasks?page=1&after=1.2")
        #expect(both.status == 422)
        #expect(try Self.fieldErrors(both) == ["page": "Give only one of page, after and before.", "after": "Give only one of page, after and before."])
        #expect(fixture.get("/api/tasks?page=last").status == 200)
        #expect(fixture.get("/api/tasks?page=Last").status == 400)
    }

    @Test("/api/openapi.json is JSON naming every path the router answers")
    func document() throws {
        let fixture = try UnitWebFixture()
        let response = fixture.get("/api/openapi.json")
        #expect(response.status == 200)
        let document = try Self.object(response)
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = Set((document["paths"] as? [String: Any] ?? [:]).keys)
        let templates = Set(Route.allCases.map(\.template).filter { $0.hasPrefix("/api/") && $0 != "/api/other" })
        #expect(paths == templates)
    }
}

@Suite struct RFC3339Tests {
    @Test("instants with Z, offsets, fractions and a leap second; anything else is nil")
    func parsing() {
        #expect(RFC3339.parse("2026-12-01T09:00:00Z") == utc(2026, 12, 1, 9))
        #expect(RFC3339.parse("2026-12-01t10:30:00+01:30") == utc(2026, 12, 1, 9))
        #expect(RFC3339.parse("2026-12-01T04:00:00.5-05:00")?.milliseconds == utc(2026, 12, 1, 9).milliseconds + 500)
        #expect(RFC3339.parse("2026-12-31T23:59:60Z") == utc(2027, 1, 1))
        for bad in ["2026-12-01T09:00:00", "2026-12-01T09:00Z", "2026-02-30T09:00:00Z", "2026-12-01T24:00:00Z",
                    "2026-12-01T09:00:00+0100", "2026-12-01T09:00:00.Z", "2026-12-01 09:00:00Z", "", "2026-12-01T09:00:00Z ",
                    "0000-01-01T00:00:00+23:59" /* year -1 in UTC: found by the fuzz target */] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
    }
}
