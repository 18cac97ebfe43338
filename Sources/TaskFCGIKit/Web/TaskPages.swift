/// Renders the task pages. Pure functions of their inputs: no storage, no clock reads.
public enum TaskPages {
    /// Rows per list page.
    public static let pageSize = 50

    /// What the list page shows.
    public struct ListModel {
        /// The rows shown and where the neighbouring pages start.
        public var page: ListPage
        public var filter: TaskFilter
        public var counts: TaskCounts
        public var now: Instant
        public var zone: Zone
        /// The store's change token, read before the counts and rows (see `Layout.Live`).
        public var token: Int64 = 0
    }

    public static func list(_ model: ListModel) -> Response {
        Layout.page(title: "Tasks", live: Layout.Live(token: model.token, now: model.now)) { html in
            html.raw("<h1>Tasks</h1><p class=\"tabs\" id=\"counts\">")
            for filter in TaskFilter.allCases {
                html.raw("<a href=\"/tasks?status=")
                html.text(filter.rawValue)
                html.raw(filter == model.filter ? "\" class=\"on\" aria-current=\"page\">" : "\">")
                html.text(filter.rawValue.prefix(1).uppercased() + filter.rawValue.dropFirst())
                html.raw(" (")
                html.number(model.counts.count(filter))
                html.raw(")</a>")
            }
            html.raw("</p>")
            if model.page.tasks.isEmpty {
                html.raw("<p class=\"card muted\">No tasks here. <a href=\"/tasks/new\">Create one</a>.</p>")
            } else {
                table(&html, model)
            }
            pager(&html, model)
        }
    }

    private static func table(_ html: inout HTML, _ model: ListModel) {
        // One row per task; on a phone each row is a card (see `StyleSheet`). `live.js` finds a
        // row by its link and patches its cells.
        html.raw("<table class=\"tasks\"><thead><tr><th>Title</th><th>Due</th><th>Status</th><th>Completed at</th></tr></thead><tbody>")
        for task in model.page.tasks {
            html.raw("<tr><td><a href=\"/tasks/")
            html.number(task.id)
            html.raw("\">")
            html.text(task.title)
            html.raw("</a></td><td>")
            // One relative time per row, the one that matters (due while pending, completed
            // after): it keeps the page within a few percent of its weight before them.
            if let action = task.actionAt {
                html.date(task.due, in: model.zone)
                html.raw("</td><td>")
                badge(&html, task, now: model.now)
                html.raw("</td><td>")
                html.time(action, in: model.zone)
                html.relative(.done, action, now: model.now)
            } else {
                html.time(task.due, in: model.zone)
                html.relative(.due, task.due, now: model.now)
                html.raw("</td><td>")
                badge(&html, task, now: model.now)
                html.raw("</td><td>")
            }
            html.raw("</td></tr>")
        }
        html.raw("</tbody></table>")
    }

    /// First and previous, where the list is, next and last. The neighbours' links carry the sort
    /// key of this page's first or last row (`before=`, `after=`), so reaching any page costs one
    /// index search, however deep in the list.
    private static func pager(_ html: inout HTML, _ model: ListModel) {
        let page = model.page
        html.raw("<p class=\"pager muted\">")
        if let previous = page.previous {
            link(&html, model.filter, .number(1), "« First")
            link(&html, model.filter, previous, "← Previous")
        }
        html.raw("<span>")
        if let number = page.number {
            html.raw("Page ")
            html.number(number)
            html.raw(" of ")
            html.number(page.pages)
            html.raw(" · ")
        }
        html.number(page.total)
        html.raw(page.total == 1 ? " task</span>" : " tasks</span>")
        if let next = page.next {
            link(&html, model.filter, next, "Next →")
            link(&html, model.filter, .last, "Last »")
        }
        html.raw("</p>")
    }

    private static func link(_ html: inout HTML, _ filter: TaskFilter, _ start: PageStart, _ label: StaticString) {
        html.raw("<a href=\"/tasks?status=")
        html.text(filter.rawValue)
        html.raw("&amp;")
        html.text(start.query)
        html.raw("\">")
        html.raw(label)
        html.raw("</a>")
    }

    /// The state a person cares about: pending, overdue (the job is about to act) or completed.
    static func badge(_ html: inout HTML, _ task: TaskItem, now: Instant) {
        if task.isCompleted {
            html.raw("<span class=\"completed\">completed</span>")
        } else if task.due <= now {
            html.raw("<span class=\"overdue\">overdue, waiting for the job</span>")
        } else {
            html.raw("<span class=\"pending\">pending</span>")
        }
    }

    /// A task's page; `token`: the store's change token read before the task (see `Layout.Live`).
    public static func detail(_ task: TaskItem, now: Instant, zone: Zone, token: Int64 = 0) -> Response {
        Layout.page(title: task.title, live: Layout.Live(token: token, now: now)) { html in
            html.raw("<h1>")
            html.text(task.title)
            html.raw("</h1><div class=\"card\" id=\"facts\"><dl><dt>Due</dt><dd>")
            html.time(task.due, in: zone)
            if !task.isCompleted { html.relative(.due, task.due, now: now) }
            html.raw("</dd><dt>Status</dt><dd>")
            badge(&html, task, now: now)
            html.raw("</dd><dt>Completed at</dt><dd>")
            if let action = task.actionAt {
                html.time(action, in: zone)
                html.relative(.done, action, now: now)
                html.raw(" <span class=\"muted\">(")
                html.text(DateText.span(action.since(task.due)))
                html.raw(action >= task.due ? " after the due time)</span>" : " before the due time)</span>")
            } else {
                html.raw("<span class=\"muted\">not yet</span>")
            }
            html.raw("</dd><dt>Created</dt><dd>")
            html.time(task.createdAt, in: zone)
            html.raw("</dd></dl></div><div id=\"state\">")
            if task.isCompleted {
                html.raw("<p class=\"note\">Completed tasks are read-only: the job has acted on this one.</p>")
            } else if task.due <= now {
                html.raw("<p class=\"note\">The due time has passed, so the job completes this task at once.</p>")
            }
            html.raw("<div class=\"actions\">")
            if !task.isCompleted {
                html.raw("<a class=\"button\" href=\"/tasks/")
                html.number(task.id)
                html.raw("/edit\">Edit</a>")
            }
            html.raw("<form method=\"post\" action=\"/tasks/")
            html.number(task.id)
            html.raw("/delete\"><button class=\"danger\" type=\"submit\">Delete</button></form>")
            html.raw("<a href=\"/tasks\">Back to the list</a></div></div>")
        }
    }

    /// The create form (`id` nil) or the edit form, with the user's input and any problems.
    /// `notice`: why the input was not saved although it was valid (a 503: the database is busy).
    public static func form(id: Int64?, input: TaskInput, problems: TaskInput.Problems = [:], zone: Zone,
                            notice: String? = nil) -> Response {
        let heading = id == nil ? "New task" : "Edit task"
        return Layout.page(title: heading, status: notice != nil ? 503 : problems.isEmpty ? 200 : 422) { html in
            html.raw("<h1>")
            html.text(heading)
            html.raw("</h1>")
            if let notice {
                html.raw("<p class=\"error\" role=\"alert\">")
                html.text(notice)
                html.raw("</p>")
            } else if !problems.isEmpty {
                html.raw("<p class=\"error\" role=\"alert\">Please correct the marked fields.</p>")
            }
            html.raw("<form class=\"card\" method=\"post\" action=\"/tasks")
            if let id {
                html.raw("/")
                html.number(id)
            }
            html.raw("\" novalidate><label for=\"title\">Title</label>")
            fieldError(&html, problems["title"], id: "title-error")
            html.raw("<input type=\"text\" id=\"title\" name=\"title\" maxlength=\"")
            html.number(TaskInput.maxTitleLength)
            // Focus starts in the first field with a problem (the title when there is none), so a
            // screen reader reads that field's error, which it is described by, at once.
            html.raw(problems["title"] != nil || problems["due"] == nil ? "\" required autofocus value=\"" : "\" required value=\"")
            html.text(input.title)
            html.raw(problems["title"] == nil ? "\">" : "\" aria-invalid=\"true\" aria-describedby=\"title-error\">")
            html.raw("<label for=\"due\">Due date and time <span class=\"muted\">(")
            html.text(zone.identifier)
            html.raw(")</span></label>")
            fieldError(&html, problems["due"], id: "due-error")
            html.raw(problems["title"] == nil && problems["due"] != nil
                     ? "<input type=\"datetime-local\" id=\"due\" name=\"due\" step=\"1\" required autofocus value=\""
                     : "<input type=\"datetime-local\" id=\"due\" name=\"due\" step=\"1\" required value=\"")
            // The value as typed (trimmed, as it was read) when the field can hold it; otherwise
            // empty, as a browser would show it.
            let due = input.due.trimmed()
            if DueDate.isInputValue(due) { html.text(due) }
            html.raw(problems["due"] == nil ? "\">" : "\" aria-invalid=\"true\" aria-describedby=\"due-error\">")
            html.raw(id == nil ? "<button type=\"submit\">Create task</button>" : "<button type=\"submit\">Save changes</button>")
            html.raw("</form>")
        }
    }

    private static func fieldError(_ html: inout HTML, _ message: String?, id: StaticString) {
        guard let message else { return }
        html.raw("<p class=\"error\" id=\"")
        html.raw(id)
        html.raw("\">")
        html.text(message)
        html.raw("</p>")
    }

    /// A completed task cannot be edited: the page says so instead of showing the form.
    public static func readOnly(_ task: TaskItem) -> Response {
        Layout.page(title: "Read-only task", status: 409) { html in
            html.raw("<h1>This task is completed</h1><p class=\"note\">Completed tasks are read-only. ")
            html.raw("<a href=\"/tasks/")
            html.number(task.id)
            html.raw("\">Back to the task</a></p>")
        }
    }
}
