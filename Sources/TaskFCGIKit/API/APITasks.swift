/// `/api/tasks`: the task pages' twin in JSON, with the same validation and messages.
enum APITasks {
    /// How long an `Idempotency-Key` is remembered.
    static let keyLifetime = Interval.days(1)

    /// A task as the API writes it: RFC 3339 instants in UTC, the id as a number.
    static func json(_ task: TaskItem) -> String {
        var json = JSONText()
        json.field("id", task.id)
        json.field("title", task.title)
        json.field("due", task.due.description)
        json.field("status", task.isCompleted ? "completed" : "pending")
        json.field("actionAt", task.actionAt?.description)
        json.field("createdAt", task.createdAt.description)
        return json.object
    }

    /// `GET /api/tasks`: one page, filtered by `status`, from `page`, `after` or `before`, with `Link` headers.
    static func list(_ request: Request, _ app: AppContext) throws -> Response {
        let query = try request.queryParameters()
        var filter = TaskFilter.all
        if let status = query["status"] {
            guard let chosen = TaskFilter(rawValue: status) else {
                throw HTTPError(400, "Unknown status filter “\(status)”: use all, pending or completed.")
            }
            filter = chosen
        }
        var page: PageStart?
        if let text = query["page"] {
            if text == "last" {
                page = .last
            } else {
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), text.contains(where: { $0 != "0" }) else {
                    throw HTTPError(400, "The page number must be a whole number from 1, or last.")
                }
                page = .number(Int(text) ?? Int.max) // too many digits for a number: a page past the last, so a 404
            }
        }
        // Two starts, each valid alone, are a 422 here: the document cannot say "one of these
        // parameters", so a client following it may well send both, and deserves the field names.
        let start: PageStart
        do {
            start = try ListPaging.start(query, page: page, blankIsAbsent: false, conflictStatus: 422)
        } catch let error as HTTPError where error.status == 422 {
            throw InvalidFields(problems: ["page", "after", "before"].filter { query[$0] != nil }.map {
                FieldProblem(field: $0, message: error.message)
            })
        }
        let listed = try app.store.reading { try ListPaging.load(app.store, filter, start, counts: try app.store.counts()) }
        var json = JSONText()
        json.field("tasks", json: JSONText.array(listed.tasks.map(Self.json)))
        if let number = listed.number { json.field("page", number) }
        json.field("pages", listed.pages)
        json.field("total", listed.total)
        return APIResponse.json(200, json.object, headers: [("Link", links(filter, listed))])
    }

    /// RFC 8288 `Link` header: first, prev, next, last; prev and next carry a cursor.
    static func links(_ filter: TaskFilter, _ page: ListPage) -> String {
        func link(_ start: PageStart, _ relation: String) -> String {
            "</api/tasks?" + (filter == .all ? "" : "status=\(filter.rawValue)&") + start.query + ">; rel=\"\(relation)\""
        }
        var links = [link(.number(1), "first")]
        if let previous = page.previous { links.append(link(previous, "prev")) }
        if let next = page.next { links.append(link(next, "next")) }
        links.append(link(.last, "last"))
        return links.joined(separator: ", ")
    }

    /// `POST /api/tasks`: 201 with `Location`; with an `Idempotency-Key`, a retry gets the first result.
    static func create(_ request: Request, _ app: AppContext) throws -> Response {
        let key = try idempotencyKey(request)
        let body = try JSONInput.object(from: request)
        let (title, due) = try validated(body, current: nil)
        let now = app.clock.now()
        let task: TaskItem
        var replayed = false
        if let key {
            switch try app.store.create(title: title, due: due, now: now, idempotencyKey: key, keptSince: now.adding(Interval(milliseconds: -keyLifetime.milliseconds))) {
            case .created(let created): task = created
            case .replayed(let first):
                // Replaying a 201 for a task someone deleted since would send the client to a 404.
                guard try app.store.task(id: first.id) != nil else {
                    throw HTTPError(409, "This Idempotency-Key created task \(first.id), which has since been deleted; send a new key to create another.")
                }
                (task, replayed) = (first, true)
            case .keyReused:
                throw HTTPError(422, "This Idempotency-Key was used in the last 24 hours to create a different task; send a new key for a new task.")
            }
        } else {
            task = try app.store.create(title: title, due: due, now: now)
        }
        if !replayed { app.notifyJobs(due) }
        return APIResponse.json(201, json(task), headers: [("Location", "/api/tasks/\(task.id)")] + (replayed ? [("Idempotent-Replayed", "true")] : []))
    }

    /// `GET /api/tasks/{id}`.
    static func show(_ request: Request, _ app: AppContext, id: Int64) throws -> Response {
        APIResponse.json(200, json(try find(id, app)))
    }

    /// `PATCH /api/tasks/{id}`: title and/or due of a pending task; a completed one is a 409.
    static func update(_ request: Request, _ app: AppContext, id: Int64) throws -> Response {
        let body = try JSONInput.object(from: request, types: ["application/json", "application/merge-patch+json"])
        let task = try find(id, app)
        if task.isCompleted { throw completedConflict }
        let (title, due) = try validated(body, current: task)
        switch try app.store.update(id: id, title: title, due: due) {
        case .notFound: throw notFound
        case .alreadyCompleted: throw completedConflict
        case .updated:
            app.notifyJobs(due)
            return APIResponse.json(200, json(TaskItem(id: id, title: title, due: due, isCompleted: false, actionAt: nil, createdAt: task.createdAt)))
        }
    }

    /// `DELETE /api/tasks/{id}`: 204, or 404 if there was none.
    static func delete(_ request: Request, _ app: AppContext, id: Int64) throws -> Response {
        guard try app.store.delete(id: id) else { throw notFound }
        return Response(status: 204, headers: APIResponse.headers)
    }

    private static let notFound = HTTPError.notFound("There is no task with this number. It may have been deleted.")
    private static let completedConflict = HTTPError(409, "This task is completed; completed tasks cannot be changed.")

    private static func find(_ id: Int64, _ app: AppContext) throws -> TaskItem {
        guard let task = try app.store.task(id: id) else { throw notFound }
        return task
    }

    /// Title and due from a create (both required) or a patch (either, the rest from `current`).
    private static func validated(_ body: [String: JSONInput], current: TaskItem?) throws -> (String, Instant) {
        var problems: [FieldProblem] = []
        for name in body.keys.sorted() where name != "title" && name != "due" {
            problems.append(FieldProblem(field: name, message: "Unknown field; a task has title and due."))
        }
        var title = current?.title ?? "", due = current?.due ?? Instant(milliseconds: 0)
        switch body["title"] {
        case .string(let text):
            let (clean, problem) = TaskInput.checkTitle(text)
            if let problem { problems.append(FieldProblem(field: "title", message: problem)) } else { title = clean }
        case nil where current != nil: break
        case nil: problems.append(FieldProblem(field: "title", message: "Enter a title."))
        case let other?: problems.append(FieldProblem(field: "title", message: "The title must be a string; this is \(other.kind)."))
        }
        switch body["due"] {
        case .string(let text):
            if let instant = RFC3339.parse(text) { due = instant } else {
                problems.append(FieldProblem(field: "due", message: "Enter the due date as an RFC 3339 instant with its offset, e.g. 2026-12-01T09:00:00Z or 2026-12-01T10:00:00+01:00."))
            }
        case nil where current != nil: break
        case nil: problems.append(FieldProblem(field: "due", message: DueDate.Problem.missing.message))
        case let other?: problems.append(FieldProblem(field: "due", message: "The due date must be a string; this is \(other.kind)."))
        }
        guard problems.isEmpty else { throw InvalidFields(problems: problems) }
        return (title, due)
    }

    /// The `Idempotency-Key` header: 1–255 printable ASCII characters, not starting or ending with a
    /// space (HTTP trims those), optionally in quotes (a structured-field string, as the IETF draft writes it).
    private static func idempotencyKey(_ request: Request) throws -> String? {
        guard var key = request.header("idempotency-key") else { return nil }
        if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") { key = String(key.dropFirst().dropLast()) }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }),
              key.utf8.first != 0x20, key.utf8.last != 0x20 else {
            throw HTTPError(400, "The Idempotency-Key must be 1 to 255 printable ASCII characters, such as a UUID.")
        }
        return key
    }
}
