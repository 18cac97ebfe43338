import Foundation

/// `taskfcgi cron` and `taskfcgi jobs`: schedules previewed, and jobs steered on the configured
/// database directly, so no worker need run. Output is for people and for scripts alike: one
/// RFC 3339 instant with its offset per line for slots, like `systemd-analyze calendar --iterations`.
enum JobCommands {
    /// Prints the next slots of an expression; exit 78 for an invalid or never-matching one.
    static func cron(_ preview: CronPreview, now: Instant = SystemClock().now()) -> Int32 {
        let expression: CronExpression
        do { expression = try CronExpression(parsing: preview.expression) } catch {
            Worker.printError("taskfcgi: cron: \(error)")
            return ConfigError.exitCode
        }
        var zone = Zone.current
        if let name = preview.zone {
            guard let named = Zone(identifier: name) else {
                Worker.printError("taskfcgi: cron: --zone: \"\(name)\" is not a known IANA time zone (e.g. Europe/Berlin, UTC)")
                return ConfigError.exitCode
            }
            zone = named
        }
        var from = now
        if let text = preview.from {
            guard let instant = RFC3339.parse(text) else {
                Worker.printError("taskfcgi: cron: --from: \"\(text)\" is not an RFC 3339 instant with its offset, e.g. 2026-12-01T09:00:00Z")
                return 64
            }
            from = instant
        }
        print(slots(of: .cron(expression), after: from, next: nil, in: zone, count: preview.count).joined(separator: "\n"))
        return 0
    }

    /// The slots as printed, one RFC 3339 instant each.
    static func slots(of trigger: JobTrigger, after now: Instant, next: Instant?, in zone: Zone, count: Int) -> [String] {
        trigger.upcoming(after: now, next: next, in: zone, count: count).map { RFC3339.format($0, in: zone) }
    }

    /// `taskfcgi jobs …` on the database the config names.
    static func jobs(configPath: String, _ action: JobsAction) -> Int32 {
        let config: Config, store: JobStore, auditLog: Log
        do {
            config = try Config.load(path: configPath)
            // The worker's log may belong to another user; what this command says goes to the terminal.
            let log = try Log(path: "-", level: .warning)
            (_, store) = try Startup.openStorage(config, log: log, now: SystemClock().now()).openStores()
            // A pause or resume is audited in the shared log beside the worker's lines when this user
            // may write it, else on the terminal; its row goes to the database either way.
            auditLog = try (try? Log(path: config.logPath, level: .info, format: config.logFormat)) ?? Log(path: "-", level: .info)
        } catch {
            Worker.printError("taskfcgi: \(error)")
            return ConfigError.exitCode
        }
        do {
            return try JobsCommand(config: config, store: store, now: SystemClock().now(), log: auditLog).run(action)
        } catch let refused as JobsCommand.Refused {
            Worker.printError("taskfcgi: jobs: \(refused)")
            return 64
        } catch {
            Worker.printError("taskfcgi: jobs: \(error)")
            return 1
        }
    }
}
