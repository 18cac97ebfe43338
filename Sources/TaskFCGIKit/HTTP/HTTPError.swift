/// An error with a status a user should see: thrown by handlers, turned into a page in one place.
public struct HTTPError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    /// What went wrong, in words for the person using the app.
    public var message: String
    /// Extra headers, e.g. `Allow` on a 405.
    public var headers: [String: String]

    public init(_ status: Int, _ message: String, headers: [String: String] = [:]) {
        (self.status, self.message, self.headers) = (status, message, headers)
    }

    public var description: String { "\(status) \(Status.reason(status)): \(message)" }

    public static func notFound(_ what: String = "There is no page at this address.") -> HTTPError { HTTPError(404, what) }

    public static func methodNotAllowed(_ allowed: [String]) -> HTTPError {
        HTTPError(405, "This address does not accept that method. It accepts \(allowed.joined(separator: ", ")).",
                  headers: ["Allow": allowed.joined(separator: ", ")])
    }
}

/// Reason phrases for the statuses this app sends.
public enum Status {
    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status \(status)"
        }
    }
}
