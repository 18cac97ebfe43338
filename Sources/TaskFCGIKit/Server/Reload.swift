/// SIGHUP (systemd's `ExecReload`): the config file read again. What can change while running does
/// at once — job schedules, `enabled`, `misfire`, `timeout`, the purge's `retain`, `logLevel`; what
/// needs a restart is logged as such and kept; a config that fails the checks is refused with the
/// same one-line message as at start, and the running config stays.
enum Reload {
    /// Settings read once at start: (key, how the running and the reloaded config differ, if they do).
    static func restartOnly(_ running: Config, _ new: Config) -> [String] {
        var keys: [String] = []
        func check(_ key: String, _ same: Bool) { if !same { keys.append(key) } }
        check("connectionString", running.connectionString == new.connectionString && running.password == new.password)
        check("logPath", running.logPath == new.logPath)
        check("logFormat", running.logFormat == new.logFormat)
        check("listen", running.listen == new.listen)
        check("trustedProxies", running.trustedProxies == new.trustedProxies)
        check("threads", running.threads == new.threads)
        check("timeZone", running.zone.identifier == new.zone.identifier)
        check("metrics", running.metrics == new.metrics)
        check("maxBodyBytes", running.maxBodyBytes == new.maxBodyBytes)
        check("busyTimeout", running.busyTimeout == new.busyTimeout)
        check("stopTimeout", running.stopTimeout == new.stopTimeout)
        check("jobs.leaseTTL", running.leaseTTL == new.leaseTTL)
        check("jobs.history", running.jobHistory == new.jobHistory)
        check("requestReadTimeout", running.connections.requestReadTimeout == new.connections.requestReadTimeout)
        check("responseWriteTimeout", running.connections.responseWriteTimeout == new.connections.responseWriteTimeout)
        check("idleTimeout", running.connections.idleTimeout == new.connections.idleTimeout)
        check("maxConnections", running.connections.maxConnections == new.connections.maxConnections)
        check("slowRequest", running.connections.slowRequest == new.connections.slowRequest)
        // The files' contents are read again on SIGHUP; another file needs a restart.
        check("operators", running.operators == new.operators)
        check("metricsToken", running.metricsToken == new.metricsToken)
        check("queue", running.queue == new.queue)
        // The kinds' own sections (webhooks) are read once, with their secret files.
        for section in QueueRegistry.sections { check(section, running.sections[section] == new.sections[section]) }
        return keys
    }

    /// The jobs' own keys that changed (`purgeCompletedTasks: retain 30d → 7d`); a job takes them
    /// when `JobRegistry.jobs(for:)` makes it again.
    static func optionChanges(_ running: Config, _ new: Config) -> [String] {
        JobRegistry.known.flatMap { definition in
            definition.extraKeys.compactMap { key -> String? in
                func value(_ config: Config) -> JSONValue? {
                    if case .object(let fields)? = config.jobs[definition.name]?.options { return fields[key] }
                    return nil
                }
                let (before, after) = (value(running), value(new))
                guard before != after else { return nil }
                return "\(definition.name): \(key) \(before?.shown ?? "default") → \(after?.shown ?? "default")"
            }
        }
    }

    /// Reads `running.file` again and applies what it can; returns the config now in force.
    static func apply(_ running: Config, log: Log, runner: JobRunner) -> Config {
        let new: Config
        do { new = try Config.load(path: running.file) } catch {
            log.error("main", "reload refused, the running configuration stays: \(error)")
            return running
        }
        var applied = running
        for key in restartOnly(running, new) {
            log.warning("main", "reload: \(key) changed in the file; it takes effect at the next restart")
        }
        if new.logLevel != running.logLevel {
            log.setLevel(new.logLevel)
            applied.logLevel = new.logLevel
        }
        let changes = runner.reload(JobRegistry.jobs(for: new)) ?? []
        applied.jobs = new.jobs
        var said = changes
        if new.logLevel != running.logLevel { said.insert("logLevel \(running.logLevel.name) → \(new.logLevel.name)", at: 0) }
        said += optionChanges(running, new)
        log.info("main", "reloaded \(running.file): " + (said.isEmpty ? "no job or log level setting changed" : said.joined(separator: "; ")))
        return applied
    }
}
