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
        if let error = error as? SQLiteError, error.isBusy || error.isReadOnly {
            log.warning("http", "\(request.method) \(request.path): database unavailable: \(error)")
            var response = page(503, error.isBusy
                ? "The database is busy with other work right now. Nothing was changed; please try again in a moment."
                : "The database is read-only right now, so nothing can be changed. Pages still show; please try again later.")
            response.headers.append(("Retry-After", "5"))
            return response
        }
        let id = requestID()
        log.error("http", "\(request.method) \(request.path) failed (request \(id)): \(error)")
        return page(500, "Something went wrong on our side. If it keeps happening, give the operator this request id: \(id).")
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
