/// `GET /tasks/changes`: what a live page polls. The answer is the store's change token as an
/// entity tag; a page that sends the token it was rendered with (`If-None-Match`) gets an empty
/// `304` while nothing changed, so a watching page costs one read of the two kept-count rows per
/// poll, and re-fetches itself only after a task really changed.
enum ChangeToken {
    static func response(_ request: Request, _ app: AppContext) throws -> Response {
        let token = try app.store.changeToken()
        let tag = "\"\(token)\""
        // Polls must reach the worker each time: no cache may answer for it.
        let headers: [(name: String, value: String)] = [("ETag", tag), ("Cache-Control", "no-store")]
        if let sent = request.header("if-none-match"), matches(sent, tag) {
            return Response(status: 304, headers: headers)
        }
        return Response(status: 200, headers: [("Content-Type", "application/json")] + headers,
                        body: Array("{\"token\":\(token)}".utf8))
    }

    /// `If-None-Match` may list several tags, or be `*`; weak tags (`W/"…"`) compare equal too.
    static func matches(_ header: String, _ tag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var value = candidate.trimmingPrefix(" ")
            if value.hasPrefix("W/") { value = value.dropFirst(2) }
            let trimmed = value.split(separator: " ").first.map(String.init) ?? ""
            return trimmed == "*" || trimmed == tag
        }
    }
}
