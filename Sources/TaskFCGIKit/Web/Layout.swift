/// The page shell: HTML5, a small inline style sheet, readable on a phone, no JavaScript.
enum Layout {
    static func page(title: String, status: Int = 200, _ content: (inout HTML) -> Void) -> Response {
        var html = HTML()
        html.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        // An empty inline icon: otherwise every browser asks for /favicon.ico and logs the 404.
        html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\"><title>")
        html.text(title)
        html.raw(" · TaskFCGI</title><style>")
        html.raw(style)
        html.raw("</style></head><body><header><a class=\"brand\" href=\"/tasks\">TaskFCGI</a><nav>")
        html.raw("<a href=\"/tasks\">Tasks</a><a href=\"/tasks/new\">New task</a><a href=\"/jobs\">Jobs</a></nav></header><main>")
        content(&html)
        html.raw("</main></body></html>\n")
        return .html(status, html.bytes)
    }

    static let style: StaticString = """
        body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\
        header{display:flex;flex-wrap:wrap;gap:1rem;align-items:baseline;padding:.75rem 1rem;background:#1d2330}\
        header a{color:#fff;text-decoration:none}.brand{font-weight:700;margin-right:auto}nav a{margin-left:1rem}\
        main{max-width:56rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:0 0 .5rem}a{color:#2456d3}\
        table{width:100%;border-collapse:collapse;background:#fff}th,td{text-align:left;padding:.5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}\
        td.title{overflow-wrap:anywhere}.muted{color:#667}\
        .badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.85rem;white-space:nowrap}\
        .pending{background:#e8f0fe}.overdue{background:#fff4d6}.completed{background:#e3f5e9}\
        .tabs a{margin-right:1rem}.tabs a.on{font-weight:700;text-decoration:none;color:inherit}\
        form.card,.card{background:#fff;padding:1rem;border:1px solid #e3e6ea;border-radius:.5rem;margin-bottom:1rem}\
        label{display:block;font-weight:600;margin-top:.75rem}input[type=text],input[type=datetime-local]{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}\
        .error{color:#b00020;margin:.25rem 0}.note{background:#fff4d6;padding:.5rem 1rem;border-radius:.5rem}\
        button,.button{display:inline-block;margin-top:1rem;padding:.5rem 1rem;font:inherit;border:0;border-radius:.4rem;background:#2456d3;color:#fff;text-decoration:none;cursor:pointer}\
        button.danger{background:#b00020}.actions{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}.actions form{margin:0}\
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}\
        .pager{display:flex;gap:1rem;margin-top:1rem}
        """
}
