import Foundation

/// A response as curl saw it.
struct HTTPResponse: CustomStringConvertible {
    var status: Int
    /// Headers of the final response, in order, names as sent.
    var headers: [(name: String, value: String)]
    var body: String
    var bodyBytes: Int

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var location: String? { header("location") }

    var description: String {
        "HTTP \(status)\n" + headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            + "\n\n" + String(body.prefix(1500))
    }
}

/// Talks HTTP to nginx with the curl command line: the same bytes a user's client sends, redirects
/// not followed. Each request is one curl process writing body and headers to files in the folder.
struct HTTPClient: Sendable {
    let port: Int
    let folder: String
    /// Another address of this machine to connect to instead of 127.0.0.1 (the URL and `Host`
    /// stay the same): the server then sees that address as the client's, not loopback.
    var connectTo: String? = nil

    var base: String { "http://127.0.0.1:\(port)" }
    /// What a browser on this site sends as `Origin`.
    var origin: String { base }

    func get(_ path: String, headers: [String: String] = [:]) throws -> HTTPResponse {
        try request("GET", path, headers: headers)
    }

    /// POSTs `form` urlencoded, as an HTML form does.
    func post(_ path: String, form: [(String, String)], headers: [String: String] = [:]) throws -> HTTPResponse {
        try request("POST", path, headers: headers, body: Data(HTTPClient.urlEncoded(form).utf8),
                    contentType: "application/x-www-form-urlencoded")
    }

    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil,
                 contentType: String? = nil) throws -> HTTPResponse {
        let unique = UUID().uuidString
        let bodyPath = "\(folder)/curl-\(unique).body"
        let headerPath = "\(folder)/curl-\(unique).headers"
        let uploadPath = "\(folder)/curl-\(unique).upload"
        defer {
            for path in [bodyPath, headerPath, uploadPath] { try? FileManager.default.removeItem(atPath: path) }
        }
        var arguments = ["-s", "-S", "--max-time", "20", "-o", bodyPath, "-D", headerPath, "-w", "%{http_code}"]
        if method == "HEAD" { arguments.append("--head") } else if method != "GET" || body != nil { arguments += ["-X", method] }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
        if let contentType { arguments += ["-H", "Content-Type: \(contentType)"] }
        if let body {
            try body.write(to: URL(fileURLWithPath: uploadPath))
            arguments += ["--data-binary", "@" + uploadPath]
        }
        if let connectTo { arguments += ["--connect-to", "127.0.0.1:\(port):\(connectTo):\(port)"] }
        arguments.append(base + path)
        let curl = try ChildProcess.run("curl", try Tools.curl(), arguments, folder: folder, timeout: 30)
        defer {
            try? FileManager.default.removeItem(atPath: curl.stdoutPath)
            try? FileManager.default.removeItem(atPath: curl.stderrPath)
        }
        guard curl.ending == .exited(0), let status = Int(curl.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("curl \(method) \(path) failed (\(curl.ending.map { "\($0)" } ?? "?")): \(curl.stderr) \(curl.stdout)")
        }
        let bodyData = FileManager.default.contents(atPath: bodyPath) ?? Data()
        return HTTPResponse(status: status, headers: HTTPClient.parseHeaders(Sandbox.read(headerPath)),
                            body: String(decoding: bodyData, as: UTF8.self), bodyBytes: bodyData.count)
    }

    /// The last header block of a `curl -D` dump (an interim `100 Continue` comes first).
    static func parseHeaders(_ dump: String) -> [(name: String, value: String)] {
        let blocks = dump.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            .filter { $0.hasPrefix("HTTP/") }
        guard let last = blocks.last else { return [] }
        return last.split(separator: "\n").dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    /// `application/x-www-form-urlencoded`, as browsers encode it.
    static func urlEncoded(_ form: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._*")
        func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: "%20", with: "+")
        }
        return form.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// Sends `request` verbatim over a fresh TCP connection and returns every byte nginx sent back
    /// until it closed the connection (use HTTP/1.0 or `Connection: close`).
    func raw(_ request: String, timeout: Int = 10) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = Nginx.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError("cannot connect to 127.0.0.1:\(port)") }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError("send failed") }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw HarnessError("no complete answer within \(timeout) s (errno \(errno)); got: \(String(decoding: received, as: UTF8.self))") }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

/// The worker's access lines: `… INFO  [http] GET /tasks?n=1 200 2373 0.4 ms`.
struct AccessLine: Equatable {
    var method: String
    var target: String
    var status: Int

    /// Every access line in a log.
    static func all(in log: String) -> [AccessLine] {
        log.split(separator: "\n").compactMap { line in
            guard let tag = line.range(of: " [http] ") else { return nil }
            let fields = line[tag.upperBound...].split(separator: " ")
            guard fields.count >= 5, fields[fields.count - 1] == "ms" || line.hasSuffix("(client went away)"),
                  let status = Int(fields[2]), (100...599).contains(status) else { return nil }
            return AccessLine(method: String(fields[0]), target: String(fields[1]), status: status)
        }
    }
}
