import Testing
@testable import TaskFCGIKit

/// The command line of `taskfcgi cron` and `taskfcgi jobs`.
@Suite struct OptionsTests {
    private func parse(_ words: String...) throws -> Command {
        try Options.parse(["taskfcgi"] + words, environment: ["TASKFCGI_CONFIG": "/etc/taskfcgi.json"])
    }

    @Test func cronTakesItsOptionsOnEitherSide() throws {
        #expect(try parse("cron", "--zone", "UTC", "0 3 * * *", "--count", "2")
            == .cron(CronPreview(expression: "0 3 * * *", zone: "UTC", from: nil, count: 2)))
        #expect(try parse("cron", "@daily", "--from", "2026-12-01T00:00:00Z")
            == .cron(CronPreview(expression: "@daily", zone: nil, from: "2026-12-01T00:00:00Z", count: 5)))
    }

    @Test func jobsActions() throws {
        #expect(try parse("jobs") == .jobs(configPath: "/etc/taskfcgi.json", .list))
        #expect(try parse("jobs", "--config", "x.json", "next", "purgeCompletedTasks", "--count", "3")
            == .jobs(configPath: "x.json", .next(job: "purgeCompletedTasks", count: 3)))
        #expect(try parse("jobs", "pause", "completeDueTasks", "--until", "2026-12-01T09:00:00Z", "--reason", "import")
            == .jobs(configPath: "/etc/taskfcgi.json", .pause(job: "completeDueTasks", until: "2026-12-01T09:00:00Z", reason: "import")))
        #expect(try parse("jobs", "resume", "completeDueTasks") == .jobs(configPath: "/etc/taskfcgi.json", .resume(job: "completeDueTasks")))
    }

    @Test(arguments: [["cron"], ["cron", "a", "b"], ["cron", "@daily", "--count", "0"], ["cron", "@daily", "--count", "many"],
                      ["jobs", "pause"], ["jobs", "stop", "x"], ["jobs", "next", "x", "--reason", "r"], ["jobs", "--zone", "UTC"]])
    func refusals(_ words: [String]) {
        #expect(throws: Options.UsageError.self) { try Options.parse(["taskfcgi"] + words, environment: [:]) }
    }
}
