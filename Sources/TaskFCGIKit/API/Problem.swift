/// What is wrong with one field of a JSON body.
struct FieldProblem: Equatable, Sendable {
    let field: String
    let message: String
}

/// A request the API refuses for its fields: 422 with the field-level list.
struct InvalidFields: Error, Sendable {
    let problems: [FieldProblem]
}

/// RFC 9457 problem details (`application/problem+json`): every error the API sends.
enum Problem {
    /// `{"type":"about:blank","title":…,"status":…,"detail":…,"errors":[{"field","message"}]}`.
    static func response(_ status: Int, _ detail: String, errors: [FieldProblem] = [],
                         headers: [(name: String, value: String)] = []) -> Response {
        var json = JSONText()
        json.field("type", "about:blank")
        json.field("title", Status.reason(status))
        json.field("status", status)
        json.field("detail", detail)
        if !errors.isEmpty {
            json.field("errors", json: JSONText.array(errors.map { problem in
                var item = JSONText()
                item.field("field", problem.field)
                item.field("message", problem.message)
                return item.object
            }))
        }
        return Response(status: status, headers: [("Content-Type", "application/problem+json")] + APIResponse.headers + headers,
                        body: Array((json.object + "\n").utf8))
    }

    /// The one place API errors become problems, as `ErrorPages` does for pages: an `HTTPError`
    /// keeps its status, message and headers; invalid fields are a 422; a busy or read-only database
    /// a 503 with `Retry-After`; anything else a 500 with a request id in the log.
    static func response(for error: Error, request: Request, requestID: () -> String, log: Log) -> Response {
        switch error {
        case let error as HTTPError:
            return response(error.status, error.message, headers: error.headers.map { ($0.key, $0.value) })
        case let error as InvalidFields:
            let detail = error.problems.count == 1 ? "One field is invalid." : "\(error.problems.count) fields are invalid."
            return response(422, detail + " See errors.", errors: error.problems)
        case let error as SQLiteError where error.isBusy || error.isReadOnly:
            log.warning("http", "\(request.method) \(request.path): database unavailable: \(error)")
            return response(503, error.isBusy ? "The database is busy; nothing was changed. Try again in a moment."
                                              : "The database is read-only right now; nothing can be changed.",
                            headers: [("Retry-After", "5")])
        default:
            let id = requestID()
            log.error("http", "\(request.method) \(request.path) failed (request \(id)): \(error)")
            return response(500, "Something went wrong on our side. If it keeps happening, give the operator this request id: \(id).")
        }
    }
}

/// What every API response carries.
enum APIResponse {
    static let headers: [(name: String, value: String)] = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]

    /// A JSON body.
    static func json(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json")] + Self.headers + headers,
                 body: Array((body + "\n").utf8))
    }
}
