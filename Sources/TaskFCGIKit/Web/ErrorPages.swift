/// The one place errors become pages: an `HTTPError` shows its status and message; a busy or
/// read-only database is a 503 with advice; anything else is a 500 with a request id and a log
/// line, never the internals.
public enum ErrorPages {
    public static func response(for error: Error, request: Request, requestID: () -> String, log: Log) -> Response {
        // Errors the FastCGI edge finds before routing (413, 414, 431, …) reach API clients as JSON too.
        if request.path.hasPrefix("/api/") { return Problem.response(for: error, request: request, requestID: requestID, log: log) }
        if let error = error as? HTTPError {
            var response = page(error.status, error.message)
            response.headers += error.headers.map { ($0.key, $0.value) }
            return response
        }
        if let error = error as? DatabaseUnavailable, let message = unavailable(error, request: request, log: log) {
            var response = page(503, message)
            response.headers.append(("Retry-After", retryAfterSeconds))
            return response
        }
        let id = requestID()
        log.error("http", "\(request.method) \(request.path) failed (request \(id)): \(error)")
        return page(500, "Something went wrong on our side. If it keeps happening, give the operator this request id: \(id).")
    }

    /// What a 503 sends as `Retry-After`.
    public static let retryAfterSeconds = "5"

    /// For a busy, read-only or unreachable database (nothing was changed): logs it and returns
    /// what to tell the user; nil for any other database error.
    public static func unavailable(_ error: DatabaseUnavailable, request: Request, log: Log) -> String? {
        guard error.isBusy || error.isReadOnly || error.isDown else { return nil }
        log.warning("http", "\(request.method) \(request.path): database unavailable: \(error)")
        if error.isBusy { return "The database is busy with other work right now. Nothing was changed; please try again in a moment." }
        if error.isReadOnly { return "The database is read-only right now, so nothing can be changed. Pages still show; please try again later." }
        return "The database cannot be reached right now. Nothing was changed; please try again in a moment."
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
