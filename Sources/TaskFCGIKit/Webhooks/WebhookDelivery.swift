import Foundation

/// The queued job kind that delivers one webhook: signs the stored body (Standard Webhooks) and
/// POSTs it. 2xx is done; 410 disables the endpoint (its waiting deliveries are cancelled when
/// they come up); a refused destination is discarded; anything else is retried with backoff.
public struct WebhookDelivery: QueueKind {
    static let kindName = "webhook"
    public var name: String { Self.kindName }
    public let settings: WebhookSettings
    let client: WebhookClient

    public init(_ settings: WebhookSettings) {
        self.settings = settings
        client = WebhookClient(allowPrivateNetworks: settings.allowPrivateNetworks)
    }

    /// The whole delivery's limit plus time to record it.
    public var timeout: Interval { .seconds(20) }
    public var backoff: Backoff { settings.backoff }

    /// An endpoint as logs and pages show it: scheme, host and port only, since a hook's path or
    /// query often carries its token.
    static func shown(_ url: String) -> String {
        guard let checked = try? WebhookURL.check(url) else { return "(invalid URL)" }
        return (checked.isHTTPS ? "https://" : "http://") + checked.host + "/…"
    }

    /// A delivery's arguments: where, its `webhook-id`, and the body, fixed at enqueue.
    struct Args: Equatable {
        let url: String, id: String, body: String

        var json: String {
            var json = JSONText()
            json.field("url", url)
            json.field("id", id)
            json.field("body", body)
            return json.object
        }

        init(url: String, id: String, body: String) { (self.url, self.id, self.body) = (url, id, body) }

        init?(json: String) {
            guard case .object(let fields)? = try? JSONValue.parse(Array(json.utf8)),
                  case .string(let url)? = fields["url"], case .string(let id)? = fields["id"],
                  case .string(let body)? = fields["body"] else { return nil }
            (self.url, self.id, self.body) = (url, id, body)
        }
    }

    public func perform(_ job: ClaimedJob, _ context: QueueContext) -> QueueOutcome {
        guard let args = Args(json: job.args) else { return .discard("unreadable arguments") }
        guard let endpoint = settings.endpoints.first(where: { $0.url == args.url }) else {
            return .cancel("\(args.url) is no longer configured")
        }
        do {
            if let disabled = try WebhookEndpoints.disabled(context.store.reader, url: args.url) {
                return .cancel("the endpoint was disabled \(disabled)")
            }
        } catch { return .retry("cannot read the endpoint's state: \(error)") }
        let request = WebhookRequest(url: args.url, id: args.id, timestamp: context.now.milliseconds / 1000,
                                     body: Array(args.body.utf8), secret: endpoint.secret)
        switch client.deliver(request) {
        case .delivered: return .done
        case .gone:
            do { try context.store.write { db in try WebhookEndpoints.disable(db, url: args.url, now: context.now) } } catch {
                return .retry("410 Gone, and the endpoint could not be disabled: \(error)")
            }
            context.log.warning("queue:webhook", "\(Self.shown(args.url)) answered 410 Gone: endpoint disabled, its deliveries are cancelled")
            return .cancel("410 Gone: endpoint disabled")
        case .refused(let reason): return .discard(reason)
        case .failed(let reason): return .retry(reason)
        }
    }
}

/// Endpoints disabled by a 410, kept in the database so every worker honours it.
enum WebhookEndpoints {
    /// Its own tables, per backend (the webhook kind's migrations, after the core ones).
    static let migrations: [SQLDialect: [Migration]] = [
        .sqlite: [Migration(name: "webhooks-001-endpoints", sql: """
            CREATE TABLE webhook_endpoints (url TEXT PRIMARY KEY, disabled_at INTEGER NOT NULL, reason TEXT NOT NULL);
            """)],
        .postgres: [Migration(name: "webhooks-001-endpoints", sql: """
            CREATE TABLE webhook_endpoints (url TEXT PRIMARY KEY, disabled_at BIGINT NOT NULL, reason TEXT NOT NULL);
            """)],
    ]

    /// When `url` was disabled and why, or nil.
    static func disabled(_ db: any SQLExecutor, url: String) throws -> String? {
        try db.query("SELECT disabled_at, reason FROM webhook_endpoints WHERE url = ?1", .text(url)).first.map { row in
            "at \(Instant(milliseconds: row[0].int ?? 0)) (\(row[1].text ?? ""))"
        }
    }

    static func disable(_ db: any SQLExecutor, url: String, now: Instant) throws {
        try db.run("""
            INSERT INTO webhook_endpoints (url, disabled_at, reason) VALUES (?1, ?2, '410 Gone') ON CONFLICT (url) DO NOTHING
            """, .text(url), .int(now.milliseconds))
    }

    /// Enables `url` again (a retried delivery to it); true if it was disabled.
    static func enable(_ db: any SQLExecutor, url: String) throws -> Bool {
        try db.run("DELETE FROM webhook_endpoints WHERE url = ?1", .text(url)) == 1
    }

    /// Every disabled endpoint: url → when and why.
    static func all(_ db: any SQLExecutor) throws -> [(url: String, at: Instant, reason: String)] {
        try db.query("SELECT url, disabled_at, reason FROM webhook_endpoints ORDER BY url").compactMap { row in
            guard let url = row[0].text, let at = row[1].int, let reason = row[2].text else { return nil }
            return (url, Instant(milliseconds: at), reason)
        }
    }
}
