import Foundation

/// The task events a webhook endpoint may subscribe to.
public enum TaskEventType: String, CaseIterable, Sendable {
    case created = "task.created"
    case completed = "task.completed"
    case deleted = "task.deleted"
}

/// One endpoint from `webhooks.endpoints`.
public struct WebhookEndpoint: Sendable {
    public let url: String
    public let secret: WebhookSecret
    public let events: Set<TaskEventType>
}

/// The `webhooks` config section, decoded here rather than by `Config` (which only keeps the
/// section's JSON): endpoints with their secrets and events, and the delivery policy.
public struct WebhookSettings: Sendable {
    public var endpoints: [WebhookEndpoint] = []
    /// Whether a hook may reach loopback, private, link-local or unique-local addresses.
    public var allowPrivateNetworks = false
    /// Attempts before a delivery is discarded.
    public var maxAttempts = 8
    /// Attempt n waits `first × 2^(n-1)`, capped at `max`, with jitter.
    public var backoff = Backoff(first: .seconds(30), max: .hours(6))

    static let section = "webhooks"
    static let keys = ["endpoints", "allowPrivateNetworks", "maxAttempts", "backoff"]

    /// The settings in `config`, nil without a `webhooks` section or endpoints. Throws a
    /// `ConfigError` naming the key (the config is checked with this at load).
    public static func from(_ config: Config) throws -> WebhookSettings? {
        guard let value = config.sections[section] else { return nil }
        let reader = try ConfigReader(value, file: config.file, path: section, allowed: keys)
        var settings = WebhookSettings()
        settings.allowPrivateNetworks = try reader.bool("allowPrivateNetworks") ?? false
        settings.maxAttempts = try reader.integer("maxAttempts", in: 1...100) ?? settings.maxAttempts
        if let backoff = try reader.object("backoff", allowed: ["first", "max"]) {
            let first = try backoff.interval("first") ?? settings.backoff.first
            let max = try backoff.interval("max") ?? Swift.max(first, settings.backoff.max)
            guard first >= .milliseconds(100) else { throw backoff.error("first", "\(first) is too short; at least 100ms") }
            guard max >= first else { throw backoff.error("max", "\(max) is shorter than first (\(first))") }
            settings.backoff = Backoff(first: first, max: max)
        }
        for endpoint in try reader.objects("endpoints", allowed: ["url", "secretFile", "events"]) ?? [] {
            settings.endpoints.append(try Self.endpoint(endpoint, folder: config.folder))
        }
        return settings.endpoints.isEmpty ? nil : settings
    }

    private static func endpoint(_ reader: ConfigReader, folder: String) throws -> WebhookEndpoint {
        let url = try reader.requiredString("url")
        do { _ = try WebhookURL.check(url) } catch { throw reader.error("url", "\(error)") }
        let file = Config.absolute(try reader.requiredString("secretFile"), from: folder)
        let secret: WebhookSecret
        do { secret = try WebhookSecret.load(file: file) } catch { throw reader.error("secretFile", "\(file): \(error)") }
        let names = try reader.strings("events") ?? TaskEventType.allCases.map(\.rawValue)
        let events = try names.map { name in
            guard let type = TaskEventType(rawValue: name) else {
                throw reader.error("events", "\"\(name)\" is not one of \(TaskEventType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return type
        }
        guard !events.isEmpty else { throw reader.error("events", "names no event; leave it out for all of them") }
        return WebhookEndpoint(url: url, secret: secret, events: Set(events))
    }
}
