/// The queued job kinds this build knows, as `JobRegistry` lists the scheduled jobs. A kind owns
/// its config section (decoded by the kind; `Config` keeps only the section's JSON), its tables
/// (migrations per backend, applied after the core ones) and its file or folder; adding one is
/// a line in each list here.
public enum QueueRegistry {
    /// Top-level config sections owned by kinds.
    static let sections = [WebhookSettings.section]

    /// The kinds' own migrations for `dialect`, in order.
    static func migrations(_ dialect: SQLDialect) -> [Migration] {
        WebhookEndpoints.migrations[dialect] ?? []
    }

    /// Checks every kind's section, throwing a `ConfigError` that names the key.
    static func validate(_ config: Config) throws {
        _ = try WebhookSettings.from(config)
    }

    /// The kinds `config` turns on (checked at load, so this does not throw).
    public static func kinds(for config: Config) -> [any QueueKind] {
        var kinds: [any QueueKind] = []
        if let webhooks = try? WebhookSettings.from(config) { kinds.append(WebhookDelivery(webhooks)) }
        return kinds
    }

    /// The task-event hook for `config`'s webhooks, nil when none are configured.
    public static func taskEvents(for config: Config) -> TaskEvents? {
        (try? WebhookSettings.from(config)).flatMap { $0 }.map(TaskEvents.init)
    }
}
