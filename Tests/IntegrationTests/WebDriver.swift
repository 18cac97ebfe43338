import Foundation

/// A WebDriver command that the driver answered with an error (W3C `{"value": {"error", "message"}}`).
struct WebDriverError: Error, CustomStringConvertible {
    let command: String
    let status: Int
    let error: String
    let message: String

    var description: String { "WebDriver \(command) → HTTP \(status) \(error): \(message)" }
}

/// One element as the driver names it (the W3C element reference).
struct WebElement: Sendable, CustomStringConvertible {
    static let key = "element-6066-11e4-a52e-4f735466cecf"
    let id: String
    var description: String { "element \(id)" }
    var json: [String: Any] { [WebElement.key: id] }
}

/// One entry of the browser's console log, as chromedriver's legacy log endpoint returns it.
struct BrowserLogEntry: Sendable, CustomStringConvertible {
    let level: String
    let source: String
    let message: String
    var description: String { "[\(level)] \(source): \(message)" }
}

/// A small W3C WebDriver client: JSON in, the `value` member out. Only the commands the browser
/// tests use.
///
/// Not URLSession: chromedriver writes its response headers without a space after the colon
/// (`Content-Length:249`), which is valid HTTP (the whitespace is optional) but which
/// swift-corelibs-foundation's header parser rejects, so every request fails with
/// NSURLErrorDomain -1 "Failed writing header". `LoopbackHTTP` below speaks the little HTTP/1.1
/// that chromedriver needs over a loopback socket instead.
final class WebDriver: Sendable {
    let port: Int

    init(port: Int) {
        self.port = port
    }

    /// Sends one command; returns the response's `value`, or throws `WebDriverError`.
    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        // chromedriver wants a JSON object on every POST, `{}` when there are no parameters.
        let payload: Data? = method == "POST" ? try JSONSerialization.data(withJSONObject: body ?? [:]) : nil
        let port = self.port
        let (status, data) = try await LoopbackHTTP.exchangeInBackground(port: port, method: method, path: "/" + path, body: payload)
        let document = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        let value = (document as? [String: Any])?["value"]
        if status != 200 {
            let details = value as? [String: Any]
            throw WebDriverError(command: "\(method) /\(path)", status: status,
                                 error: details?["error"] as? String ?? "unknown error",
                                 message: details?["message"] as? String ?? String(decoding: data.prefix(2000), as: UTF8.self))
        }
        return value is NSNull ? nil : value
    }

    /// Nil when the driver says it can create a session (`GET /status` → `ready`), else why not.
    func notReady() async -> String? {
        do {
            let value = try await command("GET", "status") as? [String: Any]
            return value?["ready"] as? Bool == true ? nil : "status: \(String(describing: value))"
        } catch {
            return "\(error)"
        }
    }

    /// Creates a session with `capabilities` (the `alwaysMatch` object).
    func startSession(_ capabilities: [String: Any]) async throws -> WebDriverSession {
        let value = try await command("POST", "session", ["capabilities": ["alwaysMatch": capabilities]])
        guard let object = value as? [String: Any], let id = object["sessionId"] as? String else {
            throw HarnessError("new session: no sessionId in \(String(describing: value))")
        }
        return WebDriverSession(driver: self, id: id, capabilities: object["capabilities"] as? [String: Any] ?? [:])
    }
}

/// One browser session: navigation, elements, scripts, screenshots and the console log.
final class WebDriverSession: @unchecked Sendable {
    let driver: WebDriver
    let id: String
    /// What the driver granted (browserVersion, chrome.chromedriverVersion, …).
    let capabilities: [String: Any]

    init(driver: WebDriver, id: String, capabilities: [String: Any]) {
        (self.driver, self.id, self.capabilities) = (driver, id, capabilities)
    }

    @discardableResult
    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await driver.command(method, "session/\(id)" + (path.isEmpty ? "" : "/" + path), body)
    }

    func delete() async throws { try await command("DELETE", "") }

    func setTimeouts(implicitMs: Int = 0, pageLoadMs: Int = 30_000, scriptMs: Int = 10_000) async throws {
        try await command("POST", "timeouts", ["implicit": implicitMs, "pageLoad": pageLoadMs, "script": scriptMs])
    }

    /// Resizes the window (the viewport is what screenshots show).
    func setWindowSize(width: Int, height: Int) async throws {
        try await command("POST", "window/rect", ["width": width, "height": height])
    }

    // MARK: Navigation

    func navigate(_ url: String) async throws { try await command("POST", "url", ["url": url]) }
    func refresh() async throws { try await command("POST", "refresh") }
    func currentURL() async throws -> String { try await command("GET", "url") as? String ?? "" }
    func title() async throws -> String { try await command("GET", "title") as? String ?? "" }
    func source() async throws -> String { try await command("GET", "source") as? String ?? "" }

    // MARK: Elements

    func find(_ css: String) async throws -> WebElement {
        try await find(using: "css selector", css)
    }

    func find(xpath: String) async throws -> WebElement {
        try await find(using: "xpath", xpath)
    }

    func findAll(_ css: String) async throws -> [WebElement] {
        try await findAll(using: "css selector", css)
    }

    func findAll(xpath: String) async throws -> [WebElement] {
        try await findAll(using: "xpath", xpath)
    }

    private func findAll(using strategy: String, _ selector: String) async throws -> [WebElement] {
        let value = try await command("POST", "elements", ["using": strategy, "value": selector])
        return (value as? [[String: Any]] ?? []).compactMap { ($0[WebElement.key] as? String).map(WebElement.init) }
    }

    private func find(using strategy: String, _ selector: String) async throws -> WebElement {
        let value = try await command("POST", "element", ["using": strategy, "value": selector])
        guard let id = (value as? [String: Any])?[WebElement.key] as? String else {
            throw HarnessError("find \(selector): unexpected answer \(String(describing: value))")
        }
        return WebElement(id: id)
    }

    /// The rendered text (what a person reads), never the markup.
    func text(_ element: WebElement) async throws -> String {
        try await command("GET", "element/\(element.id)/text") as? String ?? ""
    }

    /// A DOM property such as `value` (what the control holds now, not the attribute).
    func property(_ element: WebElement, _ name: String) async throws -> Any? {
        try await command("GET", "element/\(element.id)/property/\(name)")
    }

    func click(_ element: WebElement) async throws {
        try await command("POST", "element/\(element.id)/click")
    }

    func clear(_ element: WebElement) async throws {
        try await command("POST", "element/\(element.id)/clear")
    }

    /// Types `text` key by key, as a person would.
    func sendKeys(_ element: WebElement, _ text: String) async throws {
        try await command("POST", "element/\(element.id)/value", ["text": text])
    }

    // MARK: Scripts, screenshots, logs

    /// Runs `script` (a function body; `arguments` holds `args`, elements as references) and returns its value.
    @discardableResult
    func execute(_ script: String, _ args: [Any] = []) async throws -> Any? {
        let arguments = args.map { ($0 as? WebElement)?.json ?? $0 }
        return try await command("POST", "execute/sync", ["script": script, "args": arguments])
    }

    /// The viewport as PNG bytes.
    func screenshot() async throws -> Data {
        guard let base64 = try await command("GET", "screenshot") as? String,
              let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
            throw HarnessError("screenshot: no base64 PNG in the answer")
        }
        return data
    }

    /// Log types the driver offers for this session (chromedriver: `browser`, `driver`, …).
    func logTypes() async throws -> [String] {
        try await command("GET", "se/log/types") as? [String] ?? []
    }

    /// Entries of log `type` since the last call (chromedriver empties the buffer on each read).
    /// Needs `goog:loggingPrefs` {`browser`: `ALL`} in the capabilities. Not a W3C command:
    /// chromedriver serves it at `POST /session/{id}/se/log` for W3C sessions.
    func log(_ type: String = "browser") async throws -> [BrowserLogEntry] {
        let value = try await command("POST", "se/log", ["type": type])
        return (value as? [[String: Any]] ?? []).map {
            BrowserLogEntry(level: $0["level"] as? String ?? "?", source: $0["source"] as? String ?? "?",
                            message: $0["message"] as? String ?? "")
        }
    }
}

/// One HTTP/1.1 request to 127.0.0.1:`port` over a fresh socket, its response read to the end of
/// `Content-Length` (chromedriver keeps the connection open even after `Connection: close`).
enum LoopbackHTTP {
    /// `exchange` on a Dispatch thread, so a slow answer (a new session takes a second or two)
    /// never blocks the test runner's few cooperative threads.
    static func exchangeInBackground(port: Int, method: String, path: String, body: Data?,
                                     timeout: Int = 60) async throws -> (status: Int, body: Data) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try exchange(port: port, method: method, path: path, body: body, timeout: timeout) })
            }
        }
    }

    static func exchange(port: Int, method: String, path: String, body: Data?, timeout: Int = 60) throws -> (status: Int, body: Data) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = Nginx.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError("cannot connect to 127.0.0.1:\(port): errno \(errno)") }

        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: application/json\r\nConnection: close\r\n"
        if let body {
            head += "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n"
        }
        let request = Array((head + "\r\n").utf8) + Array(body ?? Data())
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw HarnessError("\(method) \(path): send failed: errno \(errno)") }
            sent += count
        }

        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var status = 0
        var contentLength: Int?
        while true {
            if let end = headerEnd, let length = contentLength, response.count >= end + length { break }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }  // closed: the body is what arrived
            guard count > 0 else { throw HarnessError("\(method) \(path): no complete answer within \(timeout) s (errno \(errno))") }
            response += chunk[0..<count]
            if headerEnd == nil, let range = findBlankLine(response) {
                headerEnd = range
                let lines = String(decoding: response[0..<range], as: UTF8.self).components(separatedBy: "\r\n")
                let statusFields = lines.first?.split(separator: " ") ?? []
                guard statusFields.count >= 2, let code = Int(statusFields[1]) else {
                    throw HarnessError("\(method) \(path): bad status line \(lines.first ?? "")")
                }
                status = code
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    if line[..<colon].lowercased() == "content-length" {
                        contentLength = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                    }
                }
            }
        }
        guard let end = headerEnd else { throw HarnessError("\(method) \(path): the connection closed before the headers ended") }
        let bodyEnd = contentLength.map { min(response.count, end + $0) } ?? response.count
        return (status, Data(response[end..<bodyEnd]))
    }

    /// The index just past the first `\r\n\r\n`.
    private static func findBlankLine(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}
