import Foundation

/// An HTTP/1.1 request as bytes on the wire: nothing is normalised, so the target, header values
/// and body may hold any bytes (raw `\xFF`, control characters) and `Content-Length` may lie.
struct WireRequest {
    var method: String
    /// The request target exactly as sent (path and query).
    var target: [UInt8]
    /// Headers in order; `Host` is added first unless `host` is nil.
    var headers: [(name: String, value: [UInt8])] = []
    var body: [UInt8]? = nil
    /// `Content-Length` as sent; nil: the body's real length when there is a body, else none.
    var contentLength: String? = nil
    var host: String? = "127.0.0.1"
    var version = "HTTP/1.1"
    /// False: no `Content-Length` at all (a chunked body).
    var sendContentLength = true

    init(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
         contentType: String? = nil, contentLength: String? = nil) {
        self.method = method
        self.target = Array(target.utf8)
        self.headers = headers.map { ($0.0, Array($0.1.utf8)) }
        if let contentType { self.headers.append(("Content-Type", Array(contentType.utf8))) }
        self.body = body
        self.contentLength = contentLength
    }

    /// The request with a raw (possibly invalid UTF-8) target.
    init(_ method: String, rawTarget: [UInt8], headers: [(String, [UInt8])] = []) {
        self.method = method
        self.target = rawTarget
        self.headers = headers.map { ($0.0, $0.1) }
    }

    var isHead: Bool { method == "HEAD" }

    func bytes(port: Int) -> [UInt8] {
        var out = Array("\(method) ".utf8) + target + Array(" \(version)\r\n".utf8)
        if let host { out += Array("Host: \(host):\(port)\r\n".utf8) }
        for (name, value) in headers { out += Array("\(name): ".utf8) + value + [13, 10] }
        if !sendContentLength {
            // Framed some other way (Transfer-Encoding), or not at all.
        } else if let contentLength {
            out += Array("Content-Length: \(contentLength)\r\n".utf8)
        } else if let body {
            out += Array("Content-Length: \(body.count)\r\n".utf8)
        }
        out += [13, 10]
        if let body { out += body }
        return out
    }

    /// For failure messages: the head, bodies shortened.
    var summary: String {
        let shownTarget = target.count > 120 ? Array(target.prefix(120)) + Array("…(\(target.count) bytes)".utf8) : target
        var text = "\(method) \(String(decoding: shownTarget, as: UTF8.self).debugDescription)"
        for (name, value) in headers {
            let shown = value.count > 80 ? Array(value.prefix(80)) + Array("…(\(value.count) bytes)".utf8) : value
            text += " [\(name): \(String(decoding: shown, as: UTF8.self).debugDescription)]"
        }
        if let body {
            let shown = body.count > 160 ? Array(body.prefix(160)) + Array("…(\(body.count) bytes)".utf8) : body
            text += " body=\(String(decoding: shown, as: UTF8.self).debugDescription)"
        }
        if let contentLength { text += " Content-Length=\(contentLength)" }
        return text
    }
}

/// One response as read off the wire.
struct WireResponse: CustomStringConvertible {
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var closesConnection: Bool { header("connection")?.lowercased() == "close" }

    var description: String {
        "HTTP \(status) \(reason)\n" + headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            + "\n\n" + String(text.prefix(1200))
    }
}

/// A client that keeps one TCP connection to nginx open across requests (reconnecting when nginx
/// closes it), reads responses by their framing (Content-Length, chunked, HEAD) and can also send
/// bytes that are not a well-formed request and watch what comes back.
final class WireClient: @unchecked Sendable {
    let port: Int
    private var fd: Int32 = -1
    private var pending: [UInt8] = []
    /// How many TCP connections were opened (to show keep-alive works).
    private(set) var connectionsOpened = 0

    init(port: Int) { self.port = port }

    deinit { disconnect() }

    var isConnected: Bool { fd >= 0 }

    func connect() throws {
        disconnect()
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        var address = Nginx.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socketFD)
            throw HarnessError("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        fd = socketFD
        pending = []
        requestsOnConnection = 0
        connectionsOpened += 1
    }

    func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        pending = []
    }

    /// Sends all of `bytes`; returns how many went out before the peer refused more (nginx may
    /// answer and close while a large body is still being sent).
    @discardableResult
    func send(_ bytes: [UInt8]) throws -> Int {
        if fd < 0 { try connect() }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                if errno == EINTR { continue }
                return sent
            }
            sent += n
        }
        return sent
    }

    /// Half-closes: the peer reads end-of-file, we can still read its answer.
    func shutdownWrite() {
        if fd >= 0 { shutdown(fd, Int32(SHUT_WR)) }
    }

    private enum Fill { case data, closed, timedOut }

    /// Reads more bytes into `pending`, waiting until `deadline` (monotonic seconds).
    private func fill(until deadline: Double) -> Fill {
        guard fd >= 0 else { return .closed }
        while true {
            let left = deadline - monotonicSeconds()
            if left <= 0 { return .timedOut }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, (left * 1000).rounded(.up))))
            if ready < 0 { if errno == EINTR { continue } else { return .closed } }
            if ready == 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                pending += buffer[0..<n]
                return .data
            }
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            return .closed
        }
    }

    /// Whether bytes arrive (or are already buffered) within `seconds`.
    func hasUnreadBytes(within seconds: Double) -> Bool {
        if !pending.isEmpty { return true }
        return fill(until: monotonicSeconds() + seconds) == .data
    }

    /// Reads until the peer closes or `seconds` pass; returns what came and whether it closed.
    func readUntilClosed(within seconds: Double) -> (bytes: [UInt8], closed: Bool) {
        let deadline = monotonicSeconds() + seconds
        while true {
            switch fill(until: deadline) {
            case .data: continue
            case .closed:
                let bytes = pending
                disconnect()
                return (bytes, true)
            case .timedOut:
                return (pending, false)
            }
        }
    }

    /// Reads one response (skipping interim 1xx ones). Nil if the connection closed before a byte
    /// of it arrived; throws if the answer is incomplete after `timeout` seconds.
    func readResponse(head: Bool, timeout: Double = 10) throws -> WireResponse? {
        let deadline = monotonicSeconds() + timeout
        while true {
            // The head.
            var headEnd: Int?
            while headEnd == nil {
                headEnd = WireClient.find([13, 10, 13, 10], in: pending)
                if headEnd != nil { break }
                switch fill(until: deadline) {
                case .data: continue
                case .closed:
                    if pending.isEmpty { disconnect(); return nil }
                    throw HarnessError("connection closed inside a response head: \(String(decoding: pending, as: UTF8.self).debugDescription)")
                case .timedOut:
                    throw HarnessError("no complete response head within \(timeout) s; got \(String(decoding: pending.prefix(300), as: UTF8.self).debugDescription)")
                }
            }
            let headBytes = Array(pending[0..<headEnd!])
            pending.removeFirst(headEnd! + 4)
            let lines = String(decoding: headBytes, as: UTF8.self).components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
                throw HarnessError("not an HTTP status line: \(lines[0].debugDescription)")
            }
            let reason = statusParts.count > 2 ? String(statusParts[2]) : ""
            var headers: [(name: String, value: String)] = []
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            if (100..<200).contains(status) { continue }
            var response = WireResponse(status: status, reason: reason, headers: headers, body: [])
            if head || status == 204 || status == 304 {
                // No body follows, whatever Content-Length says.
            } else if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
                response.body = try readChunked(deadline: deadline, timeout: timeout)
            } else if let lengthText = response.header("content-length"), let length = Int(lengthText) {
                while pending.count < length {
                    switch fill(until: deadline) {
                    case .data: continue
                    case .closed, .timedOut:
                        throw HarnessError("body shorter than Content-Length \(length) (got \(pending.count)) for \(status)")
                    }
                }
                response.body = Array(pending[0..<length])
                pending.removeFirst(length)
            } else {
                let rest = readUntilClosed(within: max(0.1, deadline - monotonicSeconds()))
                response.body = rest.bytes
                pending = []
            }
            if response.closesConnection {
                // nginx closes after this answer; bytes it sent after it (none expected) are dropped.
                disconnect()
            }
            return response
        }
    }

    private func readChunked(deadline: Double, timeout: Double) throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = WireClient.find([13, 10], in: pending)
            while lineEnd == nil {
                guard fill(until: deadline) == .data else { throw HarnessError("chunked body cut short") }
                lineEnd = WireClient.find([13, 10], in: pending)
            }
            let sizeText = String(decoding: pending[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
            pending.removeFirst(lineEnd! + 2)
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HarnessError("bad chunk size \(sizeText.debugDescription)")
            }
            while pending.count < size + 2 {
                guard fill(until: deadline) == .data else { throw HarnessError("chunk cut short") }
            }
            body += pending[0..<size]
            pending.removeFirst(size + 2)
            if size == 0 { return body }
        }
    }

    /// Sends `request` on the kept connection (reconnecting if nginx closed it) and reads the answer.
    /// A kept connection nginx closed while idle is retried once on a fresh one.
    func exchange(_ request: WireRequest, timeout: Double = 10) throws -> WireResponse {
        let bytes = request.bytes(port: port)
        for _ in 1...2 {
            if fd < 0 { try connect() }
            let reused = requestsOnConnection > 0
            requestsOnConnection += 1
            try send(bytes)
            if let response = try readResponse(head: request.isHead, timeout: timeout) { return response }
            if !reused { break }
        }
        throw HarnessError("nginx closed the connection without answering \(request.summary)")
    }

    /// Requests sent on the current connection.
    private var requestsOnConnection = 0

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && Array(haystack[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
