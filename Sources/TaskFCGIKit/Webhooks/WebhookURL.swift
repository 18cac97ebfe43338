import Foundation

/// A webhook destination as configured: an absolute `http` or `https` URL with a host.
/// Checking it is pure (no DNS); whether the host is private is decided again, on the address
/// actually connected to, when delivering.
public struct WebhookURL: Equatable, Sendable, CustomStringConvertible {
    /// The URL as given (and as handed to curl).
    public let text: String
    /// Whether the scheme is `https`.
    public let isHTTPS: Bool
    /// The host, without the brackets of an IPv6 literal.
    public let host: String

    /// `text` if it is an absolute http/https URL with a host; otherwise an error naming the problem.
    public static func check(_ text: String) throws(WebhookURLError) -> WebhookURL {
        guard !text.isEmpty else { throw WebhookURLError("the webhook URL is empty") }
        guard !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw WebhookURLError("the webhook URL \(quoted(text)) contains spaces or control characters")
        }
        guard let parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased() else {
            throw WebhookURLError("\(quoted(text)) is not an absolute URL (expected e.g. https://example.com/hooks)")
        }
        guard scheme == "http" || scheme == "https" else {
            throw WebhookURLError("the webhook URL \(quoted(text)) uses \(scheme):, not http: or https:")
        }
        var host = parts.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw WebhookURLError("the webhook URL \(quoted(text)) has no host") }
        guard parts.user == nil, parts.password == nil else {
            throw WebhookURLError("the webhook URL \(quoted(redactingUser: text)) carries a user name or password, which would end up in logs; the signature authenticates deliveries")
        }
        if let port = parts.port, !(1...65535).contains(port) {
            throw WebhookURLError("the webhook URL \(quoted(text)) has port \(port), outside 1 to 65535")
        }
        return WebhookURL(text: text, isHTTPS: scheme == "https", host: host)
    }

    /// The host as an IP address when the URL names one literally (`http://127.0.0.1/`).
    var literalAddress: IPAddress? { IPAddress(host) }

    public var description: String { text }

    /// `text` in quotes, cut short if long: error messages stay one readable line.
    private static func quoted(_ text: String) -> String {
        "\"\(text.count > 200 ? text.prefix(200) + "…" : text)\""
    }

    /// `text` quoted with whatever sits between `//` and `@` hidden.
    private static func quoted(redactingUser text: String) -> String {
        guard let start = text.range(of: "//"), let at = text[start.upperBound...].firstIndex(of: "@") else { return "(hidden)" }
        return quoted(String(text[..<start.upperBound]) + "…" + String(text[at...]))
    }
}

/// Why a webhook URL was refused; the message names the problem.
public struct WebhookURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, in words a person can act on.
    public let message: String

    /// An error saying `message`.
    init(_ message: String) { self.message = message }

    public var description: String { message }
}
