import Foundation
import Testing
@testable import TaskFCGIKit

/// Pause and resume as a person (the dashboard's forms) and a program (the API) see them, with
/// each job's next slots, over a real SQLite file. The job thread is not started: what is shown
/// comes from `job_schedule`, as on a stand-by worker.
@Suite struct JobPauseWebTests {
    typealias Web = UnitWebFixture
    private static func fixture(_ label: String = #function) throws -> UnitWebFixture {
        let jobs = [ScheduledJob(CompleteDueTasks(), interval: .minutes(5)),
                    ScheduledJob(PurgeCompletedTasks(retain: .days(30)), trigger: .cron(try CronExpression(parsing: "30 2 * * *")))]
        let clock = UnitWebFixture.Clock(UnitWebFixture.defaultNow)
        let runner = JobRunner(jobs: jobs, log: try Log(path: "-", level: .error), clock: clock,
                               zone: try #require(Zone(identifier: "Europe/Berlin"))) { throw HarnessFailure("not started") }
        return try UnitWebFixture(label, jobs: runner)
    }

    private func job(_ fixture: UnitWebFixture, _ name: String) throws -> [String: Any] {
        let list = try APITests.object(fixture.get("/api/jobs"))
        let jobs = try #require(list["jobs"] as? [[String: Any]])
        return try #require(jobs.first { $0["name"] as? String == name })
    }

    @Test func theAPIPausesWithReasonAndUntilAndShowsIt() throws {
        let fixture = try Self.fixture()
        let paused = APITests.json(fixture, "POST", "/api/jobs/purgeCompletedTasks/pause",
                                   #"{"reason": "restoring a backup", "until": "2026-11-25T09:00:00+01:00"}"#)
        #expect(paused.status == 200, "\(APITests.body(paused))")
        #expect(APITests.body(paused).trimmingCharacters(in: .newlines) == #"{"job":"purgeCompletedTasks","paused":{"since":"2026-11-24T12:00:00.000Z","by":"local","reason":"restoring a backup","until":"2026-11-25T08:00:00.000Z"}}"#)
        let shown = try job(fixture, "purgeCompletedTasks")["paused"] as? [String: Any]
        #expect(shown?["since"] as? String == "2026-11-24T12:00:00.000Z")
        #expect(shown?["by"] as? String == "local")
        // The pause is audited: who, from where, what and with what outcome.
        let audit = Web.body(fixture.get("/api/audit"))
        #expect(audit.contains(#""user":"local""#) && audit.contains(#""action":"pause""#) && audit.contains(#""job":"purgeCompletedTasks""#), "\(audit)")
        #expect(shown?["reason"] as? String == "restoring a backup")
        #expect(shown?["until"] as? String == "2026-11-25T08:00:00.000Z")
        #expect(try job(fixture, "completeDueTasks")["paused"] is NSNull)

        let resumed = APITests.json(fixture, "POST", "/api/jobs/purgeCompletedTasks/resume", nil)
        #expect(resumed.status == 200)
        #expect(APITests.body(resumed).trimmingCharacters(in: .newlines) == #"{"job":"purgeCompletedTasks","paused":null}"#)
        #expect(try job(fixture, "purgeCompletedTasks")["paused"] is NSNull)
        // A pause with no body at all: until resumed, no reason.
        #expect(APITests.json(fixture, "POST", "/api/jobs/completeDueTasks/pause", nil).status == 200)
        let bare = try job(fixture, "completeDueTasks")["paused"] as? [String: Any]
        #expect(bare?["reason"] is NSNull && bare?["until"] is NSNull)
    }

    @Test func theAPIRefusesWhatItCannotKeep() throws {
        let fixture = try Self.fixture()
        let unknown = APITests.json(fixture, "POST", "/api/jobs/completeDueTasks/pause", #"{"why": "x"}"#)
        #expect(unknown.status == 422)
        #expect(try APITests.fieldErrors(unknown)["why"] == "Unknown field; a pause has reason and until.")
        let past = APITests.json(fixture, "POST", "/api/jobs/completeDueTasks/pause", #"{"until": "2026-11-24T11:59:59Z"}"#)
        #expect(past.status == 422)
        #expect(try APITests.fieldErrors(past)["until"]?.contains("must end in the future") == true)
        let typed = APITests.json(fixture, "POST", "/api/jobs/completeDueTasks/pause", #"{"reason": 7, "until": "tomorrow"}"#)
        #expect(try APITests.fieldErrors(typed).keys.sorted() == ["reason", "until"])
        #expect(APITests.json(fixture, "POST", "/api/jobs/nothing/pause", nil).status == 404)
        #expect(APITests.json(fixture, "GET", "/api/jobs/completeDueTasks/pause", nil).status == 405)
        #expect(try job(fixture, "completeDueTasks")["paused"] is NSNull, "nothing refused was kept")
    }

    @Test func theAPIShowsTheNextFiveSlotsInTheZoneAndUTC() throws {
        let fixture = try Self.fixture()
        let slots = try #require(try job(fixture, "purgeCompletedTasks")["nextSlots"] as? [[String: String]])
        // 02:30 in Berlin (CET, +01:00) is 01:30 UTC, from the day after 2026-11-24 12:00 UTC.
        #expect(slots.map { $0["at"] ?? "" } == (25...29).map { "2026-11-\($0)T02:30:00+01:00" })
        #expect(slots.map { $0["utc"] ?? "" } == (25...29).map { "2026-11-\($0)T01:30:00.000Z" })
        let every5 = try #require(try job(fixture, "completeDueTasks")["nextSlots"] as? [[String: String]])
        #expect(every5.count == 5)
    }

    @Test func theDashboardPausesAndResumesWithItsForms() throws {
        let fixture = try Self.fixture()
        let page = Web.body(fixture.get("/jobs"))
        #expect(page.contains(#"<form method="post" action="/jobs/purgeCompletedTasks/pause""#))
        #expect(page.contains(#"<label for="reason-purgeCompletedTasks">Reason (optional)</label>"#))
        #expect(page.contains("<dt>Next slots</dt>"))
        #expect(page.contains("(2026-11-25T01:30:00.000Z)"))

        let posted = fixture.post("/jobs/purgeCompletedTasks/pause", "reason=%3Cb%3Edisk%3C%2Fb%3E+full&until=2026-11-26T10%3A00")
        #expect(posted.status == 303)
        #expect(posted.header("Location") == "/jobs#job-purgeCompletedTasks")
        let paused = Web.body(fixture.get("/jobs"))
        #expect(paused.contains("<strong>paused</strong> since "))
        #expect(paused.contains(" by local: “&lt;b&gt;disk&lt;/b&gt; full”; until "))
        #expect(!paused.contains("<b>disk"))
        #expect(paused.contains(#"action="/jobs/purgeCompletedTasks/resume"><button type="submit">Resume</button>"#))

        // A form from another site is refused, as every form post is.
        let crossSite = fixture.post("/jobs/purgeCompletedTasks/resume", "", headers: ["sec-fetch-site": "cross-site"])
        #expect(crossSite.status == 403)
        #expect(fixture.post("/jobs/purgeCompletedTasks/resume", "").status == 303)
        #expect(!Web.body(fixture.get("/jobs")).contains("<strong>paused</strong>"))
        // An end time the clocks skip is refused with the due-date form's words.
        let skipped = fixture.post("/jobs/completeDueTasks/pause", "until=2027-03-28T02%3A30")
        #expect(skipped.status == 422)
        #expect(Web.body(skipped).contains("Pause until: That time does not exist in Europe/Berlin"))
    }
}
