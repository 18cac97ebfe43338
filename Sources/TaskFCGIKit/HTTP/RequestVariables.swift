/// The CGI variables a FastCGI front end may send to say where a request goes (RFC 3875 and the
/// common extensions), as text. Every server sends some of them; none sends all.
public struct RequestVariables: Equatable, Sendable {
    /// nginx: the path, already percent-decoded and normalized.
    public var documentURI: String?
    /// Apache httpd, Caddy, lighttpd, nginx: the request target as the client sent it.
    public var requestURI: String?
    /// CGI: the script's path (all of the path for a responder mounted at `/`, or for `cgi-fcgi`).
    public var scriptName: String?
    /// CGI: the rest of the path after the script's.
    public var pathInfo: String?
    /// CGI: the query, without `?`.
    public var queryString: String?

    public init(documentURI: String? = nil, requestURI: String? = nil, scriptName: String? = nil,
                pathInfo: String? = nil, queryString: String? = nil) {
        (self.documentURI, self.requestURI, self.scriptName) = (documentURI, requestURI, scriptName)
        (self.pathInfo, self.queryString) = (pathInfo, queryString)
    }

    /// The decoded path and the raw query: `DOCUMENT_URI` where nginx gives it, else the path of
    /// `REQUEST_URI` percent-decoded, else `SCRIPT_NAME` + `PATH_INFO`; the query is `QUERY_STRING`,
    /// else what follows `?` in `REQUEST_URI`. A path that cannot be determined, or that is not a
    /// plain absolute path (dot segments, a NUL), is a 400: never guessed, never a silent 404.
    public func target() throws -> (path: String, query: String) {
        let query = queryString ?? requestURI.flatMap { uri in uri.firstIndex(of: "?").map { String(uri[uri.index(after: $0)...]) } } ?? ""
        if let documentURI, !documentURI.isEmpty { return (documentURI, query) }
        if let requestURI, !requestURI.isEmpty {
            let rawPath = requestURI.prefix { $0 != "?" && $0 != "#" }
            return (try Self.checked(Form.decode(ArraySlice(rawPath.utf8), plusIsSpace: false)), query)
        }
        let joined = (scriptName ?? "") + (pathInfo ?? "")
        guard !joined.isEmpty else { throw Self.undetermined }
        return (try Self.checked(joined), query)
    }

    static let undetermined = HTTPError(400, "The request's path could not be determined from what the web server sent.")

    /// A plain absolute path: starts with `/`, no `.` or `..` segment, no NUL.
    private static func checked(_ path: String) throws -> String {
        guard path.hasPrefix("/"), !path.contains("\u{0}") else { throw undetermined }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) where segment == "." || segment == ".." {
            throw HTTPError(400, "The address has a “.” or “..” segment.")
        }
        return path
    }
}
