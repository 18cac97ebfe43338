import Foundation
import Testing
@testable import TaskFCGIKit

/// Settings taken while running (SIGHUP): the job thread's schedules and the log level.
@Suite struct ReloadTests {
    @Test func aReloadedScheduleIsWrittenAndRunsAtOnce() throws {
        let runs = RunCounter()
        let hourly = ScheduledJob(CountingJob(runs: runs), interval: .hours(1))
        let fixture = try RunnerFixture(jobs: [hourly])
        fixture.runner.start()
        #expect(poll(deadline: 3) { runs.value == 1 }, "an interval job's first slot is at once")
        let changes = fixture.runner.reload([ScheduledJob(CountingJob(runs: runs), trigger: .every(.milliseconds(200)),
                                                          misfire: .skip, timeout: .seconds(5))])
        #expect(changes == ["counting: every 1h → every 200ms", "counting: misfire once → skip", "counting: timeout 10m → 5s"])
        #expect(poll(deadline: 3) { runs.value >= 3 })
        #expect(try fixture.jobStore().schedules()["counting"]?.schedule == "every 200ms")
        #expect(fixture.runner.status.jobs[0].schedule == "every 200ms")
        #expect(fixture.runner.scheduledJob("counting")?.timeout == .seconds(5))
        #expect(fixture.stop())
        #expect(try fixture.logText().contains("[job:counting] schedule changed from every 1h to every 200ms; next run at "))
        // Other jobs than the running ones are not taken.
        #expect(fixture.runner.reload([]) == nil)
    }

    @Test func aDisabledJobStopsAndAnEnabledOneStarts() throws {
        let runs = RunCounter()
        let fixture = try RunnerFixture(jobs: [ScheduledJob(CountingJob(runs: runs), interval: .milliseconds(200), enabled: false)])
        fixture.runner.start()
        #expect(poll(deadline: 3) { fixture.runner.status.holdsLease })
        usleep(300_000)
        #expect(runs.value == 0)
        #expect(fixture.runner.reload([ScheduledJob(CountingJob(runs: runs), interval: .milliseconds(200))]) == ["counting: enabled"])
        #expect(poll(deadline: 3) { runs.value >= 2 })
        _ = fixture.runner.reload([ScheduledJob(CountingJob(runs: runs), interval: .milliseconds(200), enabled: false)])
        usleep(300_000)  // a run that had begun may end
        let stopped = runs.value
        usleep(600_000)
        #expect(runs.value == stopped)
        #expect(fixture.stop())
    }

    @Test func theLogLevelChangesForEveryLineAfter() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let log = try Log(path: folder + "/t.log", level: .info)
        log.debug("test", "hidden")
        log.setLevel(.debug)
        log.debug("test", "shown")
        log.setLevel(.error)
        log.warning("test", "hidden too")
        let text = try String(contentsOfFile: folder + "/t.log", encoding: .utf8)
        #expect(!text.contains("hidden") && text.contains("[test] shown"))
        #expect(log.level == .error)
    }
}
