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

    /// API errors as problems, from the one decision `ErrorVerdict.classify` makes (the pages
    /// draw the same decision as HTML).
    static func response(for error: Error, request: Request, requestID: () -> String, log: Log) -> Response {
        let verdict = ErrorVerdict.classify(error, request: request, requestID: requestID)
        verdict.write(to: log)
        return response(verdict.status, verdict.message, errors: verdict.fields, headers: verdict.headers)
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
