import Foundation
import Testing

/// The deployed shape in one temp folder: the worker on a unix socket and nginx in front of it on a
/// free loopback port, with an HTTP client (curl) pointed at nginx.
final class Stack: @unchecked Sendable {
    let box: Sandbox
    let worker: ChildProcess
    let nginx: Nginx
    let http: HTTPClient

    /// `config` overrides the worker's base config; `clientMaxBodySize` is nginx's limit;
    /// `keepConnections` whether nginx pools its connections to the worker (as shipped).
    init(config: [String: Any] = [:], clientMaxBodySize: String = "1m", keepConnections: Bool = true) throws {
        box = try Sandbox()
        do {
            try box.writeConfig(config)
            worker = try box.startWorker()
            nginx = try box.startNginx(clientMaxBodySize: clientMaxBodySize, keepConnections: keepConnections)
        } catch {
            box.close()
            throw error
        }
        http = HTTPClient(port: nginx.port, folder: box.folder)
    }

    func close() { box.close() }

    /// What went on, for failure messages: the worker's log and stderr, nginx's error log.
    var diagnostics: String {
        "worker log (tail):\n\(box.logTail())\nworker stderr:\n\(worker.stderr)\nnginx error log:\n\(nginx.errorLog.suffix(3000))"
    }

    /// Creates a task through the form and returns its id (expects 303 to /tasks/ID).
    func createTask(title: String, due: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        let response = try http.post("/tasks", form: [("title", title), ("due", due)])
        #expect(response.status == 303, "\(response)\n\(diagnostics)", sourceLocation: sourceLocation)
        guard let id = Stack.taskID(fromLocation: response.location) else {
            throw HarnessError("POST /tasks did not redirect to /tasks/ID: \(response)")
        }
        return id
    }

    /// The id in a `Location: /tasks/ID`.
    static func taskID(fromLocation location: String?) -> Int64? {
        guard let location, location.hasPrefix("/tasks/") else { return nil }
        let rest = location.dropFirst("/tasks/".count)
        guard !rest.isEmpty, rest.allSatisfy(\.isNumber) else { return nil }
        return Int64(rest)
    }
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC for Unix milliseconds (the form's `due` format, zone UTC).
func utcFormText(_ milliseconds: Int64) -> String {
    var seconds = time_t(milliseconds / 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
}

/// Unix milliseconds of a UTC wall-clock time.
func utcMilliseconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Int64 {
    var parts = tm()
    parts.tm_year = Int32(year - 1900)
    parts.tm_mon = Int32(month - 1)
    parts.tm_mday = Int32(day)
    parts.tm_hour = Int32(hour)
    parts.tm_min = Int32(minute)
    parts.tm_sec = Int32(second)
    return Int64(timegm(&parts)) * 1000
}

/// The `value` attribute of the `<input name="NAME">` in a page, as written (still escaped).
func inputValue(_ html: String, name: String) -> String? {
    var rest = html[...]
    while let start = rest.range(of: "<input") {
        guard let end = rest[start.upperBound...].firstIndex(of: ">") else { return nil }
        let tag = rest[start.upperBound..<end]
        if tag.contains("name=\"\(name)\""), let value = tag.range(of: "value=\"") {
            let text = tag[value.upperBound...]
            return String(text.prefix { $0 != "\"" })
        }
        rest = rest[end...]
    }
    return nil
}
