/// What a handler returns: status, headers and body. The FastCGI edge adds `Status:` and `Content-Length`.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        (self.status, self.headers, self.body) = (status, headers, body)
    }

    /// An HTML page.
    public static func html(_ status: Int = 200, _ body: [UInt8]) -> Response {
        Response(status: status, headers: htmlHeaders, body: body)
    }

    /// Plain text.
    public static func text(_ status: Int = 200, _ body: String) -> Response {
        Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(body.utf8))
    }

    /// A 303 See Other to `location` (post/redirect/get).
    public static func redirect(_ location: String) -> Response {
        Response(status: 303, headers: [("Location", location), ("Content-Type", "text/plain; charset=utf-8")],
                 body: Array("See \(location)\n".utf8))
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// An HTML page's headers, built once: every page shares the array instead of joining a new one.
    static let htmlHeaders: [(name: String, value: String)] = [("Content-Type", "text/html; charset=utf-8")] + securityHeaders

    /// Pages run only the worker's own script file and style sheet (nothing inline), never embed in
    /// frames, and never leak the URL to other sites.
    static let securityHeaders: [(name: String, value: String)] = [
        ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
    ]
}
