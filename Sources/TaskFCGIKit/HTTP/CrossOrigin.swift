/// Refuses cross-site form posts without tokens or sessions, after Go 1.25's `CrossOriginProtection`:
/// browsers say where a request comes from in `Sec-Fetch-Site`, older ones in `Origin`.
public enum CrossOrigin {
    /// Nil if the request may proceed, else why it was refused.
    public static func refusal(_ request: Request) -> String? {
        switch request.method {
        case "GET", "HEAD", "OPTIONS": return nil
        default: break
        }
        if let site = request.header("sec-fetch-site") {
            // "none": typed into the address bar or a bookmark; "same-origin": our own form.
            return site == "same-origin" || site == "none" ? nil : "The browser reported this form was sent from another site (\(site))."
        }
        guard let origin = request.header("origin") else {
            return nil // Neither header: not a browser (curl, scripts), which cannot be tricked into posting.
        }
        return sameOrigin(origin, host: request.header("host"), serverPort: request.serverPort, scheme: request.scheme)
            ? nil : "The form was sent from \(origin), another site."
    }

    /// Compares `Origin` (`scheme://host[:port]`) with `Host`. Like Go's CrossOriginProtection, only
    /// host and port are compared (one port speaks one scheme). When `Host` lacks a port (Debian's
    /// `fastcgi_params` passes nginx's `$host`, which drops it), the port the server received the
    /// request on stands in for it, else the default port of the scheme the server reports
    /// (`HTTPS`, `REQUEST_SCHEME`), else of the Origin's.
    static func sameOrigin(_ origin: String, host: String?, serverPort: String?, scheme requestScheme: String? = nil) -> Bool {
        guard let host, !host.isEmpty, let schemeEnd = origin.range(of: "://") else { return false }
        let scheme = origin[..<schemeEnd.lowerBound].lowercased()
        let (originHost, originPort) = split(String(origin[schemeEnd.upperBound...]))
        let (requestHost, requestPort) = split(host)
        let port = { (scheme: String) in scheme == "https" ? "443" : "80" }
        return originHost.lowercased() == requestHost.lowercased()
            && (originPort ?? port(scheme)) == (requestPort ?? serverPort ?? port(requestScheme ?? scheme))
    }

    /// `host:port` → (host, port); IPv6 literals keep their brackets.
    private static func split(_ authority: String) -> (String, String?) {
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            return (String(authority[..<colon]), String(authority[authority.index(after: colon)...]))
        }
        return (authority, nil)
    }
}
