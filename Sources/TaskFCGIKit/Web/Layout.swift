/// The page shell: HTML5, the style sheet and the live-update script (both same-origin files with
/// a content hash in their names, cached for a year), a skip link, readable on a phone.
enum Layout {
    /// What a live page needs to keep itself current: the change token it was rendered at (read
    /// before the data it shows) and the server's clock, so relative times do not depend on the
    /// browser's.
    struct Live {
        var token: Int64
        var now: Instant
    }

    /// The one script element every page carries, as written (tests tell it from injected markup).
    static var scriptElement: String { "<script src=\"" + Assets.live.path + "\" defer></script>" }

    /// Every page is rendered here, from a model the handler has already loaded: its time is the
    /// `render` phase of a slow request's line.
    static func page(title: String, status: Int = 200, live: Live? = nil, _ content: (inout HTML) -> Void) -> Response {
        RequestPhases.rendering { render(title: title, status: status, live: live, content) }
    }

    private static func render(title: String, status: Int, live: Live?, _ content: (inout HTML) -> Void) -> Response {
        var html = HTML()
        html.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        // An empty inline icon: otherwise every browser asks for /favicon.ico and logs the 404.
        html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\"><title>")
        html.text(title)
        html.raw(" · TaskFCGI</title><link rel=\"stylesheet\" href=\"")
        html.text(Assets.style.path)
        html.raw("\"><script src=\"")
        html.text(Assets.live.path)
        html.raw("\" defer></script></head><body><a class=\"skip\" href=\"#main\">Skip to content</a>")
        html.raw("<header><a class=\"brand\" href=\"/tasks\">TaskFCGI</a><nav>")
        html.raw("<a href=\"/tasks\">Tasks</a><a href=\"/tasks/new\">New task</a><a href=\"/jobs\">Jobs</a></nav></header><main id=\"main\"")
        if let live {
            html.raw(" data-token=\"")
            html.number(live.token)
            html.raw("\" data-now=\"")
            html.number(live.now.milliseconds)
            html.raw("\"")
        }
        html.raw(">")
        content(&html)
        html.raw("</main></body></html>\n")
        return .html(status, html.bytes)
    }
}
