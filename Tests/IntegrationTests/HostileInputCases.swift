import Foundation

// The hostile-input cases, as data: what is sent (bytes on the wire, through nginx) and what must
// come back. HostileInputTests.swift runs them against one worker + nginx and checks the database.

/// Who must answer a case: the worker (its pages, its access line) or nginx on its own.
enum HostileAnswerer: Equatable, Sendable { case worker, nginx }

/// A task a case must create: the title as stored (trimmed) and, when given, `due_at`.
struct HostileTask {
    var title: String
    var dueMilliseconds: Int64?
    /// How the detail page must show the due date.
    var shows: [String] = []
}

/// What one case must produce.
struct HostileExpectation {
    var status: Int
    var by: HostileAnswerer = .worker
    /// Plain text the page must show (compared HTML-escaped).
    var message: String? = nil
    /// 422: the message beside each field; a field not listed must show none.
    var fieldErrors: [String: String] = [:]
    /// 405 from the worker: the `Allow` header.
    var allow: String? = nil
    /// A redirect that creates nothing: its `Location`.
    var location: String? = nil
    /// 303 to /tasks/ID: the task it must have created.
    var creates: HostileTask? = nil
    /// 303 from an edit: the task's title afterwards.
    var updates: (id: Int64, title: String)? = nil
    /// 303 from a delete: the task that must be gone.
    var deletes: Int64? = nil
    /// Raw substrings the body must contain (nginx's own pages).
    var bodyContains: [String] = []
}

struct HostileCase {
    var name: String
    var request: WireRequest
    var expect: HostileExpectation
    /// The fields as submitted (decoded): a 422 page must show them again.
    var submitted: [String: String]? = nil
    /// Set when the case shows a bug in Sources: it stays in the suite, its failures are known issues.
    var knownIssue: String? = nil
}

/// The messages the worker shows, copied from Sources so a changed wording is noticed.
enum WorkerSays {
    static let enterTitle = "Enter a title."
    static let controlInTitle = "The title cannot contain control characters such as line breaks or tabs."
    static func titleTooLong(_ count: Int) -> String { "Keep the title to 200 characters; this one has \(count)." }
    static let enterDue = "Enter a due date and time."
    static let malformedDue = "Enter the due date as YYYY-MM-DDTHH:MM, e.g. 2026-11-24T21:30."
    static let impossibleDate = "That date does not exist in the calendar."
    static let skippedTime = "That time does not exist in Europe/Berlin: the clocks skip it when daylight saving time starts. Choose a later time."
    static let correctFields = "Please correct the marked fields."
    static let brokenEscape = "The request has a broken percent escape (a % not followed by two hex digits)."
    static let notUTF8 = "The request is not valid UTF-8 text."
    static let addressNotUTF8 = "The address is not valid UTF-8 text."
    static func repeated(_ field: String) -> String { "The form sent the field “\(field)” more than once." }
    static let urlencodedOnly = "Send the form as application/x-www-form-urlencoded (the way an HTML form posts it)."
    static func tooLarge(_ bytes: Int) -> String { "The request body is \(bytes) bytes; this server accepts at most \(HostileCatalog.maxBodyBytes)." }
    static let noPage = "There is no page at this address."
    static let noTaskNumber = "There is no task with this number."
    static let noTaskDeleted = "There is no task with this number. It may have been deleted."
    static func unknownFilter(_ status: String) -> String { "Unknown status filter “\(status)”: use all, pending or completed." }
    static let pageNumber = "The page number must be a whole number from 1."
    static func methodNotAllowed(_ allow: String) -> String { "This address does not accept that method. It accepts \(allow)." }
    static func crossSite(_ site: String) -> String { "The browser reported this form was sent from another site (\(site))." }
    static func otherOrigin(_ origin: String) -> String { "The form was sent from \(origin), another site." }
    static let protectNote = "To protect your tasks, forms are accepted only from this site’s own pages."
}

/// The catalogue. `port` is nginx's, `anchor` a pending task that must survive every case, `editTarget`
/// a pending task the edit cases change, `doomed` tasks the delete cases may remove (one each).
struct HostileCatalog {
    /// The worker's limit; it drains at most 8 × this of a larger body, then answers anyway.
    static let maxBodyBytes = 32_768
    /// nginx allows far more, so bodies past the worker's drain cap reach it too.
    static let nginxBodyLimit = "1m"
    static let nginxBodyLimitBytes = 1_048_576

    let port: Int
    let anchor: Int64
    let editTarget: Int64
    let doomed: [Int64]

    static let future = "2099-01-01T10:00"
    /// 2099-01-01T10:00 CET = 09:00Z.
    static let futureMilliseconds = utcMilliseconds(2099, 1, 1, 9, 0)

    // MARK: Building requests

    /// `application/x-www-form-urlencoded` as a browser writes it: unreserved bytes kept, space as `+`.
    static func urlencoded(_ fields: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, (name, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out += encode(name) + [UInt8(ascii: "=")] + encode(value)
        }
        return out
    }

    static func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += Array(String(format: "%%%02X", byte).utf8)
            }
        }
        return out
    }

    static let formType = "application/x-www-form-urlencoded"

    static func post(_ path: String, form: [(String, String)], headers: [(String, String)] = []) -> WireRequest {
        WireRequest("POST", path, headers: headers, body: urlencoded(form), contentType: formType)
    }

    static func post(_ path: String, raw: [UInt8], contentType: String? = formType, headers: [(String, String)] = []) -> WireRequest {
        WireRequest("POST", path, headers: headers, body: raw, contentType: contentType)
    }

    static func get(_ target: String, headers: [(String, String)] = []) -> WireRequest {
        WireRequest("GET", target, headers: headers)
    }

    /// The title as the worker must store it: Unicode white space (line breaks included) trimmed.
    static func stored(_ title: String) -> String { title.trimmingCharacters(in: .whitespacesAndNewlines) }

    // MARK: Case shapes

    /// POST /tasks that must create a task with `title` (stored trimmed) due `due`.
    static func creates(_ name: String, title: String, due: String = future, stored: String? = nil,
                        dueMilliseconds: Int64? = futureMilliseconds, headers: [(String, String)] = []) -> HostileCase {
        HostileCase(name: name, request: post("/tasks", form: [("title", title), ("due", due)], headers: headers),
                    expect: HostileExpectation(status: 303, creates: HostileTask(title: stored ?? Self.stored(title), dueMilliseconds: dueMilliseconds)))
    }

    /// POST /tasks refused with 422 and these messages beside the fields; the form shows the input again.
    static func refuses(_ name: String, title: String, due: String = future, _ errors: [String: String]) -> HostileCase {
        HostileCase(name: name, request: post("/tasks", form: [("title", title), ("due", due)]),
                    expect: HostileExpectation(status: 422, fieldErrors: errors), submitted: ["title": title, "due": due])
    }

    /// A worker error page: `status` with `message`.
    static func fails(_ name: String, _ request: WireRequest, _ status: Int, _ message: String, knownIssue: String? = nil) -> HostileCase {
        HostileCase(name: name, request: request, expect: HostileExpectation(status: status, message: message), knownIssue: knownIssue)
    }

    /// nginx answers on its own with `status`; its page must contain `text`; the worker never sees it.
    static func nginx(_ name: String, _ request: WireRequest, _ status: Int, _ text: String) -> HostileCase {
        HostileCase(name: name, request: request, expect: HostileExpectation(status: status, by: .nginx, bodyContains: [text]))
    }

    static func ok(_ name: String, _ request: WireRequest, contains: [String] = []) -> HostileCase {
        HostileCase(name: name, request: request, expect: HostileExpectation(status: 200, bodyContains: contains))
    }

    // MARK: Titles

    /// Markup, quotes and entities: stored as typed, shown escaped.
    var markupTitles: [HostileCase] {
        let titles = [
            "<script>alert(1)</script>",
            "\"><script>alert(document.cookie)</script>",
            "'><script>alert(1)</script>",
            "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
            "<scr<script>ipt>alert(1)</scr</script>ipt>",
            "</title><script>alert(1)</script>",
            "</textarea><script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<svg/onload=alert(1)>",
            "<iframe src=\"javascript:alert(1)\"></iframe>",
            "<a href=\"javascript:alert(1)\">click</a>",
            "<style>body{display:none}</style>",
            "<meta http-equiv=\"refresh\" content=\"0;url=//evil.example\">",
            "<base href=\"//evil.example/\">",
            "<form action=\"//evil.example\"><button>go</button></form>",
            "\" autofocus onfocus=\"alert(1)",
            "' onmouseover='alert(1)",
            "javascript:alert(1)",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "&amp; &#60; &#x3C; &quot; &apos;",
            "Tom & Jerry's \"big\" <day>",
            "<!-- comment --> <![CDATA[x]]>",
            "{{7*7}} ${7*7} <%= 7*7 %> #{7*7}",
            "`alert(1)` \\u003cscript\\u003e",
            "%3Cscript%3Ealert(1)%3C/script%3E",
        ]
        return titles.enumerated().map { Self.creates("markup \($0.offset)", title: $0.element) }
    }

    /// Emoji (ZWJ sequences too), right-to-left text, bidi controls, invisible and unusual characters.
    var unicodeTitles: [HostileCase] {
        let titles: [(String, String)] = [
            ("emoji", "Ship it 👍🚀"),
            ("ZWJ family", "Family: 👨‍👩‍👧‍👦"),
            ("ZWJ rainbow flag", "🏳️‍🌈 parade"),
            ("ZWJ astronaut with skin tone", "🧑🏿‍🚀 launch"),
            ("skin tone modifier", "Wave 👋🏽"),
            ("regional-indicator flags", "🇩🇪🇫🇷🇯🇵"),
            ("keycap and variation selector", "1️⃣ ❤️ ☺︎"),
            ("lone ZWJ between letters", "a\u{200D}b"),
            ("Hebrew", "שלום עולם"),
            ("Arabic", "مرحبا بالعالم"),
            ("mixed direction", "Pay אבג 123 ديون"),
            ("RLO override (U+202E)", "invoice\u{202E}fdp.exe"),
            ("RLO before markup", "\u{202E}<script>alert(1)</script>"),
            ("LRO/PDF pair", "\u{202D}abc\u{202C}"),
            ("isolates LRI…PDI", "\u{2066}isolated\u{2069} text"),
            ("RLM and LRM marks", "\u{200F}right\u{200E}left"),
            ("zero-width space inside", "zero\u{200B}width"),
            ("byte order mark first", "\u{FEFF}bom title"),
            ("soft hyphen", "soft\u{00AD}hyphen"),
            ("combining accents", "Zalgo: Z\u{337}\u{322}a\u{338}l\u{335}g\u{336}o\u{337}"),
            ("decomposed é", "Cafe\u{301}"),
            ("CJK", "任务 タスク 작업"),
            ("astral letters", "𝕋𝕒𝕤𝕜 𐍈 𓀀"),
            ("Cyrillic homoglyphs", "раураl.com"),
            ("private use", "private \u{E000}\u{F8FF}"),
            ("noncharacter U+FFFF", "non\u{FFFF}char"),
            ("replacement character", "broken \u{FFFD} text"),
            ("percent and plus literally", "100% + 50% = 150%"),
            ("form delimiters literally", "a=b&c=d;e"),
            ("backslashes", "C:\\Windows\\System32\\"),
            ("fullwidth less-than", "＜script＞alert(1)＜/script＞"),
        ]
        return titles.map { Self.creates($0.0, title: $0.1) }
    }

    /// White space around a title is trimmed (Unicode's, line breaks included), never inside.
    var trimmedTitles: [HostileCase] {
        [
            Self.creates("spaces around", title: "   padded   ", stored: "padded"),
            Self.creates("tabs and line breaks around", title: "\n\t  spaced  \r\n", stored: "spaced"),
            Self.creates("no-break spaces around", title: "\u{A0}nbsp\u{A0}", stored: "nbsp"),
            Self.creates("ideographic spaces around", title: "\u{3000}wide\u{3000}", stored: "wide"),
            Self.creates("line separator at the end", title: "end\u{2028}", stored: "end"),
            Self.creates("NEL at the start", title: "\u{85}start", stored: "start"),
            Self.creates("vertical tab and form feed around", title: "\u{0B}\u{0C}vt\u{0C}\u{0B}", stored: "vt"),
        ]
    }

    /// NUL and every other control character inside a title: 422 beside the title.
    var controlTitles: [HostileCase] {
        var cases: [HostileCase] = [
            Self.refuses("NUL (%00) inside", title: "a\u{0}b", ["title": WorkerSays.controlInTitle]),
            Self.refuses("NUL first", title: "\u{0}abc", ["title": WorkerSays.controlInTitle]),
            Self.refuses("NUL only", title: "\u{0}", ["title": WorkerSays.controlInTitle]),
            Self.refuses("NUL then script", title: "\u{0}<script>alert(1)</script>", ["title": WorkerSays.controlInTitle]),
            Self.refuses("CRLF inside", title: "line one\r\nline two", ["title": WorkerSays.controlInTitle]),
            Self.refuses("ANSI escape sequence", title: "red \u{1B}[31mALERT\u{1B}[0m", ["title": WorkerSays.controlInTitle]),
            Self.refuses("line separator inside", title: "a\u{2028}b", ["title": WorkerSays.controlInTitle]),
            Self.refuses("paragraph separator inside", title: "a\u{2029}b", ["title": WorkerSays.controlInTitle]),
            Self.refuses("control and a bad due date", title: "a\tb", due: "soon",
                         ["title": WorkerSays.controlInTitle, "due": WorkerSays.malformedDue]),
        ]
        // Generated: each C0 control, DEL and each C1 control between two letters.
        let controls = Array(0x00...0x1F) + [0x7F] + Array(0x80...0x9F)
        for scalar in controls {
            let character = String(Unicode.Scalar(UInt32(scalar))!)
            cases.append(Self.refuses(String(format: "control U+%04X inside", scalar), title: "x" + character + "y",
                                      ["title": WorkerSays.controlInTitle]))
        }
        return cases
    }

    /// Empty titles and the 200-character limit, counted in characters (grapheme clusters).
    var lengthTitles: [HostileCase] {
        func times(_ text: String, _ count: Int) -> String { String(repeating: text, count: count) }
        let units: [(String, String)] = [("ASCII", "a"), ("2-byte é", "é"), ("3-byte €", "€"), ("4-byte emoji", "😀"),
                                         ("ZWJ family", "👨‍👩‍👧‍👦"), ("e + combining acute", "e\u{301}"), ("Hebrew", "ש")]
        var cases: [HostileCase] = [
            Self.refuses("empty title", title: "", ["title": WorkerSays.enterTitle]),
            Self.refuses("spaces only", title: "     ", ["title": WorkerSays.enterTitle]),
            Self.refuses("line breaks only", title: "\r\n\t\n", ["title": WorkerSays.enterTitle]),
            Self.refuses("Unicode spaces only", title: "\u{A0}\u{2003}\u{3000}\u{2028}", ["title": WorkerSays.enterTitle]),
            Self.refuses("zero-width characters only", title: "\u{200B}\u{200D}\u{FEFF}\u{2060}\u{AD}", ["title": WorkerSays.enterTitle]),
            Self.refuses("empty title and no due", title: "", due: "", ["title": WorkerSays.enterTitle, "due": WorkerSays.enterDue]),
            Self.creates("200 characters after trimming 10 spaces", title: "     " + times("t", 200) + "     ", stored: times("t", 200)),
            Self.refuses("10 KB ASCII title", title: times("A", 10_240), ["title": WorkerSays.titleTooLong(10_240)]),
            Self.refuses("10 KB of 4-byte emoji (2,560 characters)", title: times("😀", 2_560), ["title": WorkerSays.titleTooLong(2_560)]),
            Self.refuses("10 KB title with <script> blocks", title: times("<script>alert(1)</script>", 410), ["title": WorkerSays.titleTooLong(10_250)]),
        ]
        for (label, unit) in units {
            cases.append(Self.creates("exactly 200 × \(label)", title: times(unit, 200)))
            cases.append(Self.refuses("201 × \(label)", title: times(unit, 201), ["title": WorkerSays.titleTooLong(201)]))
        }
        // One grapheme cluster may carry any number of combining marks: the code points are capped too.
        let zalgo = "a" + String(repeating: "\u{301}", count: 5_119)
        var oneCluster = Self.refuses("10 KB title that is one grapheme cluster (a + 5,119 combining accents)",
                                      title: zalgo, ["title": WorkerSays.titleTooLong(5_120)])
        oneCluster.expect.fieldErrors = ["title": "Keep the title to 200 characters"]
        cases.append(oneCluster)
        return cases
    }

    // MARK: SQL injection

    /// SQL in every field: bound, never executed; stored and shown verbatim (escaped).
    var sqlInjection: [HostileCase] {
        let titles = [
            "'; DROP TABLE tasks; --",
            "Robert'); DROP TABLE tasks;--",
            "1' OR '1'='1",
            "\" OR \"\"=\"",
            "1; DELETE FROM tasks WHERE 1=1",
            "' UNION SELECT id, title, due_at, completed, action_at, created_at FROM tasks --",
            "admin'--",
            "' OR 1=1 LIMIT 1 OFFSET 1 --",
            "%' AND 1=0 UNION SELECT sqlite_version() --",
            "'); UPDATE tasks SET completed = 1, action_at = 0; --",
            "\\'; ATTACH DATABASE '/tmp/pwn.db' AS pwn; --",
            "'||(SELECT hex(randomblob(8)))||'",
            "x' AND (SELECT count(*) FROM sqlite_master) > 0 --",
            "1/**/OR/**/1=1",
            "'; PRAGMA writable_schema = 1; --",
            "?1 ?2 :name @x $y ?",
            "'; VACUUM INTO '/tmp/leak.db'; --",
            "CHAR(39)||CHAR(59)||'DROP'",
            "0x27 0x3B \\x27 \\x00 %27%3B",
            "\"; INSERT INTO tasks (title, due_at, created_at) VALUES ('pwned', 0, 0); --",
        ]
        var cases = titles.enumerated().map { Self.creates("SQL title \($0.offset)", title: $0.element) }
        cases += [
            Self.refuses("SQL as due date", title: "sql due", due: "2099-01-01T10:00'; DROP TABLE tasks;--", ["due": WorkerSays.malformedDue]),
            Self.refuses("SQL as due date (UNION)", title: "sql due 2", due: "' UNION SELECT 1 --", ["due": WorkerSays.malformedDue]),
            Self.fails("SQL as status filter", Self.get("/tasks?status=%27+OR+1%3D1--"), 400, WorkerSays.unknownFilter("' OR 1=1--")),
            Self.fails("SQL as page number", Self.get("/tasks?page=1%3BDROP+TABLE+tasks"), 400, WorkerSays.pageNumber),
            Self.fails("SQL as page number (OR)", Self.get("/tasks?page=1+OR+1%3D1"), 400, WorkerSays.pageNumber),
            Self.fails("SQL as task id", Self.get("/tasks/1;drop%20table%20tasks"), 404, WorkerSays.noTaskNumber),
            Self.fails("SQL as task id (OR)", Self.get("/tasks/1%20OR%201=1"), 404, WorkerSays.noTaskNumber),
            Self.fails("SQL as job name", Self.post("/jobs/x';DROP%20TABLE%20job_runs;--/run", form: []), 404,
                       "There is no enabled job called “x';DROP TABLE job_runs;--”."),
            HostileCase(name: "SQL title through the edit form", request: Self.post("/tasks/\(editTarget)", form: [("title", "'; DROP TABLE tasks; --"), ("due", Self.future)]),
                        expect: HostileExpectation(status: 303, location: "/tasks/\(editTarget)", updates: (editTarget, "'; DROP TABLE tasks; --"))),
            HostileCase(name: "SQL title with UPDATE through the edit form", request: Self.post("/tasks/\(editTarget)", form: [("title", "x', completed = 1 WHERE 1=1; --"), ("due", Self.future)]),
                        expect: HostileExpectation(status: 303, location: "/tasks/\(editTarget)", updates: (editTarget, "x', completed = 1 WHERE 1=1; --"))),
        ]
        return cases
    }

    // MARK: Form encoding

    /// Broken percent escapes, invalid UTF-8, missing, repeated and unknown fields, odd separators.
    var formEncoding: [HostileCase] {
        let due = "&due=2099-01-01T10%3A00"
        func raw(_ text: String) -> [UInt8] { Array(text.utf8) }
        var cases: [HostileCase] = []
        let brokenEscapes = ["title=%" + due, "title=%G1" + due, "title=%1" + due, "title=abc%" + due, "title=%%41" + due,
                             "ti%tle=x" + due, "title=%zz" + due, "title=x&due=2099-01-01T10%3", "title=%2" , "title=x%0" + due,
                             "%=x" + due, "title=%+1" + due, "title=%-1" + due]
        for body in brokenEscapes {
            cases.append(Self.fails("broken escape in body: \(body.prefix(24))", Self.post("/tasks", raw: raw(body)), 400, WorkerSays.brokenEscape))
        }
        let invalidUTF8: [(String, [UInt8])] = [
            ("%FF", raw("title=%FF" + due)),
            ("overlong %C0%AF", raw("title=%C0%AF" + due)),
            ("surrogate %ED%A0%80", raw("title=%ED%A0%80" + due)),
            ("truncated %E2%82", raw("title=%E2%82" + due)),
            ("lone continuation %80", raw("title=%80" + due)),
            ("5-byte form %F8%88%80%80%80", raw("title=%F8%88%80%80%80" + due)),
            ("above U+10FFFF %F4%90%80%80", raw("title=%F4%90%80%80" + due)),
            ("in the due field %FE", raw("title=x&due=2099-01-01T10%3A00%FE")),
            ("in a field name %FF", raw("%FF=x&title=y" + due)),
            ("raw byte \\xFF", raw("title=") + [0xFF] + raw(due)),
            ("raw truncated \\xC3", raw("title=ab") + [0xC3] + raw(due)),
            ("raw overlong \\xC0\\xBC (<)", raw("title=") + [0xC0, 0xBC] + raw("script" + due)),
            ("raw surrogate \\xED\\xA0\\x80", raw("title=") + [0xED, 0xA0, 0x80] + raw(due)),
            ("raw byte in an unknown field name", [0xFE] + raw("=1&title=x" + due)),
            ("Latin-1 é (\\xE9)", raw("title=caf") + [0xE9] + raw(due)),
        ]
        for (label, body) in invalidUTF8 {
            cases.append(Self.fails("invalid UTF-8 in body: \(label)", Self.post("/tasks", raw: body), 400, WorkerSays.notUTF8))
        }
        func form(_ name: String, _ body: String, _ expect: HostileExpectation) -> HostileCase {
            HostileCase(name: name, request: Self.post("/tasks", raw: raw(body)), expect: expect)
        }
        func invalid(_ errors: [String: String]) -> HostileExpectation { HostileExpectation(status: 422, fieldErrors: errors) }
        func created(_ title: String) -> HostileExpectation {
            HostileExpectation(status: 303, creates: HostileTask(title: title, dueMilliseconds: Self.futureMilliseconds))
        }
        cases += [
            form("no title field", "due=2099-01-01T10%3A00", invalid(["title": WorkerSays.enterTitle])),
            form("no due field", "title=only+a+title", invalid(["due": WorkerSays.enterDue])),
            form("empty body", "", invalid(["title": WorkerSays.enterTitle, "due": WorkerSays.enterDue])),
            form("only separators", "&&&;;==&", invalid(["title": WorkerSays.enterTitle, "due": WorkerSays.enterDue])),
            form("title without =", "title" + due, invalid(["title": WorkerSays.enterTitle])),
            form("field names in another case", "Title=x&DUE=2099-01-01T10%3A00", invalid(["title": WorkerSays.enterTitle, "due": WorkerSays.enterDue])),
            form("array-style names", "title[]=x&due[]=2099-01-01T10%3A00", invalid(["title": WorkerSays.enterTitle, "due": WorkerSays.enterDue])),
            form("semicolon is not a separator", "title=x;due=2099-01-01T10:00", invalid(["due": WorkerSays.enterDue])),
            fails2("title twice", "title=a&title=b" + due, WorkerSays.repeated("title")),
            fails2("due twice", "title=a" + due + due, WorkerSays.repeated("due")),
            fails2("title twice, both empty", "title=&title=" + due, WorkerSays.repeated("title")),
            fails2("title twice, once percent-encoded name", "title=a&ti%74le=b" + due, WorkerSays.repeated("title")),
            fails2("title twice, once without =", "title&title=b" + due, WorkerSays.repeated("title")),
            form("unknown fields are ignored", "title=unknown+fields" + due + "&evil=%3Cscript%3E&x=1", created("unknown fields")),
            form("state fields cannot be set", "title=mass+assignment" + due + "&completed=1&action_at=0&id=1&created_at=0", created("mass assignment")),
            form("percent-encoded field names", "%74itle=encoded+name&%64%75%65=2099-01-01T10%3A00", created("encoded name")),
            form("plus is a space", "title=a+b+c" + due, created("a b c")),
            form("%2B is a plus", "title=a%2Bb" + due, created("a+b")),
            form("encoded markup", "title=%3Cscript%3Ealert(1)%3C%2Fscript%3E" + due, created("<script>alert(1)</script>")),
            form("lower-case hex", "title=%c3%a9t%c3%a9" + due, created("été")),
            form("raw UTF-8 bytes", "title=\u{00E9}t\u{00E9} raw" + due, created("été raw")),
            form("extra separators", "&&title=separators&&" + due + "&&", created("separators")),
            form("= inside the value", "title==x=y==" + due, created("=x=y==")),
            form("empty name is ignored", "=nameless&title=named" + due, created("named")),
        ]
        return cases
    }

    private func fails2(_ name: String, _ body: String, _ message: String) -> HostileCase {
        Self.fails(name, Self.post("/tasks", raw: Array(body.utf8)), 400, message)
    }

    // MARK: Content types

    var contentTypes: [HostileCase] {
        let valid = Self.urlencoded([("title", "typed"), ("due", Self.future)])
        let multipart = Array("--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nmultipart\r\n--XyZ\r\nContent-Disposition: form-data; name=\"due\"\r\n\r\n2099-01-01T10:00\r\n--XyZ--\r\n".utf8)
        let json = Array(#"{"title": "<script>alert(1)</script>", "due": "2099-01-01T10:00"}"#.utf8)
        var cases: [HostileCase] = [
            Self.fails("multipart/form-data", Self.post("/tasks", raw: multipart, contentType: "multipart/form-data; boundary=XyZ"), 415, WorkerSays.urlencodedOnly),
            Self.fails("application/json", Self.post("/tasks", raw: json, contentType: "application/json"), 415, WorkerSays.urlencodedOnly),
            Self.fails("text/plain", Self.post("/tasks", raw: valid, contentType: "text/plain"), 415, WorkerSays.urlencodedOnly),
            Self.fails("text/plain; charset=utf-8", Self.post("/tasks", raw: valid, contentType: "text/plain; charset=utf-8"), 415, WorkerSays.urlencodedOnly),
            Self.fails("text/html", Self.post("/tasks", raw: valid, contentType: "text/html"), 415, WorkerSays.urlencodedOnly),
            Self.fails("application/xml", Self.post("/tasks", raw: Array("<task><title>x</title></task>".utf8), contentType: "application/xml"), 415, WorkerSays.urlencodedOnly),
            Self.fails("no Content-Type", Self.post("/tasks", raw: valid, contentType: nil), 415, WorkerSays.urlencodedOnly),
            Self.fails("empty Content-Type", Self.post("/tasks", raw: valid, contentType: ""), 415, WorkerSays.urlencodedOnly),
            Self.fails("*/*", Self.post("/tasks", raw: valid, contentType: "*/*"), 415, WorkerSays.urlencodedOnly),
            Self.fails("urlencoded with a suffix", Self.post("/tasks", raw: valid, contentType: "application/x-www-form-urlencoded-evil"), 415, WorkerSays.urlencodedOnly),
            Self.fails("two types in one header", Self.post("/tasks", raw: valid, contentType: "text/plain, application/x-www-form-urlencoded"), 415, WorkerSays.urlencodedOnly),
            Self.fails("JSON on the edit form", Self.post("/tasks/\(editTarget)", raw: json, contentType: "application/json"), 415, WorkerSays.urlencodedOnly),
            Self.fails("multipart on the edit form", Self.post("/tasks/\(editTarget)", raw: multipart, contentType: "multipart/form-data; boundary=XyZ"), 415, WorkerSays.urlencodedOnly),
        ]
        func accepted(_ name: String, _ type: String) -> HostileCase {
            HostileCase(name: name, request: Self.post("/tasks", raw: Self.urlencoded([("title", "type \(name)"), ("due", Self.future)]), contentType: type),
                        expect: HostileExpectation(status: 303, creates: HostileTask(title: "type \(name)", dueMilliseconds: Self.futureMilliseconds)))
        }
        cases += [
            accepted("with charset", "application/x-www-form-urlencoded; charset=UTF-8"),
            accepted("upper case", "APPLICATION/X-WWW-FORM-URLENCODED"),
            accepted("odd spacing", "application/x-www-form-urlencoded ;charset=utf-8;"),
            accepted("another charset parameter", "application/x-www-form-urlencoded; charset=iso-8859-1"),
            // An empty body has no fields whatever its type: the form's own 422, not 415.
            HostileCase(name: "empty JSON body", request: Self.post("/tasks", raw: [], contentType: "application/json"),
                        expect: HostileExpectation(status: 422, fieldErrors: ["title": WorkerSays.enterTitle, "due": WorkerSays.enterDue])),
        ]
        return cases
    }

    // MARK: Due dates

    var dueDates: [HostileCase] {
        let malformed = ["tomorrow", "2099-01-01", "2099-01-01T10", "2099-1-1T10:00", "01/01/2099 10:00", "2099-01-01T10:00Z",
                         "2099-01-01T10:00+01:00", "2099-01-01T10:00:00Z", "2099-01-01T10:00:00.", "2099-01-01T10:00:00.1234",
                         "2099-01-01T10:00:0", "+2099-01-01T10:00", "-2099-01-01T10:00", "20990-01-01T10:00", "２０９９-01-01T10:00",
                         "٢٠٩٩-01-01T10:00", "2099-01-01T10:00\u{0}", "0000-01-01T00:00", "2099-01-01t10:00", "2099-01-01_10:00",
                         "1e3", "-1", "4102444800000", "2099-01-01T10:0a", "2099-01-01T1O:00", "<script>alert(1)</script>",
                         "\"><script>alert(1)</script>", "2099-01-01T10:00\u{202E}", "2099‐01‐01T10:00"]
        var cases = malformed.enumerated().map { Self.refuses("malformed due \($0.offset): \($0.element.prefix(20))", title: "due test", due: $0.element, ["due": WorkerSays.malformedDue]) }
        let impossible = ["2099-02-30T10:00", "2100-02-29T10:00", "2099-13-01T10:00", "2099-00-10T10:00", "2099-01-00T10:00",
                          "2099-01-32T10:00", "2099-04-31T10:00", "2099-01-01T24:00", "2099-01-01T10:60", "2099-01-01T10:00:60",
                          "9999-99-99T99:99"]
        cases += impossible.map { Self.refuses("impossible due \($0)", title: "due test", due: $0, ["due": WorkerSays.impossibleDate]) }
        cases += [
            Self.refuses("empty due", title: "due test", due: "", ["due": WorkerSays.enterDue]),
            Self.refuses("blank due", title: "due test", due: " \t ", ["due": WorkerSays.enterDue]),
        ]
        let accepted: [(String, String, Int64)] = [
            ("1970 (CET)", "1970-01-01T00:00", -3_600_000),
            ("1970-01-01T01:00 is the epoch", "1970-01-01T01:00", 0),
            ("year 0001 (LMT +0:53:28)", "0001-01-01T00:00", -62_135_596_800_000 - 3_208_000),
            ("year 9999", "9999-12-31T23:59", 253_402_297_140_000),
            ("year 9999 with seconds", "9999-12-31T23:59:59", 253_402_297_199_000),
            ("leap day 2028", "2028-02-29T12:00", utcMilliseconds(2028, 2, 29, 11, 0)),
            ("leap day 2000", "2000-02-29T00:00", utcMilliseconds(2000, 2, 28, 23, 0)),
            ("space instead of T", "2099-01-01 10:00", Self.futureMilliseconds),
            ("milliseconds dropped", "2099-01-01T10:00:00.999", Self.futureMilliseconds),
            ("one fraction digit", "2099-01-01T10:00:00.5", Self.futureMilliseconds),
            ("white space around", "  2099-01-01T10:00\t", Self.futureMilliseconds),
            ("no-break spaces around", "\u{A0}2099-01-01T10:00\u{A0}", Self.futureMilliseconds),
            ("summer time (CEST)", "2099-07-01T12:00", utcMilliseconds(2099, 7, 1, 10, 0)),
            // Around the 2026 changes in Europe/Berlin (01:00Z on 29 March and 25 October).
            ("just before the gap", "2026-03-29T01:59:59", utcMilliseconds(2026, 3, 29, 0, 59, 59)),
            ("end of the gap", "2026-03-29T03:00", utcMilliseconds(2026, 3, 29, 1, 0)),
            ("DST overlap 02:30 → earlier (00:30Z)", "2026-10-25T02:30", utcMilliseconds(2026, 10, 25, 0, 30)),
            ("DST overlap 02:00 → 00:00Z", "2026-10-25T02:00", utcMilliseconds(2026, 10, 25, 0, 0)),
            ("DST overlap 02:59:59 → 00:59:59Z", "2026-10-25T02:59:59", utcMilliseconds(2026, 10, 25, 0, 59, 59)),
            ("after the overlap 03:00 → 02:00Z", "2026-10-25T03:00", utcMilliseconds(2026, 10, 25, 2, 0)),
            ("before the overlap 01:59 → 23:59Z", "2026-10-25T01:59", utcMilliseconds(2026, 10, 24, 23, 59)),
        ]
        cases += accepted.map { Self.creates("due \($0.0)", title: "due \($0.0)", due: $0.1, dueMilliseconds: $0.2) }
        // How the detail page shows some of them, in Europe/Berlin.
        let shown = ["due 1970 (CET)": "Thu 1 Jan 1970, 00:00 CET", "due year 9999": "Fri 31 Dec 9999, 23:59 CET",
                     "due year 0001 (LMT +0:53:28)": "Mon 1 Jan 1, 00:00 UTC+00:53",
                     "due end of the gap": "Sun 29 Mar 2026, 03:00 CEST",
                     "due DST overlap 02:30 → earlier (00:30Z)": "Sun 25 Oct 2026, 02:30 CEST",
                     "due after the overlap 03:00 → 02:00Z": "Sun 25 Oct 2026, 03:00 CET",
                     "due year 9999 with seconds": "Fri 31 Dec 9999, 23:59:59 CET"]
        for index in cases.indices { if let text = shown[cases[index].name] { cases[index].expect.creates?.shows = [text] } }
        for time in ["02:00", "02:30", "02:59", "02:59:59"] {
            cases.append(Self.refuses("DST gap 2026-03-29T\(time)", title: "gap", due: "2026-03-29T" + time, ["due": WorkerSays.skippedTime]))
        }
        return cases
    }

    /// Generated: the EU rule (changes at 01:00Z on the last Sundays of March and October), 2026–2040.
    var daylightSavingYears: [HostileCase] {
        var cases: [HostileCase] = []
        for year in 2026...2040 {
            let march = Self.lastSunday(year: year, month: 3)
            let october = Self.lastSunday(year: year, month: 10)
            let gap = String(format: "%04d-03-%02dT02:30", year, march)
            cases.append(Self.refuses("gap \(gap)", title: "gap \(year)", due: gap, ["due": WorkerSays.skippedTime]))
            let afterGap = String(format: "%04d-03-%02dT03:00", year, march)
            cases.append(Self.creates("after the gap \(afterGap)", title: "after gap \(year)", due: afterGap,
                                      dueMilliseconds: utcMilliseconds(year, 3, march, 1, 0)))
            let overlap = String(format: "%04d-10-%02dT02:30", year, october)
            cases.append(Self.creates("overlap \(overlap)", title: "overlap \(year)", due: overlap,
                                      dueMilliseconds: utcMilliseconds(year, 10, october, 0, 30)))
        }
        return cases
    }

    /// Day of the month of the last Sunday (31-day months only).
    static func lastSunday(year: Int, month: Int) -> Int {
        let offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
        let y = month < 3 ? year - 1 : year
        let weekday = (y + y / 4 - y / 100 + y / 400 + offsets[month - 1] + 31) % 7 // 0 = Sunday
        return 31 - weekday
    }

    // MARK: Ids and paths

    var idsAndPaths: [HostileCase] {
        let anchorDigits = String(anchor)
        let percentDigits = anchorDigits.unicodeScalars.map { String(format: "%%%02X", $0.value) }.joined()
        let shown = HostileExpectation(status: 200, bodyContains: ["<h1>anchor &lt;b&gt;task&lt;/b&gt;</h1>"])
        var cases: [HostileCase] = []
        for id in ["0", "-1", "99999999999999999999", "9223372036854775808", "abc", "1;drop", "+1", "1.0", "1e2", "0x1", "%D9%A1",
                   "%EF%BC%91", "1%20", "%20\(anchorDigits)", "\(anchorDigits)abc", "NaN", "%3Cscript%3Ealert(1)%3C%5Cscript%3E"] {
            cases.append(Self.fails("GET /tasks/\(id)", Self.get("/tasks/\(id)"), 404, WorkerSays.noTaskNumber))
        }
        cases += [
            Self.fails("GET /tasks/9223372036854775807 (valid, absent)", Self.get("/tasks/9223372036854775807"), 404, WorkerSays.noTaskDeleted),
            HostileCase(name: "GET /tasks/%3X… (nginx decodes it to the anchor's id)", request: Self.get("/tasks/" + percentDigits), expect: shown),
            HostileCase(name: "GET /tasks/0ID (leading zero)", request: Self.get("/tasks/0" + anchorDigits), expect: shown),
            HostileCase(name: "GET /tasks/000…ID (many leading zeros)", request: Self.get("/tasks/" + String(repeating: "0", count: 30) + anchorDigits), expect: shown),
            HostileCase(name: "GET //tasks//ID (nginx merges slashes)", request: Self.get("//tasks//" + anchorDigits), expect: shown),
            HostileCase(name: "GET /tasks/x/../ID (nginx resolves dots)", request: Self.get("/tasks/x/../" + anchorDigits), expect: shown),
            Self.fails("GET /tasks/ID/ (trailing slash)", Self.get("/tasks/\(anchorDigits)/"), 404, WorkerSays.noPage),
            Self.fails("GET /tasks/ID/edit/x", Self.get("/tasks/\(anchorDigits)/edit/x"), 404, WorkerSays.noPage),
            Self.fails("GET /tasks/ID/EDIT", Self.get("/tasks/\(anchorDigits)/EDIT"), 404, WorkerSays.noPage),
            Self.fails("GET /tasks/ID/edit%3Fx=1 (encoded ?)", Self.get("/tasks/\(anchorDigits)/edit%3Fx=1"), 404, WorkerSays.noPage),
            Self.fails("GET /TASKS", Self.get("/TASKS"), 404, WorkerSays.noPage),
            Self.fails("GET /tasks/ (no id)", Self.get("/tasks/"), 404, WorkerSays.noTaskNumber),
            Self.fails("GET /tasks/new/", Self.get("/tasks/new/"), 404, WorkerSays.noPage),
            Self.fails("GET /tasks/%3Cscript%3E…%2F… (nginx decodes %2F)", Self.get("/tasks/%3Cscript%3Ealert(1)%3C%2Fscript%3E"), 404, WorkerSays.noPage),
            Self.fails("GET /%3Cscript%3Ealert(1)%3C/script%3E", Self.get("/%3Cscript%3Ealert(1)%3C/script%3E"), 404, WorkerSays.noPage),
            Self.fails("GET /tasks/%0A (decoded line break)", Self.get("/tasks/%0A"), 404, WorkerSays.noTaskNumber),
            Self.fails("GET /tasks/%E2%80%AE1 (RLO)", Self.get("/tasks/%E2%80%AE1"), 404, WorkerSays.noTaskNumber),
            Self.fails("GET /tasks/%FF (invalid UTF-8 once decoded)", Self.get("/tasks/%FF"), 400, WorkerSays.addressNotUTF8),
            HostileCase(name: "GET /tasks/%2e%2e (nginx resolves to /)", request: Self.get("/tasks/%2e%2e"),
                        expect: HostileExpectation(status: 303, location: "/tasks")),
            Self.nginx("GET /tasks/%00", Self.get("/tasks/%00"), 400, "<h1>400 Bad Request</h1>"),
            Self.nginx("GET /tasks/ID%00", Self.get("/tasks/\(anchorDigits)%00"), 400, "<h1>400 Bad Request</h1>"),
            Self.nginx("GET /../../etc/passwd", Self.get("/../../etc/passwd"), 400, "<h1>400 Bad Request</h1>"),
            Self.nginx("GET /tasks/..%2f..%2f..%2fetc%2fpasswd", Self.get("/tasks/..%2f..%2f..%2fetc%2fpasswd"), 400, "<h1>400 Bad Request</h1>"),
            Self.nginx("GET with a raw control byte in the path", WireRequest("GET", rawTarget: Array("/tasks/".utf8) + [0x01]), 400, "<h1>400 Bad Request</h1>"),
            Self.nginx("GET with a space in the path", WireRequest("GET", rawTarget: Array("/tasks/1 2".utf8)), 400, "<h1>400 Bad Request</h1>"),
            Self.fails("GET with a raw \\xFF in the path", WireRequest("GET", rawTarget: Array("/tasks/".utf8) + [0xFF]), 400, WorkerSays.addressNotUTF8),
            Self.fails("GET a raw <script> path", WireRequest("GET", rawTarget: Array("/<script>alert(1)</script>".utf8)), 404, WorkerSays.noPage),
        ]
        // Ids on the routes that change things: refused before any store access, nothing changes.
        for id in ["0", "-1", "abc", "99999999999999999999", "1;drop"] {
            cases.append(Self.fails("POST /tasks/\(id) (edit)", Self.post("/tasks/\(id)", form: [("title", "ghost"), ("due", Self.future)]), 404, WorkerSays.noTaskNumber))
            cases.append(Self.fails("POST /tasks/\(id)/delete", Self.post("/tasks/\(id)/delete", form: []), 404, WorkerSays.noTaskNumber))
        }
        cases += [
            Self.fails("POST /tasks/9223372036854775807 (absent) with a valid form", Self.post("/tasks/9223372036854775807", form: [("title", "ghost"), ("due", Self.future)]), 404, WorkerSays.noTaskDeleted),
            Self.fails("POST /tasks/9223372036854775807/delete (absent)", Self.post("/tasks/9223372036854775807/delete", form: []), 404, WorkerSays.noTaskDeleted),
            Self.fails("GET /tasks/ID/edit with a bad id", Self.get("/tasks/-1/edit"), 404, WorkerSays.noTaskNumber),
            Self.fails("POST /jobs/<script>/run", Self.post("/jobs/%3Cscript%3Ealert(1)%3C%5Cscript%3E/run", form: []), 404,
                       "There is no enabled job called “<script>alert(1)<\\script>”."),
            Self.fails("POST /jobs//run", Self.post("/jobs//run", form: []), 404, WorkerSays.noPage),
        ]
        return cases
    }

    // MARK: Query strings

    var queryStrings: [HostileCase] {
        var cases: [HostileCase] = [
            Self.fails("status=<script>", Self.get("/tasks?status=%3Cscript%3Ealert(1)%3C%2Fscript%3E"), 400, WorkerSays.unknownFilter("<script>alert(1)</script>")),
            Self.fails("status=\"><script>", Self.get("/tasks?status=%22%3E%3Cscript%3E"), 400, WorkerSays.unknownFilter("\"><script>")),
            Self.fails("status=%00", Self.get("/tasks?status=%00"), 400, WorkerSays.unknownFilter("\u{0}")),
            Self.fails("status=RLO", Self.get("/tasks?status=%E2%80%AEgnidnep"), 400, WorkerSays.unknownFilter("\u{202E}gnidnep")),
            Self.fails("status=PENDING", Self.get("/tasks?status=PENDING"), 400, WorkerSays.unknownFilter("PENDING")),
            Self.fails("status= pending (space)", Self.get("/tasks?status=+pending"), 400, WorkerSays.unknownFilter(" pending")),
            Self.fails("raw \\xFF in the status value", WireRequest("GET", rawTarget: Array("/tasks?status=pending".utf8) + [0xFF]), 400, WorkerSays.addressNotUTF8),
            Self.fails("page=0", Self.get("/tasks?page=0"), 400, WorkerSays.pageNumber),
            Self.fails("page=-1", Self.get("/tasks?page=-1"), 400, WorkerSays.pageNumber),
            Self.fails("page=abc", Self.get("/tasks?page=abc"), 400, WorkerSays.pageNumber),
            Self.fails("page=1.5", Self.get("/tasks?page=1.5"), 400, WorkerSays.pageNumber),
            Self.fails("page=+1", Self.get("/tasks?page=%2B1"), 400, WorkerSays.pageNumber),
            Self.fails("page=99999999999999999999", Self.get("/tasks?page=99999999999999999999"), 400, WorkerSays.pageNumber),
            Self.fails("page=١ (Arabic-Indic one)", Self.get("/tasks?page=%D9%A1"), 400, WorkerSays.pageNumber),
            Self.fails("page=9223372036854775807", Self.get("/tasks?page=9223372036854775807"), 404, "There is no page 9223372036854775807 of this list; the last page is"),
            Self.ok("page=01", Self.get("/tasks?page=01"), contains: ["<h1>Tasks</h1>"]),
            Self.ok("page=%31", Self.get("/tasks?page=%31"), contains: ["<h1>Tasks</h1>"]),
            Self.ok("status twice: the first counts", Self.get("/tasks?status=pending&status=%3Cscript%3E"), contains: ["aria-current=\"page\">Pending"]),
            Self.ok("empty status", Self.get("/tasks?status="), contains: ["<h1>Tasks</h1>"]),
            Self.ok("unknown parameters", Self.get("/tasks?debug=1&admin=true&%3Cscript%3E=%3Cscript%3E"), contains: ["<h1>Tasks</h1>"]),
            Self.ok("query on /healthz", Self.get("/healthz?%3Cscript%3E"), contains: ["ok"]),
            Self.ok("broken escape on a page that reads no query", Self.get("/tasks/\(anchor)?%ZZ"), contains: ["<h1>anchor &lt;b&gt;task&lt;/b&gt;</h1>"]),
        ]
        let broken = ["status=%", "status=%G0", "status=%1", "status=pending%", "x=%ZZ", "%=1", "page=%%31"]
        cases += broken.map { Self.fails("broken escape in query: \($0)", Self.get("/tasks?" + $0), 400, WorkerSays.brokenEscape) }
        let invalid = ["status=%FF", "status=%C0%AF", "status=%ED%A0%80", "status=%E2%82", "x=%80", "%FF=1", "page=%F4%90%80%80"]
        cases += invalid.map { Self.fails("invalid UTF-8 in query: \($0)", Self.get("/tasks?" + $0), 400, WorkerSays.notUTF8) }
        // A raw invalid byte in the query is refused like an escaped one.
        cases.append(Self.fails("raw invalid UTF-8 (\\xFF) in an unknown query parameter",
                                WireRequest("GET", rawTarget: Array("/tasks?status=all&x=".utf8) + [0xFF]), 400, WorkerSays.addressNotUTF8))
        return cases
    }

    // MARK: Cross-site posts

    var crossSite: [HostileCase] {
        let me = "http://127.0.0.1:\(port)"
        let otherPort = port == 65_535 ? port - 1 : port + 1
        func post(_ name: String, _ headers: [(String, String)]) -> WireRequest {
            Self.post("/tasks", form: [("title", "xsite \(name)"), ("due", Self.future)], headers: headers)
        }
        func refused(_ name: String, _ headers: [(String, String)], _ message: String, knownIssue: String? = nil) -> HostileCase {
            HostileCase(name: "403: \(name)", request: post(name, headers), expect: HostileExpectation(status: 403, message: message), knownIssue: knownIssue)
        }
        func allowed(_ name: String, _ headers: [(String, String)], host: String? = nil) -> HostileCase {
            var request = post(name, headers)
            if let host { request.host = host }
            return HostileCase(name: "303: \(name)", request: request,
                               expect: HostileExpectation(status: 303, creates: HostileTask(title: "xsite \(name)", dueMilliseconds: Self.futureMilliseconds)))
        }
        return [
            refused("Sec-Fetch-Site: cross-site", [("Sec-Fetch-Site", "cross-site")], WorkerSays.crossSite("cross-site")),
            refused("Sec-Fetch-Site: same-site", [("Sec-Fetch-Site", "same-site")], WorkerSays.crossSite("same-site")),
            allowed("Sec-Fetch-Site: same-origin", [("Sec-Fetch-Site", "same-origin")]),
            allowed("Sec-Fetch-Site: none", [("Sec-Fetch-Site", "none")]),
            allowed("Sec-Fetch-Site: same-origin padded (nginx trims)", [("Sec-Fetch-Site", "   same-origin  ")]),
            refused("Sec-Fetch-Site: garbage", [("Sec-Fetch-Site", "garbage")], WorkerSays.crossSite("garbage")),
            refused("Sec-Fetch-Site: Same-Origin (case)", [("Sec-Fetch-Site", "Same-Origin")], WorkerSays.crossSite("Same-Origin")),
            refused("Sec-Fetch-Site: <script>", [("Sec-Fetch-Site", "<script>alert(1)</script>")], WorkerSays.crossSite("<script>alert(1)</script>")),
            refused("Sec-Fetch-Site: list", [("Sec-Fetch-Site", "same-origin, cross-site")], WorkerSays.crossSite("same-origin, cross-site")),
            // Fails closed where Go treats an empty value as absent; no browser sends it.
            refused("Sec-Fetch-Site: (empty)", [("Sec-Fetch-Site", "")], WorkerSays.crossSite("")),
            refused("Origin: other host", [("Origin", "http://evil.example")], WorkerSays.otherOrigin("http://evil.example")),
            refused("Origin: other port", [("Origin", "http://127.0.0.1:\(otherPort)")], WorkerSays.otherOrigin("http://127.0.0.1:\(otherPort)")),
            refused("Origin: other scheme (https, default port)", [("Origin", "https://127.0.0.1")], WorkerSays.otherOrigin("https://127.0.0.1")),
            refused("Origin: no port (means 80)", [("Origin", "http://127.0.0.1")], WorkerSays.otherOrigin("http://127.0.0.1")),
            refused("Origin: null", [("Origin", "null")], WorkerSays.otherOrigin("null")),
            refused("Origin: (empty)", [("Origin", "")], WorkerSays.otherOrigin("")),
            refused("Origin: localhost for host 127.0.0.1", [("Origin", "http://localhost:\(port)")], WorkerSays.otherOrigin("http://localhost:\(port)")),
            refused("Origin: trailing slash", [("Origin", me + "/")], WorkerSays.otherOrigin(me + "/")),
            refused("Origin: suffix domain", [("Origin", me + ".evil.example")], WorkerSays.otherOrigin(me + ".evil.example")),
            refused("Origin: prefix domain", [("Origin", "http://127.0.0.1.evil.example:\(port)")], WorkerSays.otherOrigin("http://127.0.0.1.evil.example:\(port)")),
            refused("Origin: userinfo", [("Origin", "http://127.0.0.1:\(port)@evil.example")], WorkerSays.otherOrigin("http://127.0.0.1:\(port)@evil.example")),
            refused("Origin: <script>", [("Origin", "http://<script>alert(1)</script>")], WorkerSays.otherOrigin("http://<script>alert(1)</script>")),
            allowed("Origin: this site", [("Origin", me)]),
            // Like Go's CrossOriginProtection, only host and port are compared: one port speaks one scheme.
            allowed("Origin: https on this very port", [("Origin", "https://127.0.0.1:\(port)")]),
            allowed("Origin: upper-case host for Host localhost", [("Origin", "http://LOCALHOST:\(port)")], host: "localhost"),
            refused("cross-site with a same-origin Origin", [("Sec-Fetch-Site", "cross-site"), ("Origin", me)], WorkerSays.crossSite("cross-site")),
            refused("same-site with another Origin", [("Sec-Fetch-Site", "same-site"), ("Origin", "http://evil.example")], WorkerSays.crossSite("same-site")),
            allowed("same-origin with another Origin (Sec-Fetch-Site wins)", [("Sec-Fetch-Site", "same-origin"), ("Origin", "http://evil.example")]),
            allowed("none with Origin null", [("Sec-Fetch-Site", "none"), ("Origin", "null")]),
            allowed("neither header (curl, scripts)", []),
            // A repeated header becomes one comma-joined value, which matches no allowed value.
            refused("Sec-Fetch-Site twice: cross-site, then same-origin", [("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Site", "same-origin")],
                    WorkerSays.crossSite("cross-site, same-origin")),
            refused("Origin twice: evil, then this site", [("Origin", "http://evil.example"), ("Origin", me)],
                    WorkerSays.otherOrigin("http://evil.example, \(me)")),
            refused("Sec-Fetch-Site twice: same-origin, then cross-site", [("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Site", "cross-site")],
                    WorkerSays.crossSite("same-origin, cross-site")),
            // Every route that changes something is protected, before routing.
            Self.fails("403: cross-site edit", Self.post("/tasks/\(editTarget)", form: [("title", "forged edit"), ("due", Self.future)],
                                                         headers: [("Sec-Fetch-Site", "cross-site")]), 403, WorkerSays.crossSite("cross-site")),
            Self.fails("403: cross-site delete", Self.post("/tasks/\(anchor)/delete", form: [], headers: [("Origin", "http://evil.example")]),
                       403, WorkerSays.otherOrigin("http://evil.example")),
            Self.fails("403: cross-site job run", Self.post("/jobs/completeDueTasks/run", form: [], headers: [("Sec-Fetch-Site", "cross-site")]),
                       403, WorkerSays.crossSite("cross-site")),
            Self.fails("403: cross-site PUT (refused before the 405)", WireRequest("PUT", "/tasks", headers: [("Sec-Fetch-Site", "cross-site")]),
                       403, WorkerSays.crossSite("cross-site")),
            Self.fails("403: cross-site DELETE on a task", WireRequest("DELETE", "/tasks/\(anchor)", headers: [("Origin", "http://evil.example")]),
                       403, WorkerSays.otherOrigin("http://evil.example")),
            Self.fails("403: cross-site POST to an unknown address", Self.post("/nope", form: [], headers: [("Sec-Fetch-Site", "cross-site")]),
                       403, WorkerSays.crossSite("cross-site")),
            Self.ok("GET with cross-site headers is served", Self.get("/tasks", headers: [("Sec-Fetch-Site", "cross-site"), ("Origin", "http://evil.example")]),
                    contains: ["<h1>Tasks</h1>"]),
            HostileCase(name: "HEAD with cross-site headers is served", request: WireRequest("HEAD", "/tasks", headers: [("Sec-Fetch-Site", "cross-site")]),
                        expect: HostileExpectation(status: 200)),
            HostileCase(name: "OPTIONS with cross-site headers: 405, not 403", request: WireRequest("OPTIONS", "/tasks", headers: [("Sec-Fetch-Site", "cross-site")]),
                        expect: HostileExpectation(status: 405, message: WorkerSays.methodNotAllowed("GET, HEAD, POST"), allow: "GET, HEAD, POST")),
        ]
    }

    // MARK: Methods

    /// HEAD, OPTIONS, PUT, PATCH, DELETE, TRACE and FOO on every route.
    var methods: [HostileCase] {
        let routes: [(path: String, allow: String, head: HostileExpectation)] = [
            ("/", "GET, HEAD", HostileExpectation(status: 303, location: "/tasks")),
            ("/healthz", "GET, HEAD", HostileExpectation(status: 200)),
            ("/status", "GET, HEAD", HostileExpectation(status: 200)),
            ("/jobs", "GET, HEAD", HostileExpectation(status: 200)),
            ("/jobs/completeDueTasks/run", "POST", HostileExpectation(status: 405, allow: "POST")),
            ("/tasks", "GET, HEAD, POST", HostileExpectation(status: 200)),
            ("/tasks/new", "GET, HEAD", HostileExpectation(status: 200)),
            ("/tasks/\(anchor)", "GET, HEAD, POST", HostileExpectation(status: 200)),
            ("/tasks/\(anchor)/edit", "GET, HEAD", HostileExpectation(status: 200)),
            ("/tasks/\(anchor)/delete", "POST", HostileExpectation(status: 405, allow: "POST")),
        ]
        var cases: [HostileCase] = []
        let validForm = Self.urlencoded([("title", "method smuggled"), ("due", Self.future)])
        for route in routes {
            cases.append(HostileCase(name: "HEAD \(route.path)", request: WireRequest("HEAD", route.path), expect: route.head))
            for method in ["OPTIONS", "PUT", "PATCH", "DELETE", "FOO"] {
                // PUT and PATCH carry a valid task form: still 405, nothing stored.
                let body = method == "PUT" || method == "PATCH" ? validForm : nil
                let request = WireRequest(method, route.path, body: body, contentType: body == nil ? nil : Self.formType)
                cases.append(HostileCase(name: "\(method) \(route.path)", request: request,
                                         expect: HostileExpectation(status: 405, message: WorkerSays.methodNotAllowed(route.allow), allow: route.allow)))
            }
            // nginx refuses TRACE itself, then hands its 405 to the worker (error_page 405 = @worker),
            // whose answer carries the Allow header RFC 9110 requires and nginx's page lacks.
            cases.append(HostileCase(name: "TRACE \(route.path)", request: WireRequest("TRACE", route.path),
                                     expect: HostileExpectation(status: 405, message: WorkerSays.methodNotAllowed(route.allow), allow: route.allow)))
        }
        cases += [
            Self.nginx("lower-case method", WireRequest("get", "/tasks"), 400, "<h1>400 Bad Request</h1>"),
            Self.fails("CONNECT", WireRequest("CONNECT", "/tasks"), 405, WorkerSays.methodNotAllowed("GET, HEAD, POST")),
            Self.fails("PROPFIND /tasks", WireRequest("PROPFIND", "/tasks"), 405, WorkerSays.methodNotAllowed("GET, HEAD, POST")),
            Self.fails("M-SEARCH /tasks", WireRequest("M-SEARCH", "/tasks"), 405, WorkerSays.methodNotAllowed("GET, HEAD, POST")),
            Self.fails("52-letter method", WireRequest(String(repeating: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", count: 2), "/tasks"), 405, WorkerSays.methodNotAllowed("GET, HEAD, POST")),
            Self.fails("GET on a POST-only route", Self.get("/tasks/\(anchor)/delete"), 405, WorkerSays.methodNotAllowed("POST")),
            Self.fails("POST on a GET-only route", Self.post("/tasks/new", form: [("title", "new"), ("due", Self.future)]), 405, WorkerSays.methodNotAllowed("GET, HEAD")),
            Self.fails("POST /healthz", Self.post("/healthz", form: []), 405, WorkerSays.methodNotAllowed("GET, HEAD")),
            Self.nginx("HTTP/2.0 in the request line", { var r = Self.get("/tasks"); r.version = "HTTP/2.0"; return r }(), 505, "505 HTTP Version Not Supported"),
            Self.nginx("HTTP/1.1 without Host", { var r = Self.get("/tasks"); r.host = nil; return r }(), 400, "<h1>400 Bad Request</h1>"),
            Self.nginx("invalid Host", { var r = Self.get("/tasks"); r.host = "a/b"; return r }(), 400, "<h1>400 Bad Request</h1>"),
            Self.nginx("NUL in a header value", WireRequest("GET", rawTarget: Array("/tasks".utf8), headers: [("X-Evil", [0x61, 0x00, 0x62])]), 400, "<h1>400 Bad Request</h1>"),
        ]
        return cases
    }

    // MARK: Sizes

    /// Bodies around the worker's limit (32 KiB), its drain cap (256 KiB) and nginx's limit (1 MiB);
    /// URLs and headers around nginx's buffers (8 KiB).
    var sizes: [HostileCase] {
        func body(_ total: Int) -> [UInt8] {
            let head = Array("due=2099-01-01T10%3A00&title=".utf8)
            return head + [UInt8](repeating: UInt8(ascii: "b"), count: total - head.count)
        }
        let limit = Self.maxBodyBytes
        var cases: [HostileCase] = [
            HostileCase(name: "body of exactly maxBodyBytes: read, title too long", request: Self.post("/tasks", raw: body(limit)),
                        expect: HostileExpectation(status: 422, fieldErrors: ["title": WorkerSays.titleTooLong(limit - 29)])),
            Self.fails("body of maxBodyBytes + 1: the worker's 413", Self.post("/tasks", raw: body(limit + 1)), 413, WorkerSays.tooLarge(limit + 1)),
            Self.fails("100 KB body: the worker's 413", Self.post("/tasks", raw: body(100_000)), 413, WorkerSays.tooLarge(100_000)),
            Self.fails("256 KiB body (the worker's drain cap): 413", Self.post("/tasks", raw: body(8 * limit)), 413, WorkerSays.tooLarge(8 * limit)),
            Self.fails("300 KB body (past the drain cap): still a clean 413, not a 502", Self.post("/tasks", raw: body(300_000)), 413, WorkerSays.tooLarge(300_000)),
            Self.fails("body of exactly nginx's limit (1 MiB): the worker's 413", Self.post("/tasks", raw: body(Self.nginxBodyLimitBytes)), 413, WorkerSays.tooLarge(Self.nginxBodyLimitBytes)),
            Self.fails("1 MiB again: the worker still answers", Self.post("/tasks", raw: body(Self.nginxBodyLimitBytes)), 413, WorkerSays.tooLarge(Self.nginxBodyLimitBytes)),
            Self.fails("100 KB JSON body: 413 before 415", Self.post("/tasks", raw: [UInt8](repeating: UInt8(ascii: "["), count: 100_000), contentType: "application/json"), 413, WorkerSays.tooLarge(100_000)),
            Self.nginx("body of nginx's limit + 1: nginx's 413", Self.post("/tasks", raw: body(Self.nginxBodyLimitBytes + 1)), 413, "<h1>413 Request Entity Too Large</h1>"),
            Self.nginx("2 MB body: nginx's 413", Self.post("/tasks", raw: body(2_000_000)), 413, "<h1>413 Request Entity Too Large</h1>"),
            Self.nginx("Content-Length of 10 GB, no body: nginx's 413 at once", WireRequest("POST", "/tasks", body: nil, contentType: Self.formType, contentLength: "10000000000"),
                       413, "<h1>413 Request Entity Too Large</h1>"),
            Self.nginx("9 KB path", Self.get("/tasks/" + String(repeating: "1", count: 9_000)), 414, "<h1>414 Request-URI Too Large</h1>"),
            Self.nginx("9 KB query", Self.get("/tasks?q=" + String(repeating: "q", count: 9_000)), 414, "<h1>414 Request-URI Too Large</h1>"),
            Self.nginx("100 KB URL", Self.get("/tasks?" + String(repeating: "a=1&", count: 25_000)), 414, "<h1>414 Request-URI Too Large</h1>"),
            Self.nginx("9 KB header", Self.get("/tasks", headers: [("X-Long", String(repeating: "h", count: 9_000))]), 400, "Request Header Or Cookie Too Large"),
            Self.nginx("9 KB cookie", Self.get("/tasks", headers: [("Cookie", "a=" + String(repeating: "c", count: 9_000))]), 400, "Request Header Or Cookie Too Large"),
            Self.nginx("9 KB Sec-Fetch-Site on a post", Self.post("/tasks", form: [("title", "x"), ("due", Self.future)], headers: [("Sec-Fetch-Site", String(repeating: "s", count: 9_000))]),
                       400, "Request Header Or Cookie Too Large"),
            Self.nginx("six 7 KB headers (over 4 × 8 KB)", Self.get("/tasks", headers: (0..<6).map { ("X-H\($0)", String(repeating: "h", count: 7_000)) }), 400, "Request Header Or Cookie Too Large"),
            Self.ok("7 KB query, one parameter", Self.get("/tasks?q=" + String(repeating: "q", count: 7_000)), contains: ["<h1>Tasks</h1>"]),
            Self.ok("7 KB query, 1,000 parameters", Self.get("/tasks?" + (0..<1_000).map { "p\($0 % 10)=\($0 % 10)" }.joined(separator: "&")), contains: ["<h1>Tasks</h1>"]),
            Self.ok("7 KB query of %3Cscript%3E", Self.get("/tasks?x=" + String(repeating: "%3Cscript%3E", count: 580)), contains: ["<h1>Tasks</h1>"]),
            Self.fails("7 KB query of %FF", Self.get("/tasks?x=" + String(repeating: "%FF", count: 2_300)), 400, WorkerSays.notUTF8),
            Self.ok("7 KB query on /tasks/new", Self.get("/tasks/new?q=" + String(repeating: "n", count: 7_000)), contains: ["<h1>New task</h1>"]),
            Self.ok("6 KB header", Self.get("/tasks", headers: [("X-Big", String(repeating: "h", count: 6_000))]), contains: ["<h1>Tasks</h1>"]),
            Self.ok("three 7 KB headers", Self.get("/tasks", headers: (0..<3).map { ("X-H\($0)", String(repeating: "h", count: 7_000)) }), contains: ["<h1>Tasks</h1>"]),
            Self.ok("200 small headers", Self.get("/tasks", headers: (0..<200).map { ("X-H\($0)", String(repeating: "v", count: 100)) }), contains: ["<h1>Tasks</h1>"]),
        ]
        // A 7 KB valid title on a form is still too long, not too large.
        cases.append(Self.refuses("7 KB title", title: String(repeating: "t", count: 7_000), ["title": WorkerSays.titleTooLong(7_000)]))
        return cases
    }

    /// Edits of the edit target: hostile titles stored verbatim, refused input leaves it unchanged.
    var edits: [HostileCase] {
        func edit(_ name: String, _ title: String) -> HostileCase {
            HostileCase(name: "edit: \(name)", request: Self.post("/tasks/\(editTarget)", form: [("title", title), ("due", Self.future)]),
                        expect: HostileExpectation(status: 303, location: "/tasks/\(editTarget)", updates: (editTarget, Self.stored(title))))
        }
        func refusedEdit(_ name: String, title: String, due: String, _ errors: [String: String]) -> HostileCase {
            HostileCase(name: "edit refused: \(name)", request: Self.post("/tasks/\(editTarget)", form: [("title", title), ("due", due)]),
                        expect: HostileExpectation(status: 422, fieldErrors: errors), submitted: ["title": title, "due": due])
        }
        return [
            edit("<script>", "<script>alert('edit')</script>"),
            edit("ZWJ emoji", "👩‍💻 edited"),
            edit("RLO", "edit\u{202E}txt.exe"),
            edit("trimmed", "  \t edited  \n"),
            refusedEdit("NUL", title: "a\u{0}b", due: Self.future, ["title": WorkerSays.controlInTitle]),
            refusedEdit("DST gap", title: "gap edit", due: "2026-03-29T02:30", ["due": WorkerSays.skippedTime]),
            refusedEdit("201 characters", title: String(repeating: "é", count: 201), due: Self.future, ["title": WorkerSays.titleTooLong(201)]),
            refusedEdit("empty", title: "", due: "", ["title": WorkerSays.enterTitle, "due": WorkerSays.enterDue]),
            Self.fails("edit refused: title twice", Self.post("/tasks/\(editTarget)", raw: Array("title=a&title=b&due=2099-01-01T10%3A00".utf8)), 400, WorkerSays.repeated("title")),
            Self.fails("edit refused: broken escape", Self.post("/tasks/\(editTarget)", raw: Array("title=%ZZ&due=2099-01-01T10%3A00".utf8)), 400, WorkerSays.brokenEscape),
            HostileCase(name: "delete with a JSON body (the body is not read)",
                        request: Self.post("/tasks/\(doomed[0])/delete", raw: Array(#"{"id": 1}"#.utf8), contentType: "application/json"),
                        expect: HostileExpectation(status: 303, location: "/tasks", deletes: doomed[0])),
            HostileCase(name: "delete with Sec-Fetch-Site: same-origin and a broken form",
                        request: Self.post("/tasks/\(doomed[1])/delete", raw: Array("%ZZ".utf8), headers: [("Sec-Fetch-Site", "same-origin")]),
                        expect: HostileExpectation(status: 303, location: "/tasks", deletes: doomed[1])),
        ]
    }
}
