/// Errors drawn as HTML pages, from the one decision `ErrorVerdict.classify` makes; `/api/`
/// addresses get the same decision as problem+json (`Problem`).
public enum ErrorPages {
    public static func response(for error: Error, request: Request, requestID: () -> String, log: Log) -> Response {
        // Errors the FastCGI edge finds before routing (413, 414, 431, …) reach API clients as JSON too.
        if request.path.hasPrefix("/api/") { return Problem.response(for: error, request: request, requestID: requestID, log: log) }
        let verdict = ErrorVerdict.classify(error, request: request, requestID: requestID)
        verdict.write(to: log)
        var response = page(verdict.status, verdict.message)
        response.headers += verdict.headers
        return response
    }

    /// What a 503 sends as `Retry-After`.
    public static var retryAfterSeconds: String { ErrorVerdict.retryAfterSeconds }

    /// For a busy, read-only or unreachable database (nothing was changed): logs it and returns
    /// what to tell the user; nil for any other database error.
    public static func unavailable(_ error: DatabaseUnavailable, request: Request, log: Log) -> String? {
        guard let message = ErrorVerdict.unavailableMessage(error) else { return nil }
        log.warning("http", "\(request.method) \(request.path): database unavailable: \(error)")
        return message
    }

    /// A short page for a status and message.
    public static func page(_ status: Int, _ message: String) -> Response {
        Layout.page(title: Status.reason(status), status: status) { html in
            html.raw("<h1>")
            html.number(status)
            html.raw(" ")
            html.text(Status.reason(status))
            html.raw("</h1><p>")
            html.text(message)
            html.raw("</p><p><a href=\"/tasks\">Go to the task list</a></p>")
        }
    }
}
