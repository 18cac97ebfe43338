/// Maps a request to its handler, refusing cross-site posts first. HEAD is served as GET
/// (the FastCGI edge drops the body).
public enum Router {
    public static func handle(_ request: Request, _ app: AppContext) throws -> Response {
        if let refusal = CrossOrigin.refusal(request) {
            throw HTTPError(403, refusal + " To protect your tasks, forms are accepted only from this site’s own pages.")
        }
        let method = request.method == "HEAD" ? "GET" : request.method
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        switch (parts.first ?? "", parts.count) {
        case ("", 1):
            try allow(method, ["GET", "HEAD"])
            return .redirect("/tasks")
        case ("healthz", 1):
            try allow(method, ["GET", "HEAD"])
            return try OpsHandlers.health(request, app)
        case ("status", 1):
            try allow(method, ["GET", "HEAD"])
            return try OpsHandlers.status(request, app)
        case ("jobs", 1):
            try allow(method, ["GET", "HEAD"])
            return try OpsHandlers.jobs(request, app)
        case ("jobs", 3) where parts[2] == "run":
            try allow(method, ["POST"])
            return try OpsHandlers.runNow(request, app, name: parts[1])
        case ("tasks", 1):
            try allow(method, ["GET", "HEAD", "POST"])
            return method == "POST" ? try TaskHandlers.create(request, app) : try TaskHandlers.list(request, app)
        case ("tasks", 2) where parts[1] == "new":
            try allow(method, ["GET", "HEAD"])
            return try TaskHandlers.new(request, app)
        case ("tasks", 2):
            let id = try taskID(parts[1])
            try allow(method, ["GET", "HEAD", "POST"])
            return method == "POST" ? try TaskHandlers.update(request, app, id: id) : try TaskHandlers.show(request, app, id: id)
        case ("tasks", 3) where parts[2] == "edit":
            let id = try taskID(parts[1])
            try allow(method, ["GET", "HEAD"])
            return try TaskHandlers.edit(request, app, id: id)
        case ("tasks", 3) where parts[2] == "delete":
            let id = try taskID(parts[1])
            try allow(method, ["POST"])
            return try TaskHandlers.delete(request, app, id: id)
        default:
            throw HTTPError.notFound()
        }
    }

    /// Throws 405 with `Allow` unless `method` is allowed.
    private static func allow(_ method: String, _ allowed: [String]) throws {
        guard allowed.contains(method) else { throw HTTPError.methodNotAllowed(allowed) }
    }

    /// A task id: digits only, 1 … Int64.max; anything else is a page that does not exist.
    private static func taskID(_ text: String) throws -> Int64 {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let id = Int64(text), id > 0 else {
            throw HTTPError.notFound("There is no task with this number.")
        }
        return id
    }
}
