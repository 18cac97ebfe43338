import Testing
@testable import TaskFCGIKit

/// The request's path and query from whatever CGI variables a front end sends.
@Suite struct RequestVariablesTests {
    private typealias V = RequestVariables

    @Test(arguments: [
        // nginx: DOCUMENT_URI (decoded) wins, QUERY_STRING as sent.
        (V(documentURI: "/tasks/1", requestURI: "/tasks/%31?x=1", queryString: "x=1"), "/tasks/1", "x=1"),
        // Apache mod_proxy_fcgi, Caddy, lighttpd: REQUEST_URI's path, percent-decoded; + stays +.
        (V(requestURI: "/tasks?status=pending", queryString: "status=pending"), "/tasks", "status=pending"),
        (V(requestURI: "/tasks/%31"), "/tasks/1", ""),
        (V(requestURI: "/a+b%20c?q=a+b"), "/a+b c", "q=a+b"),
        (V(requestURI: "/tasks?from=uri"), "/tasks", "from=uri"),
        (V(requestURI: "/t%C3%A4sks"), "/täsks", ""),
        // CGI style (cgi-fcgi, a responder mounted at a script path): SCRIPT_NAME + PATH_INFO.
        (V(scriptName: "/healthz"), "/healthz", ""),
        (V(scriptName: "/tasks", pathInfo: "/7", queryString: "a=b"), "/tasks/7", "a=b"),
        (V(scriptName: "", pathInfo: "/jobs"), "/jobs", ""),
    ])
    func targets(_ variables: RequestVariables, _ path: String, _ query: String) throws {
        let target = try variables.target()
        #expect(target.path == path)
        #expect(target.query == query)
    }

    @Test(arguments: [
        V(),
        V(documentURI: "", requestURI: ""),
        V(requestURI: "tasks"),                 // not absolute
        V(requestURI: "/tasks/../status"),      // dot segments are never resolved by guessing
        V(requestURI: "/./tasks"),
        V(requestURI: "/tasks%00"),
        V(requestURI: "/tasks%2"),              // a broken escape
        V(requestURI: "/%FF"),                  // not UTF-8
        V(scriptName: "/tasks", pathInfo: "/../jobs"),
    ])
    func undeterminedOrUnsafePathsAre400(_ variables: RequestVariables) {
        let error = #expect(throws: HTTPError.self) { try variables.target() }
        #expect(error?.status == 400)
    }

    @Test func theServersSchemeGivesTheDefaultPortWhenNothingElseDoes() {
        #expect(CrossOrigin.sameOrigin("https://tasks.example", host: "tasks.example", serverPort: "443", scheme: "https"))
        // Neither Host nor SERVER_PORT has a port: the scheme the server reports decides it.
        #expect(CrossOrigin.sameOrigin("https://tasks.example", host: "tasks.example", serverPort: nil, scheme: "https"))
        #expect(!CrossOrigin.sameOrigin("https://tasks.example", host: "tasks.example", serverPort: nil, scheme: "http"))
        #expect(!CrossOrigin.sameOrigin("https://tasks.example", host: "tasks.example", serverPort: "80", scheme: "http"))
        // No scheme from the server: ports decide, as before.
        #expect(CrossOrigin.sameOrigin("http://127.0.0.1:8080", host: "127.0.0.1", serverPort: "8080"))
        // Host with the port (Apache, Caddy, lighttpd pass the client's Host header as is).
        #expect(CrossOrigin.sameOrigin("http://127.0.0.1:8080", host: "127.0.0.1:8080", serverPort: "8080", scheme: "http"))
        #expect(!CrossOrigin.sameOrigin("http://127.0.0.1:9090", host: "127.0.0.1:8080", serverPort: "8080", scheme: "http"))
    }
}
