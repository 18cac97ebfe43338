import Testing
@testable import TaskFCGIKit

@Suite struct JobScheduleTests {
    private let start = utc(2026, 11, 24, 12)
    private let interval = Interval.minutes(5)

    private func at(seconds: Int64) -> Instant { start.adding(.seconds(seconds)) }

    @Test func runsAtOnceOnStart() {
        let schedule = JobSchedule(interval: interval, start: start)
        #expect(schedule.nextRun == start)
        #expect(schedule.failures == 0)
    }

    @Test func afterSuccessDueBeforeIntervalWins() {
        var schedule = JobSchedule(interval: interval, start: start)
        schedule.succeeded(at: at(seconds: 1), nextWork: at(seconds: 60))
        #expect(schedule.nextRun == at(seconds: 60))
    }

    @Test func afterSuccessIntervalBeforeDueWins() {
        var schedule = JobSchedule(interval: interval, start: start)
        schedule.succeeded(at: at(seconds: 1), nextWork: at(seconds: 3600))
        #expect(schedule.nextRun == at(seconds: 301))
    }

    @Test func afterSuccessWithoutWorkWaitsOneInterval() {
        var schedule = JobSchedule(interval: interval, start: start)
        schedule.succeeded(at: at(seconds: 1), nextWork: nil)
        #expect(schedule.nextRun == at(seconds: 301))
    }

    @Test func workAlreadyDueMeansRunAgainAtOnce() {
        var schedule = JobSchedule(interval: interval, start: start)
        schedule.succeeded(at: at(seconds: 10), nextWork: at(seconds: 9))
        #expect(schedule.nextRun == at(seconds: 9))
    }

    @Test func workAppearedMovesEarlierNeverLater() {
        var schedule = JobSchedule(interval: interval, start: start)
        schedule.succeeded(at: start, nextWork: nil)
        #expect(schedule.nextRun == at(seconds: 300))
        schedule.workAppeared(at: at(seconds: 100))
        #expect(schedule.nextRun == at(seconds: 100))
        schedule.workAppeared(at: at(seconds: 200))
        #expect(schedule.nextRun == at(seconds: 100))
        schedule.workAppeared(at: at(seconds: 400))
        #expect(schedule.nextRun == at(seconds: 100))
        schedule.workAppeared(at: at(seconds: 50))
        #expect(schedule.nextRun == at(seconds: 50))
    }

    @Test func workAppearedIsIgnoredWhileBackingOff() {
        var schedule = JobSchedule(interval: interval, start: start)
        schedule.failed(at: start)
        #expect(schedule.nextRun == at(seconds: 1))
        schedule.workAppeared(at: start)
        #expect(schedule.nextRun == at(seconds: 1))
    }

    @Test func failuresBackOffExponentiallyUpToAMinute() {
        var schedule = JobSchedule(interval: interval, start: start)
        var waits: [Interval] = []
        for _ in 1...9 {
            schedule.failed(at: start)
            waits.append(schedule.nextRun.since(start))
        }
        #expect(waits == [1, 2, 4, 8, 16, 32, 60, 60, 60].map { Interval.seconds($0) })
        #expect(schedule.failures == 9)
    }

    @Test func backoffTable() {
        #expect(JobSchedule.backoff(failures: 0) == .seconds(1))
        #expect(JobSchedule.backoff(failures: 1) == .seconds(1))
        #expect(JobSchedule.backoff(failures: 3) == .seconds(4))
        #expect(JobSchedule.backoff(failures: 7) == .seconds(60))
        #expect(JobSchedule.backoff(failures: 1_000_000) == .seconds(60))
    }

    @Test func successResetsFailures() {
        var schedule = JobSchedule(interval: interval, start: start)
        schedule.failed(at: start)
        schedule.failed(at: at(seconds: 1))
        #expect(schedule.failures == 2)
        schedule.succeeded(at: at(seconds: 3), nextWork: nil)
        #expect(schedule.failures == 0)
        #expect(schedule.nextRun == at(seconds: 303))
        // Work reschedules again, and the next failure starts over at one second.
        schedule.workAppeared(at: at(seconds: 10))
        #expect(schedule.nextRun == at(seconds: 10))
        schedule.failed(at: at(seconds: 10))
        #expect(schedule.nextRun == at(seconds: 11))
    }
}
