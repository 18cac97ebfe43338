/// Where a list page starts, as its address says: what the HTML list and `GET /api/tasks` share.
public enum PageStart: Equatable, Sendable {
    /// `?page=N` (and no parameter: page 1): by offset, so old links keep working; its cost grows
    /// with N. The list's own links use the keyset starts below, and page 1.
    case number(Int)
    /// `?page=last`: the last page, aligned with the `?page=N` pages (its size is what remains).
    case last
    /// `?after=<due>.<id>`: the page just after that row in list order.
    case after(TaskCursor)
    /// `?before=<due>.<id>`: the page just before that row.
    case before(TaskCursor)

    /// The query parameter of a link to this page, e.g. `after=1767258000000.42`.
    public var query: String {
        switch self {
        case .number(let number): return "page=\(number)"
        case .last: return "page=last"
        case .after(let cursor): return "after=\(cursor)"
        case .before(let cursor): return "before=\(cursor)"
        }
    }
}

/// One page of a list and where its neighbours start.
public struct ListPage: Sendable {
    public var tasks: [TaskItem]
    /// Known for `?page=N`, the first and the last page; a page found by a cursor does not know
    /// how many rows come before it without counting them, which is what keyset paging avoids.
    public var number: Int?
    public var pages: Int
    /// Tasks in the list, from the kept counts.
    public var total: Int
    /// Nil on the first page.
    public var previous: PageStart?
    /// Nil on the last page.
    public var next: PageStart?
}

/// Reads a list page's start from its query and loads the page.
enum ListPaging {
    static var size: Int { TaskPages.pageSize }

    /// `after` or `before` from `query`, else `page` (already read by the caller, whose rules for
    /// page numbers differ), else page 1. A malformed cursor is a 400; more than one of the three a
    /// `conflictStatus`. `blankIsAbsent`: an empty value counts as not given (the HTML list, whose
    /// forms may send one).
    static func start(_ query: Form, page: PageStart?, blankIsAbsent: Bool, conflictStatus: Int = 400) throws -> PageStart {
        var starts: [PageStart] = page.map { [$0] } ?? []
        for name in ["after", "before"] {
            guard let text = query[name], !(blankIsAbsent && text.isEmpty) else { continue }
            guard let cursor = TaskCursor(text) else {
                throw HTTPError(400, "The \(name) cursor must be a due time in Unix milliseconds and a task number joined by a dot, as the list's own links write it (e.g. \(name)=1767258000000.42).")
            }
            starts.append(name == "after" ? .after(cursor) : .before(cursor))
        }
        guard starts.count <= 1 else {
            throw HTTPError(conflictStatus, "Give only one of page, after and before.")
        }
        return starts.first ?? .number(1)
    }

    /// The page at `start` of the tasks `filter` selects; `counts` are the kept counts. A page
    /// number past the last is a 404.
    static func load(_ store: TaskStore, _ filter: TaskFilter, _ start: PageStart, counts: TaskCounts) throws -> ListPage {
        let total = counts.count(filter)
        let pages = max(1, (total + size - 1) / size)
        var page = ListPage(tasks: [], number: nil, pages: pages, total: total, previous: nil, next: nil)
        switch start {
        case .number(let number):
            guard number <= pages else {
                throw HTTPError.notFound("There is no page \(number) of this list; the last page is \(pages).")
            }
            page.tasks = try store.list(filter, limit: size, offset: (number - 1) * size)
            page.number = number
            if number > 1, let first = page.tasks.first { page.previous = .before(TaskCursor(first)) }
            if number < pages, let last = page.tasks.last { page.next = .after(TaskCursor(last)) }
        case .last:
            // The rows left after the full pages, so that paging back from here meets the
            // `?page=N` pages exactly (while the list does not change meanwhile).
            let remaining = total - (pages - 1) * size
            let rows = try store.list(filter, before: nil, limit: max(1, remaining) + 1)
            page.tasks = Array(rows.suffix(max(1, remaining)))
            page.number = pages
            if rows.count > page.tasks.count, let first = page.tasks.first { page.previous = .before(TaskCursor(first)) }
        case .after(let cursor):
            // One row more than a page tells whether there is a next page, without counting.
            let rows = try store.list(filter, after: cursor, limit: size + 1)
            page.tasks = Array(rows.prefix(size))
            page.previous = .before(page.tasks.first.map(TaskCursor.init) ?? cursor)
            if rows.count > size, let last = page.tasks.last { page.next = .after(TaskCursor(last)) }
        case .before(let cursor):
            let rows = try store.list(filter, before: cursor, limit: size + 1)
            // Nothing before these rows: this is the start of the list, whose page is page 1 (full,
            // even when the rows before the cursor are fewer than a page).
            guard rows.count > size else { return try load(store, filter, .number(1), counts: counts) }
            page.tasks = Array(rows.suffix(size))
            page.previous = .before(TaskCursor(page.tasks[0]))
            page.next = .after(TaskCursor(page.tasks[page.tasks.count - 1]))
        }
        return page
    }
}
