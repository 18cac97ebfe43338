/// One HTTP request as the web server (nginx, Apache httpd, Caddy, lighttpd) handed it over,
/// copied out of libfcgi into Swift values.
public struct Request: Sendable {
    /// `GET`, `POST`, … as sent.
    public var method: String
    /// The decoded path, without the query (see `RequestVariables.target()`).
    public var path: String
    /// The raw query string, without `?`.
    public var query: String
    /// Request headers by lower-case name (`origin`, `sec-fetch-site`, `host`, `content-type`).
    public var headers: [String: String]
    /// The port the request arrived on at nginx (`SERVER_PORT`), to compare with `Origin`.
    public var serverPort: String?
    /// `https` or `http` when the front end says (`HTTPS`, `REQUEST_SCHEME`); nil when it does not.
    public var scheme: String?
    /// The body, exactly `Content-Length` bytes.
    public var body: [UInt8]
    /// The client's address as the front end saw it (`REMOTE_ADDR`); nil when it sent none. Operator
    /// routes answer only loopback addresses unless `operators` is configured.
    public var remoteAddress: String?

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:],
                serverPort: String? = nil, body: [UInt8] = [], remoteAddress: String? = nil) {
        (self.method, self.path, self.query, self.headers) = (method, path, query, headers)
        (self.serverPort, self.body, self.remoteAddress) = (serverPort, body, remoteAddress)
    }

    /// The header `name` (lower case).
    public func header(_ name: String) -> String? { headers[name] }

    /// The path with the query, as the access log shows it.
    public var target: String { query.isEmpty ? path : path + "?" + query }

    /// The decoded query parameters; malformed escapes or UTF-8 are a 400.
    public func queryParameters() throws -> Form {
        try Form(urlEncoded: Array(query.utf8))
    }

    /// The decoded `application/x-www-form-urlencoded` body; another content type is a 415.
    public func form() throws -> Form {
        if body.isEmpty { return Form(fields: []) }
        guard Self.isFormType(header("content-type") ?? "") else {
            throw HTTPError(415, "Send the form as application/x-www-form-urlencoded (the way an HTML form posts it).")
        }
        return try Form(urlEncoded: body)
    }
}

extension Request {
    /// `application/x-www-form-urlencoded`, in any case, optionally followed by `;` parameters;
    /// only space and tab count as white space around it (HTTP's OWS).
    static func isFormType(_ contentType: String) -> Bool {
        let expected: StaticString = "application/x-www-form-urlencoded"
        var contentType = contentType
        return contentType.withUTF8 { type in
            func isOWS(_ index: Int) -> Bool { type[index] == UInt8(ascii: " ") || type[index] == UInt8(ascii: "\t") }
            var at = 0
            while at < type.count, isOWS(at) { at += 1 }
            guard type.count - at >= expected.utf8CodeUnitCount else { return false }
            for offset in 0..<expected.utf8CodeUnitCount {
                let byte = type[at + offset]
                let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                if lowered != expected.utf8Start[offset] { return false }
            }
            at += expected.utf8CodeUnitCount
            while at < type.count, isOWS(at) { at += 1 }
            return at == type.count || type[at] == UInt8(ascii: ";")
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space (Unicode's, line breaks included).
    func trimmed() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}

extension String {
    /// `StringProtocol.trimmed()`, quickly for the usual case: text that starts and ends with a
    /// printable ASCII character other than space has nothing to trim, and need not be walked by
    /// Character (a Character whose first or last byte is such a character is not white space).
    func trimmed() -> String {
        if let head = utf8.first, let tail = utf8.last, head > 0x20, head < 0x7F, tail > 0x20, tail < 0x7F {
            return self
        }
        return self[...].trimmed()
    }
}
