/// What an error means to the client, decided in one place for every route: status, the message a
/// person can act on, headers (`Allow`, `Retry-After`, `WWW-Authenticate`), invalid fields, and
/// whether and how loudly it is logged. `ErrorPages` draws it as HTML, `Problem` as problem+json.
public struct ErrorVerdict: Sendable {
    public var status: Int
    public var message: String
    public var headers: [(name: String, value: String)]
    /// The fields at fault (a 422 from the API's JSON input).
    var fields: [FieldProblem] = []
    /// The log line's level, and what it says (nil: nothing logged, e.g. a 404).
    public var log: (level: LogLevel, message: String)?

    /// What a 503 sends as `Retry-After`.
    public static let retryAfterSeconds = "5"

    /// The one classifier. `HTTPError` keeps its status, message and headers; invalid fields are
    /// a 422; a busy, locked, read-only or unreachable database (either backend) is a 503 with
    /// `Retry-After`, logged as a warning; anything else a 500 with a request id, logged as an error.
    public static func classify(_ error: Error, request: Request, requestID: () -> String) -> ErrorVerdict {
        switch error {
        case let error as HTTPError:
            var headers = error.headers
            // Every 503 says when to come back, wherever it was thrown (the FastCGI edge's "cannot
            // open the database" too).
            if error.status == 503, headers["Retry-After"] == nil { headers["Retry-After"] = retryAfterSeconds }
            return ErrorVerdict(status: error.status, message: error.message, headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        case let error as InvalidFields:
            let detail = error.problems.count == 1 ? "One field is invalid." : "\(error.problems.count) fields are invalid."
            return ErrorVerdict(status: 422, message: detail + " See errors.", headers: [], fields: error.problems)
        case let error as DatabaseUnavailable:
            if let message = unavailableMessage(error) {
                return ErrorVerdict(status: 503, message: message, headers: [("Retry-After", retryAfterSeconds)],
                                    log: (.warning, "\(request.method) \(request.path): database unavailable: \(error)"))
            }
        default: break
        }
        let id = requestID()
        return ErrorVerdict(status: 500, message: "Something went wrong on our side. If it keeps happening, give the operator this request id: \(id).",
                            headers: [], log: (.error, "\(request.method) \(request.path) failed (request \(id)): \(error)"))
    }

    /// What to tell the user about a busy, read-only or unreachable database (nothing was
    /// changed); nil for any other database error (a constraint, a bug: a 500).
    public static func unavailableMessage(_ error: DatabaseUnavailable) -> String? {
        if error.isBusy { return "The database is busy with other work right now. Nothing was changed; please try again in a moment." }
        if error.isReadOnly { return "The database is read-only right now, so nothing can be changed. Pages still show; please try again later." }
        if error.isDown { return "The database cannot be reached right now. Nothing was changed; please try again in a moment." }
        return nil
    }

    /// Writes the verdict's log line, if it has one.
    func write(to log: Log) {
        guard let line = self.log else { return }
        switch line.level {
        case .debug: log.debug("http", line.message)
        case .info: log.info("http", line.message)
        case .warning: log.warning("http", line.message)
        case .error: log.error("http", line.message)
        }
    }
}
