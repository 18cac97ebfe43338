import Glibc

/// The CGI params the responder reads, recognized by their bytes in the params stream: a request
/// carries about twenty params and uses about ten, so a name is matched on its length first and
/// compared only with the names of that length.
enum CGIParam {
    case method, documentURI, requestURI, scriptName, pathInfo, queryString
    case https, scheme, contentLength, contentType, serverPort, remoteAddr
}

/// Turns a request's params into a `Request`.
enum RequestParams {
    /// The param `name` stands for; nil for one we do not read.
    static func param(_ name: UnsafeBufferPointer<UInt8>) -> CGIParam? {
        switch name.count {
        case 5: return named(name, "HTTPS") ? .https : nil
        case 9: return named(name, "PATH_INFO") ? .pathInfo : nil
        case 11:
            if named(name, "REQUEST_URI") { return .requestURI }
            if named(name, "SCRIPT_NAME") { return .scriptName }
            if named(name, "REMOTE_ADDR") { return .remoteAddr }
            return named(name, "SERVER_PORT") ? .serverPort : nil
        case 12:
            if named(name, "DOCUMENT_URI") { return .documentURI }
            if named(name, "QUERY_STRING") { return .queryString }
            return named(name, "CONTENT_TYPE") ? .contentType : nil
        case 14:
            if named(name, "REQUEST_METHOD") { return .method }
            if named(name, "CONTENT_LENGTH") { return .contentLength }
            return named(name, "REQUEST_SCHEME") ? .scheme : nil
        default: return nil
        }
    }

    static func named(_ name: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        name.count == literal.utf8CodeUnitCount && (name.isEmpty || memcmp(name.baseAddress!, literal.utf8Start, name.count) == 0)
    }

    /// Copies the params the responder uses into `request`, enforcing the size limits. Names are
    /// compared as bytes (dispatched on their length, so most names are skipped after one
    /// comparison); only the values used become Strings.
    static func read(_ raw: FastCGIRequest, limits: FastCGIServer.Limits, into request: inout Request, log: Log) throws {
        switch raw.refusal {
        case .paramsTooLarge(let address):
            throw address ? HTTPError(414, "The address is too long.") : HTTPError(431, "The request headers are too large.")
        case .tooManyParams:
            throw HTTPError(431, "The request carries more than \(limits.maxParams) headers.")
        case .bodyTooLarge, nil:
            break
        }
        var variables = RequestVariables()
        // Only read when nginx's DOCUMENT_URI is missing (Apache httpd, Caddy, lighttpd, cgi-fcgi).
        var requestURI: UnsafeBufferPointer<UInt8>?
        try raw.params.withUnsafeBufferPointer { bytes in
            for pair in raw.pairs {
                let name = UnsafeBufferPointer(rebasing: bytes[pair.name])
                let value = UnsafeBufferPointer(rebasing: bytes[pair.value])
                if value.count > limits.maxParamBytes {
                    throw named(name, "DOCUMENT_URI") || named(name, "REQUEST_URI") || named(name, "QUERY_STRING")
                        ? HTTPError(414, "The address is too long.")
                        : HTTPError(431, "The request headers are too large.")
                }
                if name.count > 5, memcmp(name.baseAddress!, "HTTP_", 5) == 0 {
                    addHeader(name, value, to: &request)
                    continue
                }
                switch param(name) {
                case .method: request.method = String(decoding: value, as: UTF8.self)
                case .documentURI: variables.documentURI = try address(value)
                case .requestURI: requestURI = value
                case .scriptName: variables.scriptName = try address(value)
                case .pathInfo: variables.pathInfo = try address(value)
                case .queryString: variables.queryString = try address(value)
                case .https:
                    // Apache and lighttpd say "on", Caddy "on", some servers "1"; absent or "off": plain HTTP.
                    let on = value.count > 0 && !(value.count == 3 && memcmp(value.baseAddress!, "off", 3) == 0)
                    request.scheme = on ? "https" : request.scheme
                case .scheme: request.scheme = request.scheme ?? String(decoding: value, as: UTF8.self).lowercased()
                case .contentLength: break
                case .contentType: request.headers["content-type"] = String(decoding: value, as: UTF8.self)
                case .serverPort: request.serverPort = String(decoding: value, as: UTF8.self)
                case .remoteAddr: request.remoteAddress = String(decoding: value, as: UTF8.self)
                case nil: break
                }
            }
            if variables.documentURI == nil, let requestURI { variables.requestURI = try address(requestURI) }
        }
        do { (request.path, request.query) = try variables.target() } catch {
            log.warning("http", "cannot tell the request's path: \(error); the web server sent \(names(raw).joined(separator: ", "))")
            throw error
        }
    }

    /// Whether the front end sent `CONTENT_LENGTH` at all (a value that is not a number is a 400).
    static func hasContentLength(_ raw: FastCGIRequest) -> Bool {
        raw.params.withUnsafeBufferPointer { bytes in
            raw.pairs.contains { named(UnsafeBufferPointer(rebasing: bytes[$0.name]), "CONTENT_LENGTH") && !$0.value.isEmpty }
        }
    }

    /// The names (not the values) of the params the front end sent, for the log.
    static func names(_ raw: FastCGIRequest) -> [String] {
        raw.pairs.map { String(decoding: raw.params[$0.name], as: UTF8.self) }
    }

    /// The path or query: it must be UTF-8 (nginx has already decoded the path's escapes).
    static func address(_ bytes: UnsafeBufferPointer<UInt8>) throws -> String {
        guard let text = UTF8Text.validated(bytes) else {
            throw HTTPError(400, "The address is not valid UTF-8 text.")
        }
        return text
    }

    /// An `HTTP_*` param as a request header. nginx also passes Content-Type and Content-Length
    /// as HTTP_*: the CGI params rule. A repeated header becomes one comma-separated value, as
    /// HTTP defines: a request carrying `Sec-Fetch-Site` or `Origin` twice then matches no allowed value.
    static func addHeader(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, to request: inout Request) {
        if named(name, "HTTP_CONTENT_TYPE") || named(name, "HTTP_CONTENT_LENGTH") { return }
        let header = headerName(UnsafeBufferPointer(rebasing: name[5...]))
        let text = String(decoding: value, as: UTF8.self)
        // One hash for the usual first occurrence; a repeat is joined after the fact.
        if let earlier = request.headers.updateValue(text, forKey: header) {
            request.headers[header] = earlier + ", " + text
        }
    }

    /// `ACCEPT_LANGUAGE` → `accept-language`, written straight into the String's storage.
    static func headerName(_ cgiName: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: cgiName.count) { out in
            for (index, byte) in cgiName.enumerated() {
                switch byte {
                case UInt8(ascii: "_"): out[index] = UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): out[index] = byte + 32
                default: out[index] = byte
                }
            }
            return cgiName.count
        }
    }
}
