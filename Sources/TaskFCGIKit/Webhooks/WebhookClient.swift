/// One webhook to deliver: where, the Standard Webhooks id and timestamp, the body and the secret
/// that signs it. A retry sends the same id (receivers deduplicate on it) with a fresh timestamp.
public struct WebhookRequest: Sendable {
    /// An absolute http or https URL.
    public var url: String
    /// The `webhook-id`: the same on every attempt of one message.
    public var id: String
    /// The `webhook-timestamp`, Unix seconds: when this attempt was made.
    public var timestamp: Int64
    /// The JSON body, sent exactly as given (and signed as given).
    public var body: [UInt8]
    /// The secret that signs it (`webhook-signature`).
    public var secret: WebhookSecret

    /// A request with every field given.
    public init(url: String, id: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) {
        (self.url, self.id, self.timestamp, self.body, self.secret) = (url, id, timestamp, body, secret)
    }
}

/// How one delivery attempt ended.
public enum DeliveryOutcome: Equatable, Sendable, CustomStringConvertible {
    /// The receiver answered 2xx.
    case delivered(status: Int)
    /// The receiver answered 410 Gone: it wants no more of these.
    case gone
    /// Any other answer or no answer (timeout, refused connection, DNS, TLS): worth a retry.
    case failed(String)
    /// Not attempted: the destination is a private address (or the URL is not one we send to).
    /// Retrying will not help.
    case refused(String)

    public var description: String {
        switch self {
        case .delivered(let status): return "delivered (HTTP \(status))"
        case .gone: return "gone (HTTP 410)"
        case .failed(let reason): return "failed: \(reason)"
        case .refused(let reason): return "refused: \(reason)"
        }
    }
}

/// Sends Standard Webhooks: a signed JSON POST per call, on the calling thread, with libcurl.
/// Private destinations are refused unless `allowPrivateNetworks`, checked on every address curl
/// connects to. Holds no handle between calls, so one client serves any number of threads.
public struct WebhookClient: Sendable {
    /// Whether loopback, LAN, link-local and other non-public addresses may be reached.
    public let allowPrivateNetworks: Bool
    /// How long connecting (DNS, TCP, TLS) may take.
    public let connectTimeout: Interval
    /// How long the whole attempt may take, connecting included.
    public let totalTimeout: Interval

    /// How much of a response body is kept for the failure message.
    static let responseLimit = 1024
    /// How much of it the message shows.
    static let messageLimit = 256

    /// A client; the timeouts bound each attempt.
    public init(allowPrivateNetworks: Bool, connectTimeout: Interval = .seconds(5), totalTimeout: Interval = .seconds(15)) {
        (self.allowPrivateNetworks, self.connectTimeout, self.totalTimeout) = (allowPrivateNetworks, connectTimeout, totalTimeout)
    }

    /// POSTs `request` once and says how it went. Blocks at most about `totalTimeout`.
    public func deliver(_ request: WebhookRequest) -> DeliveryOutcome {
        let url: WebhookURL
        do { url = try WebhookURL.check(request.url) } catch { return .refused(error.message) }
        if !allowPrivateNetworks, let address = url.literalAddress, let kind = PrivateNetworks.kind(of: address) {
            return .refused(Self.privateMessage(host: url.host, address: address, kind: kind))
        }
        let post = CurlPost(url: url.text, headers: headers(for: request), body: request.body,
                            connectTimeout: connectTimeout, totalTimeout: totalTimeout,
                            allowPrivateNetworks: allowPrivateNetworks, responseLimit: Self.responseLimit)
        return outcome(of: post.perform(), host: url.host)
    }

    /// The Standard Webhooks headers and ours.
    func headers(for request: WebhookRequest) -> [String] {
        [
            "content-type: application/json",
            "webhook-id: \(request.id)",
            "webhook-timestamp: \(request.timestamp)",
            "webhook-signature: \(request.secret.signature(id: request.id, timestamp: request.timestamp, body: request.body))",
            "user-agent: TaskFCGI",
            // Without this curl waits for a "100 Continue" before sending bodies over 1 KiB.
            "expect:",
        ]
    }

    /// The outcome a transfer's end means, with a short message for the failures.
    func outcome(of end: CurlPost.End, host: String) -> DeliveryOutcome {
        switch end {
        case .response(let status, _, _) where (200...299).contains(status):
            return .delivered(status: status)
        case .response(410, _, _):
            return .gone
        case .response(let status, let location, _) where (300...399).contains(status):
            return .failed("HTTP \(status): redirect to \(location ?? "(no location)") not followed")
        case .response(let status, _, let body):
            let excerpt = Self.excerpt(body)
            return .failed(excerpt.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(excerpt)")
        case .privateAddress(let address, let kind):
            return .refused(Self.privateMessage(host: host, address: address, kind: kind))
        case .timedOut(let whileConnecting):
            return .failed(whileConnecting ? "could not connect within \(Self.seconds(min(connectTimeout, totalTimeout)))"
                                           : "timed out after \(Self.seconds(totalTimeout))")
        case .connectionRefused:
            return .failed("connection refused")
        case .unresolvedHost:
            return .failed("cannot resolve host \(host)")
        case .failed(let reason):
            return .failed(reason)
        }
    }

    /// Why a private destination is refused, naming the address and what kind it is.
    static func privateMessage(host: String, address: IPAddress, kind: String) -> String {
        let subject = host == address.description || IPAddress(host) == address ? "\(address)" : "\(host) resolves to \(address), which"
        let article = "aeiou".contains(kind.lowercased().first ?? "x") ? "an" : "a"
        return "\(subject) is \(article) \(kind) address; private networks are not allowed for webhooks"
    }

    /// The start of a response body on one line, for a failure message: controls become spaces.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
            .map { $0.isNewline || $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } ? " " : $0 }
        let trimmed = String(text).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return trimmed.count > messageLimit ? trimmed.prefix(messageLimit) + "…" : trimmed
    }

    /// `15 s`, `1.5 s`.
    static func seconds(_ interval: Interval) -> String {
        interval.milliseconds % 1000 == 0 ? "\(interval.milliseconds / 1000) s" : "\(Double(interval.milliseconds) / 1000) s"
    }
}
