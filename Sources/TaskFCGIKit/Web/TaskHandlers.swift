/// The task pages' handlers: plain functions from a request to a response.
enum TaskHandlers {
    static func list(_ request: Request, _ app: AppContext) throws -> Response {
        let query = try request.queryParameters()
        var filter = TaskFilter.all
        if let status = query["status"], !status.isEmpty {
            guard let chosen = TaskFilter(rawValue: status) else {
                throw HTTPError(400, "Unknown status filter “\(status)”: use all, pending or completed.")
            }
            filter = chosen
        }
        var page: PageStart?
        if let text = query["page"], !text.isEmpty {
            if text == "last" {
                page = .last
            } else {
                guard text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = Int(text), number >= 1 else {
                    throw HTTPError(400, "The page number must be a whole number from 1. (Or last, for the last page.)")
                }
                page = .number(number)
            }
        }
        let start = try ListPaging.start(query, page: page, blankIsAbsent: true)
        // The token with the counts, before the rows: a change after it is read moves it, so a
        // live page cannot miss one. One read for both (see `TaskStore.reading`).
        let (counts, token, listed) = try app.store.reading {
            let (counts, token) = try app.store.countsAndChangeToken()
            return (counts, token, try ListPaging.load(app.store, filter, start, counts: counts))
        }
        let model = TaskPages.ListModel(page: listed, filter: filter,
                                        counts: counts, now: app.clock.now(), zone: app.zone, token: token)
        return TaskPages.list(model)
    }

    static func new(_ request: Request, _ app: AppContext) throws -> Response {
        TaskPages.form(id: nil, input: TaskInput(), zone: app.zone)
    }

    static func create(_ request: Request, _ app: AppContext) throws -> Response {
        let input = try TaskInput(form: try request.form())
        switch input.validate(in: app.zone) {
        case .failure(let invalid):
            return TaskPages.form(id: nil, input: input, problems: invalid.problems, zone: app.zone)
        case .success(let valid):
            return try keepingInput(request, app, id: nil, input) {
                let task = try app.store.create(title: valid.title, due: valid.due, now: app.clock.now())
                app.notifyJobs(valid.due)
                return .redirect("/tasks/\(task.id)")
            }
        }
    }

    static func show(_ request: Request, _ app: AppContext, id: Int64) throws -> Response {
        let token = try app.store.changeToken()
        return TaskPages.detail(try find(id, app), now: app.clock.now(), zone: app.zone, token: token)
    }

    static func edit(_ request: Request, _ app: AppContext, id: Int64) throws -> Response {
        let task = try find(id, app)
        if task.isCompleted { return TaskPages.readOnly(task) }
        let input = TaskInput(title: task.title, due: DueDate.inputValue(task.due, in: app.zone))
        return TaskPages.form(id: id, input: input, zone: app.zone)
    }

    static func update(_ request: Request, _ app: AppContext, id: Int64) throws -> Response {
        let task = try find(id, app)
        if task.isCompleted { return TaskPages.readOnly(task) }
        let input = try TaskInput(form: try request.form())
        switch input.validate(in: app.zone, keeping: task.due) {
        case .failure(let invalid):
            return TaskPages.form(id: id, input: input, problems: invalid.problems, zone: app.zone)
        case .success(let valid):
            return try keepingInput(request, app, id: id, input) {
                switch try app.store.update(id: id, title: valid.title, due: valid.due) {
                case .notFound: throw taskNotFound
                case .alreadyCompleted: return TaskPages.readOnly(task)
                case .updated:
                    app.notifyJobs(valid.due)
                    return .redirect("/tasks/\(id)")
                }
            }
        }
    }

    /// Runs a write; when the database is busy, read-only or unreachable the user gets the form back as typed,
    /// with a 503 and `Retry-After`, so resubmitting is one click and nothing was half done.
    private static func keepingInput(_ request: Request, _ app: AppContext, id: Int64?, _ input: TaskInput,
                                     _ write: () throws -> Response) throws -> Response {
        do { return try write() } catch let error as DatabaseUnavailable {
            guard let message = ErrorPages.unavailable(error, request: request, log: app.log) else { throw error }
            var response = TaskPages.form(id: id, input: input, zone: app.zone, notice: message)
            response.headers.append(("Retry-After", ErrorPages.retryAfterSeconds))
            return response
        }
    }

    static func delete(_ request: Request, _ app: AppContext, id: Int64) throws -> Response {
        guard try app.store.delete(id: id) else { throw taskNotFound }
        return .redirect("/tasks")
    }

    private static let taskNotFound = HTTPError.notFound("There is no task with this number. It may have been deleted.")

    private static func find(_ id: Int64, _ app: AppContext) throws -> TaskItem {
        guard let task = try app.store.task(id: id) else { throw taskNotFound }
        return task
    }
}
