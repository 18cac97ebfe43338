import Testing
@testable import TaskFCGIKit

/// `application/x-www-form-urlencoded` decoding, on its own and as POST /tasks and GET /tasks see it.
@Suite struct FormTests {
    typealias Web = UnitWebFixture

    private func decode(_ text: String) throws -> [(String, String)] {
        try Form(urlEncoded: Array(text.utf8)).fields.map { ($0.name, $0.value) }
    }

    private func fields(_ text: String) throws -> [String] {
        try decode(text).map { $0.0 + "=" + $0.1 }
    }

    /// The status an `HTTPError` thrown by `body` carries, nil when nothing was thrown.
    private func status(_ body: () throws -> Void) -> Int? {
        do { try body() } catch let error as HTTPError { return error.status } catch { return -1 }
        return nil
    }

    // MARK: Form(urlEncoded:)

    @Test func plusAndPercent20AreSpaces() throws {
        #expect(try fields("a=x+y&b=x%20y&c+d=1") == ["a=x y", "b=x y", "c d=1"])
        // An encoded plus stays a plus.
        #expect(try fields("a=1%2B1") == ["a=1+1"])
    }

    @Test func encodedDelimitersStayInsideValues() throws {
        #expect(try fields("q=a%26b%3Dc&r=%3D%3D") == ["q=a&b=c", "r==="])
        // A literal `=` after the first belongs to the value.
        #expect(try fields("q=a=b") == ["q=a=b"])
        #expect(try fields("%74itle=x") == ["title=x"])
    }

    @Test func missingEqualsMeansAnEmptyValue() throws {
        #expect(try fields("flag&x=1") == ["flag=", "x=1"])
        #expect(try fields("=only") == ["=only"])
        #expect(try fields("empty=") == ["empty="])
    }

    @Test func emptyPairsAreSkipped() throws {
        #expect(try fields("&&a=1&&b=2&") == ["a=1", "b=2"])
        #expect(try decode("").isEmpty)
        #expect(try decode("&").isEmpty)
    }

    @Test func duplicatesAreKeptInOrder() throws {
        let form = try Form(urlEncoded: Array("title=a&due=x&title=b".utf8))
        #expect(form.count(of: "title") == 2)
        #expect(form.count(of: "due") == 1)
        #expect(form.count(of: "other") == 0)
        #expect(form["title"] == "a")
        #expect(form["other"] == nil)
        #expect(form == Form(fields: [("title", "a"), ("due", "x"), ("title", "b")]))
    }

    @Test func multiByteUTF8Decodes() throws {
        #expect(try fields("t=%C3%BCber+%E2%82%AC&u=%f0%9f%98%80") == ["t=über €", "u=😀"])
        // Raw (unescaped) UTF-8 bytes pass through.
        #expect(try fields("t=straße") == ["t=straße"])
    }

    @Test(arguments: ["a=%ZZ", "a=%", "a=%4", "a=x%", "a=%G1", "a=%4g", "%=1", "a=%%41", "a=%-1", "a=1&b=%2"])
    func brokenEscapesAre400(text: String) throws {
        #expect(status { _ = try Form(urlEncoded: Array(text.utf8)) } == 400)
    }

    @Test(arguments: ["a=%FF", "a=%C3", "a=%C3%28", "a=%ED%A0%80", "a=%C0%AF", "%FF=1", "a=%F4%90%80%80"])
    func invalidUTF8Is400(text: String) throws {
        #expect(status { _ = try Form(urlEncoded: Array(text.utf8)) } == 400)
    }

    @Test func invalidUTF8ErrorSaysSo() throws {
        #expect(throws: HTTPError(400, "The request is not valid UTF-8 text.")) {
            try Form(urlEncoded: Array("a=%FF".utf8))
        }
        #expect(throws: HTTPError(400, "The request has a broken percent escape (a % not followed by two hex digits).")) {
            try Form(urlEncoded: Array("a=%4".utf8))
        }
    }

    // MARK: POST /tasks

    @Test func escapedValuesReachTheStore() throws {
        let web = try Web()
        let response = web.post("/tasks", "title=Buy+milk%20%26+eggs%3D2+%2B+more&due=2026-11-25T09%3A15")
        #expect(response.status == 303)
        #expect(try web.allTasks().map(\.title) == ["Buy milk & eggs=2 + more"])
    }

    @Test func unknownFieldsAndEmptyPairsAreIgnored() throws {
        let web = try Web()
        let response = web.post("/tasks", "&&submit=Create&title=Plain&&due=2026-11-25T09:15&")
        #expect(response.status == 303)
        #expect(try web.allTasks().map(\.title) == ["Plain"])
    }

    @Test(arguments: ["title=a&title=b&due=2026-11-25T09%3A15", "title=a&due=2026-11-25T09%3A15&due=2026-11-26T09%3A15",
                      "title=a&title=&due=2026-11-25T09%3A15", "title&title=a&due=2026-11-25T09%3A15"])
    func duplicateFieldsAre400(body: String) throws {
        let web = try Web()
        let response = web.post("/tasks", body)
        #expect(response.status == 400)
        #expect(Web.body(response).contains("more than once"))
        #expect(try web.allTasks().isEmpty)
        #expect(web.notified.count == 0)
    }

    @Test func duplicateFieldsOnUpdateAre400AndChangeNothing() throws {
        let web = try Web()
        let task = try web.task("Original", due: utc(2026, 11, 25))
        let response = web.post("/tasks/\(task.id)", "title=a&title=b&due=2026-11-25T09%3A15")
        #expect(response.status == 400)
        #expect(try web.store.task(id: task.id) == task)
    }

    @Test(arguments: ["title=%ZZ&due=2026-11-25T09%3A15", "title=a%&due=2026-11-25T09%3A15",
                      "title=a&due=2026-11-25T09%3", "title=%4&due=2026-11-25T09%3A15",
                      "title=%FF&due=2026-11-25T09%3A15", "title=a&due=%C3"])
    func brokenBodiesAre400(body: String) throws {
        let web = try Web()
        let response = web.post("/tasks", body)
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(try web.allTasks().isEmpty)
    }

    @Test(arguments: ["status=%ZZ", "status=%", "page=%4", "status=%FF", "x=%C3%28"])
    func brokenQueriesAre400(query: String) throws {
        let web = try Web()
        #expect(web.get("/tasks?" + query).status == 400)
    }

    @Test(arguments: [
        "application/json", "multipart/form-data; boundary=xyz", "text/plain", "application/x-www-form-urlencodedx",
        // Only space and tab are HTTP's optional white space (a fuzzer case); İ is not ASCII "i".
        "application/x-www-form-urlencoded\u{0B}", "\napplication/x-www-form-urlencoded", "applİcation/x-www-form-urlencoded",
        "", nil,
    ] as [String?])
    func otherContentTypesWithABodyAre415(contentType: String?) throws {
        let web = try Web()
        let response = web.post("/tasks", "title=a&due=2026-11-25T09%3A15", contentType: contentType)
        #expect(response.status == 415)
        #expect(Web.body(response).contains("application/x-www-form-urlencoded"))
        #expect(try web.allTasks().isEmpty)
    }

    @Test func jsonBodyIs415() throws {
        let web = try Web()
        let response = web.post("/tasks", #"{"title":"a","due":"2026-11-25T09:15"}"#, contentType: "application/json")
        #expect(response.status == 415)
        #expect(Web.body(response).contains("<h1>415 Unsupported Media Type</h1>"))
    }

    @Test(arguments: ["application/x-www-form-urlencoded; charset=UTF-8", "Application/X-WWW-Form-URLEncoded",
                      " application/x-www-form-urlencoded ;charset=utf-8"])
    func formContentTypeVariantsAreAccepted(contentType: String) throws {
        let web = try Web()
        let response = web.post("/tasks", "title=a&due=2026-11-25T09%3A15", contentType: contentType)
        #expect(response.status == 303)
    }

    @Test func emptyBodyIs422WithBothFieldsMissing() throws {
        let web = try Web()
        for contentType in ["application/x-www-form-urlencoded", nil] as [String?] {
            let response = web.post("/tasks", "", contentType: contentType)
            #expect(response.status == 422)
            let page = Web.body(response)
            #expect(page.contains("Enter a title."))
            #expect(page.contains("Enter a due date and time."))
        }
        #expect(try web.allTasks().isEmpty)
    }

    @Test func fieldWithoutEqualsIsEmpty() throws {
        let web = try Web()
        let response = web.post("/tasks", "title&due=2026-11-25T09%3A15")
        #expect(response.status == 422)
        #expect(Web.body(response).contains("Enter a title."))
    }
}
