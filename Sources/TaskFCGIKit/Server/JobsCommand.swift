/// One `taskfcgi jobs` action against an open job store.
struct JobsCommand {
    let config: Config
    let store: JobStore
    let now: Instant
    /// Where pauses and resumes are audited.
    let log: Log

    /// The actor of a pause or resume from the command line: the Unix user, from `cli`.
    static var commandLine: Operator { Operator(user: AuditEntry.unixUser(), peer: "cli") }

    private var jobs: [ScheduledJob] { JobRegistry.jobs(for: config) }

    /// Does `action`; returns the exit code (64 for a job or value the command line got wrong).
    func run(_ action: JobsAction) throws -> Int32 {
        switch action {
        case .list:
            print(try list().joined(separator: "\n"))
            return 0
        case .next(let name, let count):
            let job = try known(name)
            guard job.enabled else {
                Worker.printError("taskfcgi: jobs: \(name) is disabled (jobs.\(name).enabled): it has no slots")
                return 0
            }
            let row = try store.schedules()[name]
            let next = row?.schedule == job.trigger.description ? row?.nextRun : nil
            print(JobCommands.slots(of: job.trigger, after: now, next: next, in: config.zone, count: count).joined(separator: "\n"))
            return 0
        case .pause(let name, let untilText, let reason):
            let job = try known(name)
            var until: Instant?
            if let untilText {
                guard let instant = RFC3339.parse(untilText) else {
                    throw Refused("--until: \"\(untilText)\" is not an RFC 3339 instant with its offset, e.g. 2026-12-01T09:00:00+01:00")
                }
                until = instant
            }
            let pause: JobPause
            do {
                pause = try JobControl.pause(job, by: Self.commandLine, reason: reason, until: until, store: store,
                                             zone: config.zone, now: now, log: log)
            } catch let refusal as JobControl.Refusal { throw Refused(refusal.message) }
            print("paused \(name): \(describe(pause)); running workers stop its slots within a second")
            return 0
        case .resume(let name):
            _ = try known(name)
            let lifted = try JobControl.resume(name, by: Self.commandLine, store: store, now: now, log: log)
            print(lifted.map { "resumed \(name) (\(describe($0)))" } ?? "\(name) was not paused")
            return 0
        }
    }

    /// The table `taskfcgi jobs` prints: a header and one line per job.
    func list() throws -> [String] {
        let rows = try store.schedules()
        var table = [["JOB", "SCHEDULE", "PAUSED", "NEXT SLOT", "LAST RUN"]]
        for job in jobs {
            let name = job.job.name, row = rows[name]
            let pause = row?.pause.flatMap { $0.isActive(at: now) ? $0 : nil }
            let next = row?.schedule == job.trigger.description ? row?.nextRun : nil
            let slot = job.enabled
                ? JobCommands.slots(of: job.trigger, after: now, next: next, in: config.zone, count: 1).first ?? "never" : "disabled"
            let last = try store.recentRuns(job: name, limit: 1).first.map {
                "\($0.startedAt) \($0.outcome.rawValue) (\($0.kind.rawValue), \($0.affected) affected)"
            } ?? "none yet"
            table.append([name, job.trigger.description, pause.map(describe) ?? "no", slot, last])
        }
        let widths = (0..<5).map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { cells in
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
    }

    /// `since … by alice: "reason"; until …` in the config's zone.
    private func describe(_ pause: JobPause) -> String {
        var text = "since \(RFC3339.format(pause.since, in: config.zone)) by \(pause.by)"
        if let reason = pause.reason { text += ": \"\(reason)\"" }
        return text + (pause.until.map { "; until \(RFC3339.format($0, in: config.zone))" } ?? "; until resumed")
    }

    private func known(_ name: String) throws -> ScheduledJob {
        guard let job = jobs.first(where: { $0.job.name == name }) else {
            throw Refused("there is no job called \"\(name)\"; the jobs are \(jobs.map(\.job.name).joined(separator: ", "))")
        }
        return job
    }

    /// A refusal of what the command line asked (exit 64).
    struct Refused: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
