import Glibc

/// The CGI params the responder reads, recognized by their bytes in libfcgi's buffers: a request
/// carries about twenty params and uses about ten, so a name is matched on its length first and
/// compared only with the names of that length.
enum CGIParam {
    case method, documentURI, requestURI, scriptName, pathInfo, queryString
    case https, scheme, contentLength, contentType, serverPort, remoteAddr
}

extension FastCGIServer {
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
        name.count == literal.utf8CodeUnitCount && memcmp(name.baseAddress!, literal.utf8Start, name.count) == 0
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
